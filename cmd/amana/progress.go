package main

import (
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
)

// progressThreshold is the size from which transfers show a progress bar.
const progressThreshold = 4 << 20

// progress is a progress bar on stderr, or nothing: it is shown only for
// transfers larger than progressThreshold when stderr is a terminal, so
// scripts and logs stay clean.
type progress struct{ bar *progressbar.ProgressBar }

func newProgress(size int64, what string) *progress {
	if size <= progressThreshold || !isTerminal(os.Stderr) {
		return &progress{}
	}
	return &progress{bar: progressbar.DefaultBytes(size, what)}
}

// reader counts what r yields.
func (p *progress) reader(r io.Reader) io.Reader {
	if p.bar == nil {
		return r
	}
	return io.TeeReader(r, p.bar)
}

// writer counts what goes to w.
func (p *progress) writer(w io.Writer) io.Writer {
	if p.bar == nil {
		return w
	}
	return io.MultiWriter(w, p.bar)
}

// end finishes the bar, or clears it on failure so that the one-line error
// stands alone.
func (p *progress) end(err error) {
	if p.bar == nil {
		return
	}
	if err != nil {
		p.bar.Clear()
		return
	}
	p.bar.Finish()
}

// set shows n bytes done (a resumed transfer starts where it left off).
func (p *progress) set(n int64) {
	if p.bar == nil {
		return
	}
	p.bar.Set64(n)
}
