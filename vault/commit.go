package vault

import (
	"errors"

	"go.etcd.io/bbolt"
)

// committer is group commit for audited writes. One goroutine takes every
// queued write, runs them in a single transaction, signs one audit
// checkpoint for the result and commits: concurrent requests share one
// fsync and one signature, and a lone request waits for nobody. Every
// committed state of the log is covered by a signed checkpoint, so even
// the newest events cannot be altered without the signing key.
//
// If one write fails, the transaction is rolled back and each write of
// the batch runs again in a transaction of its own, so one request's
// failure never undoes another's work.
type committer struct {
	db    *bbolt.DB
	sign  func(*bbolt.Tx) error
	after func() // called after every commit (a new checkpoint, maybe)
	calls chan *call
	done  chan struct{}
}

type call struct {
	fn  func(*bbolt.Tx) error
	err chan error
}

// maxBatch bounds how many writes share one transaction.
const maxBatch = 1000

var errClosed = errors.New("vault: closed")

func newCommitter(db *bbolt.DB, sign func(*bbolt.Tx) error, after func()) *committer {
	c := &committer{db: db, sign: sign, after: after, calls: make(chan *call, maxBatch), done: make(chan struct{})}
	go c.loop()
	return c
}

// do runs fn in a signed, group-committed write transaction. fn may run
// more than once and must not keep state between runs.
func (c *committer) do(fn func(*bbolt.Tx) error) (err error) {
	cl := &call{fn: fn, err: make(chan error, 1)}
	defer func() {
		if recover() != nil { // send on closed channel: the vault is closed
			err = errClosed
		}
	}()
	c.calls <- cl
	return <-cl.err
}

func (c *committer) loop() {
	defer close(c.done)
	for cl := range c.calls {
		batch := []*call{cl}
	fill:
		for len(batch) < maxBatch {
			select {
			case more, ok := <-c.calls:
				if !ok {
					break fill
				}
				batch = append(batch, more)
			default:
				break fill
			}
		}
		c.run(batch)
	}
}

var errRetrySolo = errors.New("retry solo")

func (c *committer) run(batch []*call) {
	if len(batch) > 1 {
		err := c.db.Update(func(tx *bbolt.Tx) error {
			for _, cl := range batch {
				if err := cl.fn(tx); err != nil {
					return errRetrySolo
				}
			}
			return c.sign(tx)
		})
		if err == nil {
			c.after()
			for _, cl := range batch {
				cl.err <- nil
			}
			return
		}
	}
	for _, cl := range batch {
		err := c.db.Update(func(tx *bbolt.Tx) error {
			if err := cl.fn(tx); err != nil {
				return err
			}
			return c.sign(tx)
		})
		c.after()
		cl.err <- err
	}
}

// close stops the committer after the queued writes are done. No write may
// be started after close.
func (c *committer) close() {
	close(c.calls)
	<-c.done
}
