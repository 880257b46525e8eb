package pgtest

import (
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
)

// Proxy is a TCP proxy on loopback in front of the server, to take the
// database away from a store without touching the server: Cut breaks every
// connection through it and refuses new ones until Restore.
type Proxy struct {
	ln       net.Listener
	upstream string

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]bool
	// budget is how many more bytes clients may send before the proxy
	// cuts; negative for no limit.
	budget int64
}

// NewProxy starts a proxy to the server of dsn, stopped when the test ends,
// and returns it with dsn rewritten to go through it.
func NewProxy(t testing.TB, dsn string) (*Proxy, string) {
	t.Helper()
	upstream, err := hostPort(dsn)
	if err != nil {
		t.Fatalf("pgtest: proxy: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pgtest: proxy: %v", err)
	}
	p := &Proxy{ln: ln, upstream: upstream, conns: map[net.Conn]bool{}, budget: -1}
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.serve()
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
		p.Cut()
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("pgtest: proxy: %v", err)
	}
	u.Host = ln.Addr().String()
	return p, u.String()
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.handle(c)
	}
}

func (p *Proxy) handle(client net.Conn) {
	if !p.track(client) {
		_ = client.Close()
		return
	}
	server, err := net.Dial("tcp", p.upstream)
	if err != nil || !p.track(server) {
		if server != nil {
			_ = server.Close()
		}
		p.drop(client)
		return
	}
	go func() {
		p.pipe(server, client, true)
		p.drop(server)
		p.drop(client)
	}()
	_, _ = io.Copy(client, server)
	p.drop(server)
	p.drop(client)
}

// pipe copies from src to dst; counted copies spend the budget and cut all
// connections when it runs out.
func (p *Proxy) pipe(dst, src net.Conn, counted bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			chunk, cutAfter := buf[:n], false
			if counted {
				chunk, cutAfter = p.spend(chunk)
			}
			if len(chunk) > 0 {
				if _, werr := dst.Write(chunk); werr != nil {
					return
				}
			}
			if cutAfter {
				p.Cut()
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// spend takes what of b the budget allows and reports whether the budget is
// then spent.
func (p *Proxy) spend(b []byte) ([]byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.budget < 0 {
		return b, false
	}
	if int64(len(b)) < p.budget {
		p.budget -= int64(len(b))
		return b, false
	}
	b = b[:p.budget]
	p.budget = 0
	return b, true
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return false
	}
	p.conns[c] = true
	return true
}

func (p *Proxy) drop(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	_ = c.Close()
}

// Cut closes every connection through the proxy and refuses new ones (it
// accepts and closes them at once) until Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	p.cut = true
	conns := p.conns
	p.conns = map[net.Conn]bool{}
	p.mu.Unlock()
	for c := range conns {
		_ = c.Close()
	}
}

// CutAfter lets clients send n more bytes, over all connections, and then
// cuts as Cut does, in the middle of whatever was being sent.
func (p *Proxy) CutAfter(n int64) {
	if n < 0 {
		panic(errors.New("pgtest: negative budget"))
	}
	p.mu.Lock()
	p.budget = n
	p.mu.Unlock()
}

// Restore lets connections through again, without a limit.
func (p *Proxy) Restore() {
	p.mu.Lock()
	p.cut = false
	p.budget = -1
	p.mu.Unlock()
}
