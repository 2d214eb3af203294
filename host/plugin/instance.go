package plugin

import (
	"context"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/outpost-soc/outpost/sdk"
)

// Restart backoff: the first restart after a crash comes after minBackoff,
// each failed one doubles it up to maxBackoff, and a process that ran for
// stablePeriod resets it.
const (
	minBackoff   = 250 * time.Millisecond
	maxBackoff   = 30 * time.Second
	stablePeriod = time.Minute
)

// instance is one version (one checked file and sha256) of one plugin and
// the supervisor of its process. A rescan that finds the file changed makes
// a new instance; the old one drains.
type instance struct {
	m    *Manager
	log  hclog.Logger
	name string
	path string // in the plugin directory
	exe  string // what runs
	sha  string
	sum  []byte // sha decoded: go-plugin checks it before every start

	drainc    chan struct{} // closed: stop after the calls in flight
	killc     chan struct{} // closed: stop now
	idle      chan struct{} // poked when a draining process has no call left
	done      chan struct{} // closed once supervision ended and no process is left
	drainOnce sync.Once
	killOnce  sync.Once

	mu       sync.Mutex
	info     Info
	manifest *sdk.DescribeResponse
	loaded   bool // false: the first start failed; the instance is inert
	stopping bool
	cur      *proc
	changed  chan struct{} // closed and replaced whenever cur or info changes
	lastErr  error         // why there is no process, while there is none
}

func newInstance(m *Manager, c candidate) *instance {
	sum, _ := hex.DecodeString(c.sha)
	return &instance{
		m: m, log: m.log.Named("plugin." + c.name),
		name: c.name, path: c.path, exe: c.exe, sha: c.sha, sum: sum,
		drainc: make(chan struct{}), killc: make(chan struct{}),
		idle: make(chan struct{}, 1), done: make(chan struct{}),
		changed: make(chan struct{}),
		info:    Info{Name: c.name, Path: c.path, SHA256: c.sha, State: StateFailed},
	}
}

// load checks and starts one plugin file; what comes back is READY and
// supervised, or FAILED and inert.
func (m *Manager) load(ctx context.Context, c candidate) *instance {
	in := newInstance(m, c)
	if c.err != nil {
		in.fail(c.err)
		return in
	}
	p, d, err := in.start(ctx)
	if err != nil {
		in.fail(err)
		return in
	}
	in.mu.Lock()
	in.loaded = true
	in.manifest = d
	in.info.Version, in.info.Vendor, in.info.Category = d.Version, d.Vendor, d.Category
	in.info.Capabilities, in.info.Schema, in.info.DefaultSchedule = d.Capabilities, d.Schema, d.DefaultSchedule
	in.setCur(p)
	in.mu.Unlock()
	in.log.Info("plugin loaded", "name", c.name, "version", d.Version, "sha256", c.sha, "pid", p.pid)

	m.mu.Lock()
	m.live[in] = struct{}{}
	m.mu.Unlock()
	go in.supervise(p)
	return in
}

// fail records a plugin that could not load.
func (in *instance) fail(err error) {
	in.mu.Lock()
	in.info.State, in.info.Error = StateFailed, err.Error()
	in.lastErr = err
	in.mu.Unlock()
	close(in.done)
	in.log.Warn("plugin failed", "name", in.name, "path", in.path, "sha256", in.sha, "error", err)
}

// setCur installs p (nil: none) as the process new calls go to; in.mu held.
func (in *instance) setCur(p *proc) {
	in.cur = p
	if p != nil {
		in.info.State, in.info.Error, in.info.PID = StateReady, "", p.pid
		in.lastErr = nil
	} else {
		in.info.PID = 0
	}
	in.notify()
}

// notify wakes the calls waiting for a change; in.mu held.
func (in *instance) notify() {
	close(in.changed)
	in.changed = make(chan struct{})
}

// unchanged reports whether c is the file this instance already runs, so a
// rescan keeps it. A failed instance is never kept: a rescan retries it.
func (in *instance) unchanged(c candidate) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.loaded && in.sha == c.sha && in.exe == c.exe && in.path == c.path
}

func (in *instance) snapshot() Info {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.info
}

// loadErr is ErrNotReady, wrapped with the reason, for a plugin that failed
// to load.
func (in *instance) loadErr() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.loaded {
		return nil
	}
	return fmt.Errorf("plugin %q: %w: %s", in.name, ErrNotReady, in.info.Error)
}

