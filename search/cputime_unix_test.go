//go:build unix

package search

import (
	"syscall"
	"time"
)

// cpuTime is the user+system CPU time of this process so far: benchmarks
// report it beside wall time, which a shared machine makes noisy.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
