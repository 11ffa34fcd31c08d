package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/internal/amanatest"
	"github.com/amana-vault/amana/vault"
)

// The connection limits are behaviour: these tests wait for the server's
// own timeouts, set short, and allow each a generous bound.
const closeBound = 15 * time.Second

// dialRaw opens a connection to the server and writes head to it.
func dialRaw(t *testing.T, s *amanatest.Server, head string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", s.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	return conn
}

// waitClosed reads what the server sends until it closes the connection,
// and returns it with the time that took. It fails the test if the server
// keeps the connection open for closeBound.
func waitClosed(t *testing.T, conn net.Conn) (string, time.Duration) {
	t.Helper()
	start := time.Now()
	conn.SetReadDeadline(start.Add(closeBound))
	b, err := io.ReadAll(conn)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("the server kept the connection open for %v (read: %v); it sent %q", took.Round(time.Millisecond), err, b)
	}
	return string(b), took
}

func statusOf(t *testing.T, resp string) int {
	t.Helper()
	r, err := http.ReadResponse(bufio.NewReader(strings.NewReader(resp)), nil)
	if err != nil {
		t.Fatalf("no response before the close: %q (%v)", resp, err)
	}
	r.Body.Close()
	return r.StatusCode
}

// TestSlowBodiesAreCut: clients that announce a body and send none, signed
// in or not, lose their connections after the body timeout, and each
// refusal is audited.
func TestSlowBodiesAreCut(t *testing.T) {
	s := amanatest.NewServer(t, amanatest.Options{BodyTimeout: time.Second})
	const n = 20
	type result struct {
		resp string
		took time.Duration
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		var head string
		if i%2 == 0 {
			head = "POST /v1/auth/login HTTP/1.1\r\nHost: amana\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
		} else {
			head = "POST /v1/documents HTTP/1.1\r\nHost: amana\r\nAuthorization: Bearer forged\r\n" +
				"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 100000\r\n\r\n"
		}
		conn := dialRaw(t, s, head)
		wg.Go(func() {
			resp, took := waitClosed(t, conn)
			results[i] = result{resp, took}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for i, r := range results {
		want := http.StatusRequestTimeout // the login read its body, which never came
		if i%2 == 1 {
			want = http.StatusUnauthorized // refused before its body, then cut while the rest was drained
		}
		if got := statusOf(t, r.resp); got != want {
			t.Errorf("client %d: status %d, want %d", i, got, want)
		}
		t.Logf("client %d closed after %v", i, r.took.Round(time.Millisecond))
	}
	s.API.FlushRefusals(true)
	evs := refusedEvents(t, s)
	if got := countOf(evs, "", "POST /v1/auth/login", "timeout"); got != n/2 {
		t.Errorf("%d late login bodies audited, want %d: %v", got, n/2, evs)
	}
	if got := countOf(evs, "", "POST /v1/documents", "unauthenticated"); got != n/2 {
		t.Errorf("%d forged deposits audited, want %d: %v", got, n/2, evs)
	}
}

// TestSlowHeadersAndIdleConnectionsAreCut: a connection that never
// finishes its headers, and one that stays idle after a request, are
// closed after their timeouts.
func TestSlowHeadersAndIdleConnectionsAreCut(t *testing.T) {
	s := amanatest.NewServer(t, amanatest.Options{HeaderTimeout: time.Second, IdleTimeout: time.Second})
	half := dialRaw(t, s, "GET /v1/health HTTP/1.1\r\nHost: amana\r\n")
	silent := dialRaw(t, s, "")
	idle := dialRaw(t, s, "GET /v1/health HTTP/1.1\r\nHost: amana\r\n\r\n")
	for name, conn := range map[string]net.Conn{"half a header": half, "nothing": silent} {
		if resp, _ := waitClosed(t, conn); strings.Contains(resp, " 200 ") {
			t.Errorf("%s: answered %q", name, resp)
		}
	}
	if resp, _ := waitClosed(t, idle); statusOf(t, resp) != 200 {
		t.Errorf("idle: %q", resp)
	}
}

// trickle yields size bytes in blocks of block bytes, waiting every before
// each block but the first: an upload over a slow link.
type trickle struct {
	size, block, done int
	every             time.Duration
}

func (r *trickle) Read(p []byte) (int, error) {
	if r.done == r.size {
		return 0, io.EOF
	}
	if r.done > 0 && r.done%r.block == 0 {
		time.Sleep(r.every)
	}
	n := min(len(p), r.block-r.done%r.block, r.size-r.done)
	for i := range n {
		p[i] = byte('a' + (r.done+i)%26)
	}
	r.done += n
	return n, nil
}

// TestUploadsGoOnWhileTheyProgress: a deposit that trickles in for longer
// than both the body and the stall timeout succeeds, since bytes keep
// coming; one that stops half-way is cut after the stall timeout, and the
// refusal is audited.
func TestUploadsGoOnWhileTheyProgress(t *testing.T) {
	s := amanatest.NewServer(t, amanatest.Options{
		Collections: []vault.Collection{{ID: "kirkuk-2018", Members: []string{"r.hassan"}}},
		BodyTimeout: time.Second, StallTimeout: 3 * time.Second,
	})
	c := s.Login("r.hassan")

	// Six blocks of 64 KiB (an age chunk each), one a second.
	content := &trickle{size: 6 << 16, block: 1 << 16, every: time.Second}
	start := time.Now()
	dep, err := c.Deposit(context.Background(), client.DepositRequest{
		Collection: "kirkuk-2018", Kind: "testimony",
		Public:  client.PublicMeta{Title: "Fictional testimony sent over a slow link", Language: "en", Governorate: "Kirkuk", IncidentDate: "2017-06"},
		Consent: client.Consent{Scopes: []string{"research"}, RecordedAt: "2018-03-02", RecordedBy: "r.hassan"},
		Private: map[string]any{"file_name": "slow.txt"},
		Content: content,
	})
	took := time.Since(start)
	if err != nil {
		t.Fatalf("the trickling deposit failed after %v: %v", took.Round(time.Millisecond), err)
	}
	if took < 4*time.Second {
		t.Fatalf("the deposit took %v: it did not trickle past the stall timeout", took)
	}
	t.Logf("trickling deposit %s: %v", dep.Document.ID, took.Round(time.Millisecond))

	// The same route, signed in, stopping after part of its first part.
	meta := `{"collection":"kirkuk-2018","kind":"testimony","public":{"title":"Stalled"`
	body := "--x\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n" + meta
	conn := dialRaw(t, s, "POST /v1/documents HTTP/1.1\r\nHost: amana\r\nAuthorization: Bearer "+c.Token+"\r\n"+
		"Content-Type: multipart/form-data; boundary=x\r\n"+fmt.Sprintf("Content-Length: %d\r\n\r\n", 1<<20)+body)
	resp, stalled := waitClosed(t, conn)
	if got := statusOf(t, resp); got != http.StatusRequestTimeout {
		t.Errorf("stalled upload: status %d, want 408: %q", got, resp)
	}
	if stalled < 2*time.Second {
		t.Errorf("the stalled upload was cut after %v, before its stall timeout (3 s)", stalled)
	}
	t.Logf("stalled upload cut after %v", stalled.Round(time.Millisecond))
	s.API.FlushRefusals(true)
	if got := countOf(refusedEvents(t, s), "r.hassan", "POST /v1/documents", "timeout"); got != 1 {
		t.Errorf("%d stalled uploads audited, want 1", got)
	}
}
