// Package witness has the audit log's checkpoints cosigned by witnesses
// (C2SP tlog-witness): independent services that cosign a checkpoint only
// if it is consistent with the largest one of the same log they cosigned
// before. A Cosigner submits the newest checkpoint to each witness with a
// consistency proof from the size the witness last saw, checks the
// cosignature it returns (C2SP tlog-cosignature) and stores it with the
// checkpoint. It runs beside the log and never holds up a write: a witness
// that is down or refuses is retried with backoff and reported in Status.
//
// The log is reached only through the small [Log] interface; the vault
// implements it.
package witness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/amana-vault/amana/auditlog"
)

// Log is the audit log as a Cosigner needs it.
type Log interface {
	// LatestCheckpoint returns the newest signed checkpoint note, without
	// cosignatures, and its size.
	LatestCheckpoint() (note []byte, size int64, err error)
	// CheckpointConsistency proves that the tree of oldSize events is a
	// prefix of the tree of newSize events (1 <= oldSize <= newSize).
	CheckpointConsistency(oldSize, newSize int64) (tlog.TreeProof, error)
	// AddCosignature stores a checked cosignature line of the checkpoint
	// of the given size.
	AddCosignature(size int64, line []byte) error
}

// A Witness is one witness to submit checkpoints to.
type Witness struct {
	// Key is the witness's verifier key, "name+hash+base64", as the
	// witness publishes it (litewitness logs it as vkey).
	Key string
	// URL is the base of its tlog-witness endpoint: checkpoints are
	// posted to URL/add-checkpoint.
	URL string
}

// ParseFlag reads the value of 'amana serve --witness': "VKEY=URL".
func ParseFlag(s string) (Witness, error) {
	key, url, ok := strings.Cut(s, "=")
	if !ok || key == "" || url == "" {
		return Witness{}, fmt.Errorf("witness %q: want VKEY=URL", s)
	}
	if _, err := auditlog.NewCosignatureVerifier(key); err != nil {
		return Witness{}, err
	}
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return Witness{}, fmt.Errorf("witness %q: the URL must be http:// or https://", s)
	}
	return Witness{Key: key, URL: strings.TrimSuffix(url, "/")}, nil
}

// Config configures a Cosigner.
type Config struct {
	Log       Log
	Witnesses []Witness
	// Quorum is how many witnesses must cosign a checkpoint for it to
	// count as cosigned (default, or out of range: all of them).
	Quorum int
	Logger *slog.Logger
	// Client makes the requests (default: one with a 10 s timeout).
	Client *http.Client
	// MinBackoff and MaxBackoff bound the wait before retrying a witness
	// that failed; it doubles after each failure (defaults 1 s and 5 min).
	MinBackoff, MaxBackoff time.Duration
	// Interval is the least time between two checkpoints submitted to one
	// witness after each new commit (default 1 s; negative: none), so that
	// a busy log costs a witness, and the log's own storage, one round a
	// second. A Wait (an auditor asking for a checkpoint) submits at once.
	Interval time.Duration
}

// Status is what /v1/health says about one witness.
type Status struct {
	Name string `json:"name"`
	OK   bool   `json:"ok"`
	// Size is the size of the largest checkpoint it cosigned since the
	// server started (0: none yet).
	Size int64 `json:"cosigned_size"`
	// Error says why the last attempt failed, Since when it has been
	// failing.
	Error string     `json:"error,omitempty"`
	Since *time.Time `json:"failing_since,omitempty"`
}

// A Cosigner submits checkpoints to witnesses. Its methods are safe for
// concurrent use.
type Cosigner struct {
	cfg  Config
	log  *slog.Logger
	keys []string
	ws   []*worker
	stop context.CancelFunc
	done sync.WaitGroup
	mu   sync.Mutex
	cond chan struct{} // closed and replaced when a cosignature arrives
}

type worker struct {
	c        *Cosigner
	w        Witness
	v        note.Verifier
	wake     chan struct{} // a new checkpoint
	urgent   chan struct{} // someone waits for a cosignature
	mu       sync.Mutex
	status   Status
	known    int64  // the size the witness last told us it has, -1 if unknown
	attempts uint64 // attempts to reach it so far
	busy     bool   // an attempt is in flight
}

