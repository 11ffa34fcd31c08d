package amanatest

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy is a TCP proxy on loopback that counts the bytes clients send
// through it and cuts every connection each time that count passes
// another CutEvery bytes, as a mobile link drops: the server reads what
// was forwarded, then the end of the stream; the client gets an error.
type Proxy struct {
	// URL is http://ADDR of the proxy.
	URL string
	// CutEvery is the number of bytes between cuts (0: never).
	CutEvery int64

	ln      net.Listener
	target  string
	sent    atomic.Int64
	cuts    atomic.Int64
	mu      sync.Mutex
	conns   map[net.Conn]net.Conn
	next    int64
	wg      sync.WaitGroup
	stopped atomic.Bool
	done    chan struct{} // closed by Close
	hold    int64         // under mu; 0: none
	held    chan struct{} // closed when the hold is reached
	release chan struct{} // closed by Release
}

// NewProxy starts a proxy to the server at addr (host:port) until the test
// ends.
func NewProxy(t testing.TB, addr string, cutEvery int64) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{URL: "http://" + ln.Addr().String(), CutEvery: cutEvery, ln: ln, target: addr,
		conns: map[net.Conn]net.Conn{}, next: cutEvery, done: make(chan struct{})}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.Close)
	return p
}

// Sent is how many bytes clients sent through the proxy.
func (p *Proxy) Sent() int64 { return p.sent.Load() }

// Cuts is how many times the proxy cut its connections.
func (p *Proxy) Cuts() int64 { return p.cuts.Load() }

// HoldAt makes the proxy stop forwarding what clients send once it has
// carried n bytes in all, until Release; the channel it returns is closed
// when it gets there. The connections stay open meanwhile, as on a link
// that stalls.
func (p *Proxy) HoldAt(n int64) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hold, p.held, p.release = n, make(chan struct{}), make(chan struct{})
	return p.held
}

// Release lifts the hold of HoldAt.
func (p *Proxy) Release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hold != 0 {
		p.hold = 0
		close(p.release)
	}
}

// Close stops the proxy and closes its connections.
func (p *Proxy) Close() {
	if p.stopped.Swap(true) {
		return
	}
	close(p.done)
	p.ln.Close()
	p.mu.Lock()
	for c, up := range p.conns {
		c.Close()
		up.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c] = up
		p.mu.Unlock()
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			io.Copy(c, up)
			c.Close()
		}()
		go func() {
			defer p.wg.Done()
			p.forward(c, up)
		}()
	}
}

// forward copies what the client sends to the server, counting, and cuts
// all connections when the count passes the next multiple of CutEvery.
func (p *Proxy) forward(c, up net.Conn) {
	defer func() {
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
		c.Close()
		up.(*net.TCPConn).CloseWrite()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		for data := buf[:n]; len(data) > 0; {
			room, cut, release := p.take(int64(len(data)))
			if room > 0 {
				if _, werr := up.Write(data[:room]); werr != nil {
					return
				}
				data = data[room:]
			}
			if cut {
				p.cuts.Add(1)
				p.cutAll()
				return
			}
			if release != nil {
				select {
				case <-release:
				case <-p.done:
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// take counts up to n bytes about to be forwarded and returns how many
// may go, whether the connections are then cut, and, if the hold is
// reached, what to wait for.
func (p *Proxy) take(n int64) (room int64, cut bool, release chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	sent := p.sent.Load()
	room = n
	if p.CutEvery > 0 && sent+room >= p.next {
		room, cut = p.next-sent, true
	}
	if p.hold > 0 && sent+room >= p.hold {
		room, cut, release = max(0, p.hold-sent), false, p.release
		select {
		case <-p.held:
		default:
			close(p.held)
		}
	}
	if cut {
		p.next += p.CutEvery
	}
	p.sent.Add(room)
	return room, cut, release
}

// cutAll ends every connection: the client's side at once, the server's
// after what was forwarded.
func (p *Proxy) cutAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c, up := range p.conns {
		c.Close()
		up.(*net.TCPConn).CloseWrite()
		delete(p.conns, c)
	}
}
