package plugin

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/outpost-soc/outpost/sdk"
)

// Options configures a Manager. Zero durations take the defaults.
type Options struct {
	// Dir is the plugin directory.
	Dir string
	// Logger is the root logger; each plugin logs under Named("plugin.<name>").
	Logger hclog.Logger
	// StartTimeout caps a plugin's start and Describe (default 10 s), and how
	// long a call waits for a restarting plugin.
	StartTimeout time.Duration
	// PingInterval is how often each process is pinged (default 1 s).
	PingInterval time.Duration
	// PingTimeout is how long a ping may go unanswered before the process is
	// hung and killed (default 5 s).
	PingTimeout time.Duration
	// QueryTimeout bounds Poll, LostFound and Fallback when the caller's ctx
	// has no deadline (default 5 min).
	QueryTimeout time.Duration
	// CallTimeout bounds Test and Mirror when the caller's ctx has no
	// deadline (default 30 s).
	CallTimeout time.Duration
}

// The defaults of Options.
const (
	DefaultStartTimeout = 10 * time.Second
	DefaultPingInterval = time.Second
	DefaultPingTimeout  = 5 * time.Second
	DefaultQueryTimeout = 5 * time.Minute
	DefaultCallTimeout  = 30 * time.Second
)

// State is whether a plugin can take calls.
type State string

// The states of Info.
const (
	StateReady  State = "READY"
	StateFailed State = "FAILED"
)

// Info is what the manager knows of one plugin binary. The slices and the
// schema are shared: do not modify them.
type Info struct {
	// Name is the file name's suffix (outpost-plugin-<Name>): the
	// integration type.
	Name            string
	Version         string
	Vendor          string
	Category        sdk.Category
	Capabilities    []sdk.Capability
	Schema          sdk.Schema
	DefaultSchedule sdk.Schedule
	// SHA256 is the hex sha256 of the binary, when it could be read.
	SHA256 string
	// Path is the binary's path in the plugin directory.
	Path  string
	State State
	// Error says why the plugin is FAILED; empty when READY.
	Error string
	// PID is the current process, 0 when none is running.
	PID int
	// Restarts counts the restarts of this version after a crash or hang.
	Restarts int
}

// Manager runs the plugins of one directory. Its methods are safe for
// concurrent use.
type Manager struct {
	opts Options
	log  hclog.Logger

	// ctx is cancelled by Close; restarts run under it.
	ctx    context.Context
	cancel context.CancelFunc

	scanMu  sync.Mutex // one Scan at a time
	scanned atomic.Bool

	mu      sync.Mutex
	closed  bool
	plugins map[string]*instance
	// live holds every instance whose process may still run, draining
	// ones included, so that Close can stop them all.
	live map[*instance]struct{}
}

// New returns a Manager for opts.Dir. It starts nothing until Scan.
func New(opts Options) *Manager {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opts.StartTimeout, DefaultStartTimeout)
	def(&opts.PingInterval, DefaultPingInterval)
	def(&opts.PingTimeout, DefaultPingTimeout)
	def(&opts.QueryTimeout, DefaultQueryTimeout)
	def(&opts.CallTimeout, DefaultCallTimeout)
	ctx, cancel := context.WithCancel(context.Background())
	return &Manager{
		opts:    opts,
		log:     opts.Logger,
		ctx:     ctx,
		cancel:  cancel,
		plugins: map[string]*instance{},
		live:    map[*instance]struct{}{},
	}
}

// Scanned reports whether a Scan has read the directory at least once
// (whatever became of each plugin in it): the readiness /healthz waits for.
func (m *Manager) Scanned() bool { return m.scanned.Load() }

// List returns every plugin found by the last Scan, sorted by name.
func (m *Manager) List() []Info {
	m.mu.Lock()
	ins := slices.Collect(maps.Values(m.plugins))
	m.mu.Unlock()
	out := make([]Info, 0, len(ins))
	for _, in := range ins {
		out = append(out, in.snapshot())
	}
	slices.SortFunc(out, func(a, b Info) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return out
}

// Get returns the plugin called name.
func (m *Manager) Get(name string) (Info, bool) {
	in := m.lookup(name)
	if in == nil {
		return Info{}, false
	}
	return in.snapshot(), true
}

// Connector returns the connector of the plugin called name. The *Conn
// follows the plugin across restarts and upgrades; it fails with ErrNotFound
// once the plugin is removed. Connector itself fails with ErrNotFound for an
// unknown name and ErrNotReady for a plugin that failed to load.
func (m *Manager) Connector(name string) (*Conn, error) {
	m.mu.Lock()
	closed := m.closed
	in := m.plugins[name]
	m.mu.Unlock()
	switch {
	case closed:
		return nil, ErrClosed
	case in == nil:
		return nil, fmt.Errorf("plugin %q: %w", name, ErrNotFound)
	}
	if err := in.loadErr(); err != nil {
		return nil, err
	}
	return &Conn{m: m, name: name}, nil
}

// Close stops every plugin process and waits until they are gone. Calls in
// flight fail with ErrUnavailable; later calls with ErrClosed.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.cancel()
	m.mu.Unlock()

	// A Scan in progress installs nothing once closed is set, and stops
	// what it started itself; wait for it so that nothing outlives Close.
	m.scanMu.Lock()
	defer m.scanMu.Unlock()

	m.mu.Lock()
	live := slices.Collect(maps.Keys(m.live))
	m.mu.Unlock()
	for _, in := range live {
		in.kill()
	}
	for _, in := range live {
		<-in.done
	}
	m.log.Info("plugin manager closed", "stopped", len(live))
	return nil
}

func (m *Manager) lookup(name string) *instance {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.plugins[name]
}

// acquire returns a live process of the plugin called name, pinned until
// release is called. While the plugin restarts it waits up to StartTimeout.
func (m *Manager) acquire(ctx context.Context, name string) (*instance, *proc, error) {
	wait := time.NewTimer(m.opts.StartTimeout)
	defer wait.Stop()
	for {
		m.mu.Lock()
		closed := m.closed
		in := m.plugins[name]
		m.mu.Unlock()
		switch {
		case closed:
			return nil, nil, ErrClosed
		case in == nil:
			return nil, nil, fmt.Errorf("plugin %q: %w", name, ErrNotFound)
		}
		p, changed, err := in.tryAcquire()
		switch {
		case err != nil:
			return nil, nil, err
		case p != nil:
			return in, p, nil
		case changed == nil:
			// in was replaced or removed after the lookup: look again.
			continue
		}
		select {
		case <-changed:
		case <-wait.C:
			return nil, nil, in.unavailable()
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("plugin %q: waiting for its process: %w", name, ctx.Err())
		}
	}
}