// Start starts a Cosigner for cfg: one goroutine per witness, which
// submits the log's newest checkpoint at once and whenever Notify is
// called. Close stops them.
func Start(cfg Config) (*Cosigner, error) {
	if cfg.Log == nil {
		return nil, errors.New("witness: no log")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = time.Second
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(5*time.Minute, cfg.MinBackoff)
	}
	if cfg.Interval == 0 {
		cfg.Interval = time.Second
	}
	if cfg.Quorum <= 0 || cfg.Quorum > len(cfg.Witnesses) {
		cfg.Quorum = len(cfg.Witnesses)
	}
	ctx, stop := context.WithCancel(context.Background())
	c := &Cosigner{cfg: cfg, log: cfg.Logger, stop: stop, cond: make(chan struct{})}
	seen := map[string]bool{}
	for _, w := range cfg.Witnesses {
		v, err := auditlog.NewCosignatureVerifier(w.Key)
		if err != nil {
			stop()
			return nil, err
		}
		id := fmt.Sprintf("%s+%08x", v.Name(), v.KeyHash())
		if seen[id] {
			stop()
			return nil, fmt.Errorf("witness: %s is given twice", v.Name())
		}
		seen[id] = true
		c.keys = append(c.keys, w.Key)
		c.ws = append(c.ws, &worker{c: c, w: w, v: v, wake: make(chan struct{}, 1), urgent: make(chan struct{}, 1), known: -1,
			status: Status{Name: v.Name()}})
	}
	for _, w := range c.ws {
		c.done.Add(1)
		go func() {
			defer c.done.Done()
			w.run(ctx)
		}()
		poke(w.urgent)
	}
	return c, nil
}

// Keys returns the witnesses' verifier keys.
func (c *Cosigner) Keys() []string { return c.keys }

// Quorum returns how many cosignatures a checkpoint needs.
func (c *Cosigner) Quorum() int { return c.cfg.Quorum }

// Notify tells the witnesses' goroutines that there is a new checkpoint.
// It never blocks. A witness in backoff is tried again at once; one that
// cosigned less than Config.Interval ago, when the interval ends.
func (c *Cosigner) Notify() {
	for _, w := range c.ws {
		poke(w.wake)
	}
}

func poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Accept reports whether note holds the log's signature and valid
// cosignatures of a quorum of the witnesses.
func (c *Cosigner) Accept(msg []byte, logKey string) bool {
	_, _, err := auditlog.OpenCosigned(msg, logKey, c.keys, c.cfg.Quorum)
	return err == nil
}

// Wait returns once a quorum of witnesses cosigned a checkpoint of at
// least size events, or once every witness was asked since Wait was
// called (one that is down or refuses answers quickly: nobody waits for
// it), or when ctx is done.
func (c *Cosigner) Wait(ctx context.Context, size int64) {
	// An attempt in flight may have started before the checkpoint of
	// size was signed: wait for the one after it.
	want := make([]uint64, len(c.ws))
	for i, w := range c.ws {
		w.mu.Lock()
		want[i] = w.attempts + 1
		if w.busy {
			want[i]++
		}
		w.mu.Unlock()
		poke(w.urgent)
	}
	for {
		c.mu.Lock()
		ch := c.cond
		c.mu.Unlock()
		cosigned, asked := 0, 0
		for i, w := range c.ws {
			w.mu.Lock()
			if w.status.Size >= size {
				cosigned++
			}
			if w.attempts >= want[i] {
				asked++
			}
			w.mu.Unlock()
		}
		if cosigned >= c.cfg.Quorum || asked == len(c.ws) {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return
		}
	}
}

// attempted counts an attempt to reach the witness, and wakes Wait.
func (w *worker) attempted() {
	w.mu.Lock()
	w.attempts++
	w.busy = false
	w.mu.Unlock()
	w.c.mu.Lock()
	close(w.c.cond)
	w.c.cond = make(chan struct{})
	w.c.mu.Unlock()
}

// Status reports on every witness.
func (c *Cosigner) Status() []Status {
	out := make([]Status, len(c.ws))
	for i, w := range c.ws {
		w.mu.Lock()
		out[i] = w.status
		w.mu.Unlock()
	}
	return out
}

// Close stops the goroutines and waits for them.
func (c *Cosigner) Close() {
	c.stop()
	c.done.Wait()
}

func (w *worker) run(ctx context.Context) {
	backoff := time.Duration(0)
	var retry, paced <-chan time.Time
	var next time.Time // no routine submission before then
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.urgent:
		case <-w.wake:
			if d := time.Until(next); d > 0 && backoff == 0 {
				if paced == nil {
					paced = time.After(d)
				}
				continue
			}
		case <-retry:
		case <-paced:
		}
		retry, paced = nil, nil
		w.mu.Lock()
		w.busy = true
		w.mu.Unlock()
		err := w.submit(ctx)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			backoff = 0
			next = time.Now().Add(w.c.cfg.Interval)
		} else {
			backoff = min(max(2*backoff, w.c.cfg.MinBackoff), w.c.cfg.MaxBackoff)
			retry = time.After(backoff)
			w.fail(err, backoff)
		}
		w.attempted()
	}
}

