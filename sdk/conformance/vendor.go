package conformance

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// served is Options.Vendor on a loopback server, behind a gate that the
// Cancel subtest shuts to catch the plugin in the middle of a vendor call.
type served struct {
	vendor fakevendor.Vendor
	base   string
	gate   gate
}

func serve(t *testing.T, v fakevendor.Vendor) *served {
	s := &served{vendor: v}
	srv := httptest.NewServer(s.gate.wrap(fakevendor.Mux(v)))
	// Cleanups run last-in first-out: release any held request before
	// Close waits for the handlers to return.
	t.Cleanup(srv.Close)
	t.Cleanup(s.gate.open)
	s.base = srv.URL + "/" + v.Name()
	return s
}

// mirrored counts the write-backs the vendor accepted.
func (s *served) mirrored() int { return len(s.vendor.Store().State().Mirror) }

// gate holds vendor requests while shut, until the client gives up or the
// gate opens again.
type gate struct {
	mu      sync.Mutex
	shut    bool
	held    chan *http.Request
	release chan struct{}
}

// close makes the gate hold every request from now on and returns the
// channel on which it reports each one it holds.
func (g *gate) close() <-chan *http.Request {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.shut {
		g.shut, g.held, g.release = true, make(chan *http.Request, 16), make(chan struct{})
	}
	return g.held
}

// open lets requests through again and answers the held ones.
func (g *gate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shut {
		g.shut = false
		close(g.release)
	}
}

func (g *gate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		shut, held, release := g.shut, g.held, g.release
		g.mu.Unlock()
		if !shut {
			next.ServeHTTP(w, r)
			return
		}
		// Read the body first: until it is read, net/http does not watch the
		// connection, and a client that hangs up mid-POST would go unseen.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case held <- r:
		default:
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
		http.Error(w, "held by the conformance kit", http.StatusServiceUnavailable)
	})
}
