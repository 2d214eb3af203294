package plugin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/remote"
)

// Conn is the connector of one plugin, by name. Each call goes to the
// plugin's current process and stays on it to the end, so an upgrade never
// cuts a call short. A capability the plugin lacks answers
// *sdk.NotSupportedError.
type Conn struct {
	m    *Manager
	name string
}

var (
	_ sdk.ConnectorWithPoll      = (*Conn)(nil)
	_ sdk.ConnectorWithLostFound = (*Conn)(nil)
	_ sdk.ConnectorWithFallback  = (*Conn)(nil)
	_ sdk.ConnectorWithMirror    = (*Conn)(nil)
)

// Name is the plugin's name.
func (c *Conn) Name() string { return c.name }

// Describe returns the manifest the current version gave when it loaded,
// without calling the process.
func (c *Conn) Describe(context.Context, sdk.DescribeRequest) (*sdk.DescribeResponse, error) {
	in := c.m.lookup(c.name)
	if in == nil {
		return nil, fmt.Errorf("plugin %q: %w", c.name, ErrNotFound)
	}
	if err := in.loadErr(); err != nil {
		return nil, err
	}
	in.mu.Lock()
	d := *in.manifest
	in.mu.Unlock()
	return &d, nil
}

// Test runs the plugin's health check, within CallTimeout unless ctx has a
// deadline.
func (c *Conn) Test(ctx context.Context, req sdk.TestRequest) (resp *sdk.TestResponse, err error) {
	ctx, cancel := withTimeout(ctx, c.m.opts.CallTimeout)
	defer cancel()
	err = c.call(ctx, func(ctx context.Context, rc *remote.Client) (err error) {
		resp, err = rc.Test(ctx, req)
		return err
	})
	return resp, err
}

// Poll runs the "new" query, within QueryTimeout unless ctx has a deadline.
func (c *Conn) Poll(ctx context.Context, req sdk.PollRequest, out sdk.Stream) error {
	ctx, cancel := withTimeout(ctx, c.m.opts.QueryTimeout)
	defer cancel()
	return c.call(ctx, func(ctx context.Context, rc *remote.Client) error { return rc.Poll(ctx, req, out) })
}

// LostFound re-reads a recent window, within QueryTimeout unless ctx has a
// deadline.
func (c *Conn) LostFound(ctx context.Context, req sdk.WindowRequest, out sdk.Stream) error {
	ctx, cancel := withTimeout(ctx, c.m.opts.QueryTimeout)
	defer cancel()
	return c.call(ctx, func(ctx context.Context, rc *remote.Client) error { return rc.LostFound(ctx, req, out) })
}

// Fallback runs the long-window recovery query, within QueryTimeout unless
// ctx has a deadline.
func (c *Conn) Fallback(ctx context.Context, req sdk.WindowRequest, out sdk.Stream) error {
	ctx, cancel := withTimeout(ctx, c.m.opts.QueryTimeout)
	defer cancel()
	return c.call(ctx, func(ctx context.Context, rc *remote.Client) error { return rc.Fallback(ctx, req, out) })
}

// Mirror pushes one change, within CallTimeout unless ctx has a deadline.
func (c *Conn) Mirror(ctx context.Context, req sdk.MirrorRequest) (resp *sdk.MirrorResponse, err error) {
	ctx, cancel := withTimeout(ctx, c.m.opts.CallTimeout)
	defer cancel()
	err = c.call(ctx, func(ctx context.Context, rc *remote.Client) (err error) {
		resp, err = rc.Mirror(ctx, req)
		return err
	})
	return resp, err
}

// call runs fn on a pinned process and classifies what went wrong. A call
// that never reached its process, because the process had just died, is
// sent to the restarted one: it is a call arriving during a restart.
func (c *Conn) call(ctx context.Context, fn func(context.Context, *remote.Client) error) error {
	for attempt := 0; ; attempt++ {
		in, p, err := c.m.acquire(ctx, c.name)
		if err != nil {
			return err
		}
		err = fn(ctx, p.conn)
		in.release(p)
		err, unreached := p.classify(ctx, err)
		if unreached && attempt == 0 {
			continue
		}
		return err
	}
}

// confirmDeath is how long a call that failed on the transport waits for its
// process's exit to be known, so that the next call waits for the restart
// instead of finding the dead process.
const confirmDeath = 500 * time.Millisecond

// classify turns the transport errors of a dead or dying process into
// ErrUnavailable, and deadline and cancellation into errors that also match
// context.DeadlineExceeded or ctx's error.
// Errors the plugin returned (sdk types, status errors it chose) and errors
// of the caller's Stream pass through. unreached reports a call that died
// before reaching the process.
func (p *proc) classify(ctx context.Context, err error) (_ error, unreached bool) {
	if err == nil {
		return nil, false
	}
	var grpcErr interface{ GRPCStatus() *status.Status }
	if !errors.As(err, &grpcErr) {
		return err, false
	}
	st := grpcErr.GRPCStatus()
	code := st.Code()
	switch {
	case code == codes.DeadlineExceeded:
		// The plugin's side of the deadline (sent as grpc-timeout) may
		// expire a moment before ctx does: it is the same deadline.
		return fmt.Errorf("plugin %q: %w: %w", p.in.name, context.DeadlineExceeded, err), false
	case code == codes.Canceled && ctx.Err() != nil:
		return fmt.Errorf("plugin %q: %w: %w", p.in.name, ctx.Err(), err), false
	}
	if code != codes.Unavailable && !p.stopping.Load() && !p.isDead() {
		return err, false
	}
	dead := p.awaitDeath(confirmDeath)
	// grpc-go says so only in the text: the connection to the process
	// could not be made, so the call cannot have reached it.
	unreached = dead && code == codes.Unavailable && strings.Contains(strings.ToLower(st.Message()), "error while dialing")
	return fmt.Errorf("plugin %q (pid %d): %w: %w", p.in.name, p.pid, ErrUnavailable, err), unreached
}

func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}