// errConflict is a 409: the witness has another size than the one sent.
type errConflict struct{ size int64 }

func (e *errConflict) Error() string {
	return fmt.Sprintf("the witness has a tree of %d events", e.size)
}

// submit sends the newest checkpoint, if the witness has not cosigned it
// yet. After a 409 it tries again once, from the size the witness gave.
func (w *worker) submit(ctx context.Context) error {
	msg, size, err := w.c.cfg.Log.LatestCheckpoint()
	if err != nil {
		return fmt.Errorf("reading the log: %w", err)
	}
	if msg == nil {
		return nil
	}
	w.mu.Lock()
	done := w.status.OK && w.status.Size >= size
	known := w.known
	w.mu.Unlock()
	if done {
		return nil
	}
	for attempt := 0; ; attempt++ {
		if known > size {
			return fmt.Errorf("refused to ask: the witness has seen a tree of %d events, the log has %d: the log was rolled back, or the witness was shown another log with this key", known, size)
		}
		line, err := w.add(ctx, msg, size, max(known, 0))
		var ce *errConflict
		if errors.As(err, &ce) && attempt == 0 {
			known = ce.size
			w.setKnown(known)
			continue
		}
		if err != nil {
			return err
		}
		if err := w.c.cfg.Log.AddCosignature(size, line); err != nil {
			return fmt.Errorf("storing the cosignature: %w", err)
		}
		w.mu.Lock()
		recovered := !w.status.OK && w.status.Error != ""
		w.known = size
		w.status = Status{Name: w.status.Name, OK: true, Size: size}
		w.mu.Unlock()
		if recovered {
			w.c.log.Info("witness cosigns again", "witness", w.status.Name, "size", size)
		}
		return nil
	}
}

func (w *worker) setKnown(n int64) {
	w.mu.Lock()
	w.known = n
	w.mu.Unlock()
}

func (w *worker) fail(err error, retry time.Duration) {
	w.mu.Lock()
	first := w.status.Since == nil
	if first {
		now := time.Now().UTC()
		w.status.Since = &now
	}
	w.status.OK = false
	w.status.Error = err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		w.status.Error = "unreachable" // without the address, which /v1/health would show anyone
	}
	w.mu.Unlock()
	w.c.log.Warn("witness did not cosign the audit log's checkpoint; writes go on, retrying",
		"witness", w.status.Name, "err", err.Error(), "retry_in", retry.String())
}

// maxResponse bounds what is read of a witness's answer.
const maxResponse = 16 << 10

// add posts one add-checkpoint request (C2SP tlog-witness): "old N", the
// consistency proof from N, a blank line, the checkpoint note. It returns
// the witness's checked cosignature line.
func (w *worker) add(ctx context.Context, msg []byte, size, old int64) ([]byte, error) {
	var body bytes.Buffer
	fmt.Fprintf(&body, "old %d\n", old)
	if old > 0 && old < size {
		proof, err := w.c.cfg.Log.CheckpointConsistency(old, size)
		if err != nil {
			return nil, fmt.Errorf("consistency proof from %d to %d: %w", old, size, err)
		}
		for _, h := range proof {
			fmt.Fprintf(&body, "%s\n", h)
		}
	}
	body.WriteByte('\n')
	body.Write(msg)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.w.URL+"/add-checkpoint", &body)
	if err != nil {
		return nil, err
	}
	resp, err := w.c.cfg.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("unreachable: %w", err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	if len(answer) > maxResponse {
		return nil, errors.New("the answer is too large")
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusConflict:
		n, err := strconv.ParseInt(strings.TrimSpace(string(answer)), 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("409 without a tree size: %q", firstLine(answer))
		}
		return nil, &errConflict{n}
	default:
		return nil, fmt.Errorf("refused: %s: %s", resp.Status, firstLine(answer))
	}
	return w.check(msg, answer)
}

// check finds the witness's cosignature among the lines it returned and
// checks it against the checkpoint.
func (w *worker) check(msg, answer []byte) ([]byte, error) {
	for _, line := range bytes.SplitAfter(answer, []byte("\n")) {
		if len(line) == 0 || line[len(line)-1] != '\n' {
			continue
		}
		n, err := note.Open(append(bytes.Clone(msg), line...), note.VerifierList(w.v))
		if err != nil || len(n.Sigs) != 1 {
			continue
		}
		return line, nil
	}
	return nil, fmt.Errorf("no valid cosignature by %s in the answer %q", w.v.Name(), firstLine(answer))
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return strings.ToValidUTF8(s, "?")
}
