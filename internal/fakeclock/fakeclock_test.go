package fakeclock

import (
	"sync"
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	start := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	c := New(start)
	if !c.Now().Equal(start) {
		t.Fatalf("Now %v", c.Now())
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { c.Add(30 * time.Second); c.Now() })
	}
	wg.Wait()
	if got := c.Now(); !got.Equal(start.Add(5 * time.Minute)) {
		t.Fatalf("after 10 steps: %v", got)
	}
	if got := c.Add(-time.Minute); !got.Equal(start.Add(4 * time.Minute)) {
		t.Fatalf("Add returned %v", got)
	}
	c.Set(start)
	if !c.Now().Equal(start) {
		t.Fatalf("Set: %v", c.Now())
	}
}