// tryAcquire pins the current process; or it returns a channel closed when
// there may be one; or neither, when this instance is going away.
func (in *instance) tryAcquire() (*proc, <-chan struct{}, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	switch {
	case !in.loaded:
		return nil, nil, fmt.Errorf("plugin %q: %w: %s", in.name, ErrNotReady, in.info.Error)
	case in.stopping:
		return nil, nil, nil
	case in.cur != nil && !in.cur.exited():
		in.cur.inflight++
		return in.cur, nil, nil
	}
	return nil, in.changed, nil
}

// release unpins p.
func (in *instance) release(p *proc) {
	in.mu.Lock()
	defer in.mu.Unlock()
	p.inflight--
	if p.inflight == 0 && in.stopping {
		select {
		case in.idle <- struct{}{}:
		default:
		}
	}
}

// unavailable is the error for a call that found no process in time.
func (in *instance) unavailable() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.lastErr != nil {
		return fmt.Errorf("plugin %q is restarting: %w: %w", in.name, ErrUnavailable, in.lastErr)
	}
	return fmt.Errorf("plugin %q is restarting: %w", in.name, ErrUnavailable)
}

// drain stops the instance once the calls in flight have ended.
func (in *instance) drain() {
	in.drainOnce.Do(func() {
		in.mu.Lock()
		in.stopping = true
		in.notify()
		in.mu.Unlock()
		close(in.drainc)
	})
}

// kill stops the instance now; calls in flight fail with ErrUnavailable.
func (in *instance) kill() {
	in.killOnce.Do(func() {
		in.mu.Lock()
		in.stopping = true
		in.notify()
		in.mu.Unlock()
		close(in.killc)
	})
}

// supervise keeps a process running, from the loaded one p on, until the
// instance is drained or killed.
func (in *instance) supervise(p *proc) {
	defer func() {
		in.m.mu.Lock()
		delete(in.m.live, in)
		in.m.mu.Unlock()
		close(in.done)
	}()
	backoff := minBackoff
	for {
		select {
		case <-p.dead:
		case <-in.drainc:
			in.drainProc(p)
			return
		case <-in.killc:
			p.stop("plugin manager closed")
			return
		}
		reason := p.deathReason()
		lived := time.Since(p.started)
		in.mu.Lock()
		if in.cur == p {
			in.setCur(nil)
		}
		in.lastErr = fmt.Errorf("process %d %s", p.pid, reason)
		in.mu.Unlock()
		p.stop(reason) // releases go-plugin's resources; the process is already gone
		in.log.Warn("plugin process exited", "name", in.name, "pid", p.pid, "reason", reason,
			"ran_for", lived.Round(time.Millisecond).String())
		if lived >= stablePeriod {
			backoff = minBackoff
		}

		for {
			select {
			case <-time.After(backoff):
			case <-in.drainc:
				return
			case <-in.killc:
				return
			}
			backoff = min(backoff*2, maxBackoff)
			np, d, err := in.start(in.m.ctx)
			if err != nil {
				in.mu.Lock()
				in.info.State, in.info.Error = StateFailed, "restart failed: "+err.Error()
				in.lastErr = err
				in.notify()
				in.mu.Unlock()
				in.log.Error("plugin restart failed", "name", in.name, "sha256", in.sha,
					"error", err, "next_attempt_in", backoff.String())
				continue
			}
			in.mu.Lock()
			if in.stopping {
				in.mu.Unlock()
				np.stop("plugin stopped during its restart")
				return
			}
			in.info.Restarts++
			in.info.Version = d.Version
			in.setCur(np)
			restarts := in.info.Restarts
			in.mu.Unlock()
			in.log.Info("plugin restarted", "name", in.name, "version", d.Version, "sha256", in.sha,
				"pid", np.pid, "restarts", restarts)
			p = np
			break
		}
	}
}

// drainProc waits for the calls pinned to p to end, then stops it.
func (in *instance) drainProc(p *proc) {
	for {
		in.mu.Lock()
		n := p.inflight
		in.mu.Unlock()
		if n == 0 {
			break
		}
		in.log.Info("plugin draining", "name", in.name, "pid", p.pid, "calls_in_flight", n)
		select {
		case <-in.idle:
		case <-p.dead:
		case <-in.killc:
		}
		if p.isDead() || isClosed(in.killc) {
			break
		}
	}
	p.stop("drained")
	in.log.Info("plugin stopped", "name", in.name, "version", in.snapshot().Version, "sha256", in.sha, "pid", p.pid)
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
