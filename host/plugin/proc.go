package plugin

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/remote"
)

const (
	// exitPoll is how often a process is checked for having exited:
	// go-plugin only tells by Client.Exited.
	exitPoll = 100 * time.Millisecond
	// stopGrace is how long a graceful stop may take before the process
	// group is killed. go-plugin itself waits 2 s after its shutdown call.
	stopGrace = 3 * time.Second
)

// proc is one running plugin process.
type proc struct {
	in      *instance
	client  *goplugin.Client
	rpc     goplugin.ClientProtocol
	conn    *remote.Client
	cmd     *exec.Cmd
	pid     int
	started time.Time

	inflight int // guarded by in.mu

	// stopping is set once the manager kills or stops the process itself,
	// so transport errors that follow are its doing.
	stopping atomic.Bool
	reason   atomic.Pointer[string]
	dead     chan struct{}
	deadOnce sync.Once
	stopOnce sync.Once
}

// start runs the plugin file, completes the handshake and checks its
// Describe, all within StartTimeout.
func (in *instance) start(ctx context.Context) (*proc, *sdk.DescribeResponse, error) {
	timeout := in.m.opts.StartTimeout
	deadline := time.Now().Add(timeout)
	cmd := exec.Command(in.exe)
	cmd.Env = pluginEnv()
	ownProcessGroup(cmd)
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  remote.Handshake,
		Plugins:          remote.Plugins,
		Cmd:              cmd,
		SecureConfig:     &goplugin.SecureConfig{Checksum: in.sum, Hash: sha256.New()},
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		GRPCDialOptions:  remote.CallOptions,
		StartTimeout:     timeout,
		Logger:           flatLogger{in.log},
		SkipHostEnv:      true, // cmd.Env is the host's, filtered
	})
	p := &proc{in: in, client: client, cmd: cmd, started: time.Now(), dead: make(chan struct{})}
	rpc, err := client.Client()
	// cmd.Process is set by the Start inside client.Client, on this goroutine.
	if cmd.Process != nil {
		p.pid = cmd.Process.Pid
	}
	if err != nil {
		p.abort("failed to start")
		return nil, nil, startError(err, timeout)
	}
	p.rpc = rpc
	if p.conn, err = remote.Dispense(rpc); err != nil {
		p.abort("failed to start")
		return nil, nil, err
	}
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	d, err := p.conn.Describe(dctx, sdk.DescribeRequest{})
	if err != nil {
		p.abort("describe failed")
		if dctx.Err() != nil && ctx.Err() == nil {
			return nil, nil, fmt.Errorf("describe did not answer within %s", timeout)
		}
		return nil, nil, fmt.Errorf("describe: %w", err)
	}
	if d.Name != in.name {
		p.abort("misnamed")
		return nil, nil, fmt.Errorf("the file %s%s describes itself as plugin %q: the two names must match", FilePrefix, in.name, d.Name)
	}
	go p.watch(in.m.opts.PingInterval, in.m.opts.PingTimeout)
	return p, d, nil
}

// startError turns go-plugin's start errors, some of them long multi-line
// texts, into one line saying what is wrong with the file.
func startError(err error, timeout time.Duration) error {
	msg := err.Error()
	first, _, _ := strings.Cut(msg, "\n")
	switch {
	case errors.Is(err, goplugin.ErrChecksumsDoNotMatch):
		return errors.New("checksum mismatch: the file changed since it was scanned; rescan to load the new one")
	case strings.HasPrefix(msg, "Unrecognized remote plugin message"):
		return fmt.Errorf("not an outpost plugin: the go-plugin handshake failed: %s", strings.TrimSpace(first))
	case strings.HasPrefix(msg, "plugin exited before we could connect"):
		return errors.New("not an outpost plugin: it exited before completing the go-plugin handshake")
	case strings.HasPrefix(msg, "timeout while waiting for plugin to start"):
		return fmt.Errorf("not an outpost plugin: no go-plugin handshake within %s", timeout)
	case strings.HasPrefix(msg, "incompatible API version"):
		return fmt.Errorf("protocol version mismatch: %s", first)
	}
	return fmt.Errorf("starting plugin: %s", strings.Join(strings.Fields(msg), " "))
}

// pluginEnv is the host's environment without the OUTPOST_* variables: the
// host's secrets are no business of third-party code.
func pluginEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OUTPOST_") {
			env = append(env, kv)
		}
	}
	return env
}

// watch notices an exit within exitPoll, and kills a process whose ping is
// not answered within timeout.
func (p *proc) watch(interval, timeout time.Duration) {
	exits := time.NewTicker(exitPoll)
	defer exits.Stop()
	pings := time.NewTicker(interval)
	defer pings.Stop()
	var (
		pong  chan error
		limit <-chan time.Time
	)
	for {
		select {
		case <-p.dead:
			return
		case <-exits.C:
			if p.exited() {
				return
			}
		case <-pings.C:
			if pong != nil || p.stopping.Load() {
				continue
			}
			// Ping takes no ctx: a hung process never answers, and the
			// goroutine ends with the connection once the process is killed.
			pong = make(chan error, 1)
			go func(c chan<- error) { c <- p.rpc.Ping() }(pong)
			limit = time.After(timeout)
		case err := <-pong:
			pong, limit = nil, nil
			if err != nil && !p.stopping.Load() && !p.client.Exited() {
				p.in.log.Warn("plugin ping failed, killing it", "name", p.in.name, "pid", p.pid, "error", err)
				p.kill("killed: ping failed: " + err.Error())
			}
		case <-limit:
			pong, limit = nil, nil
			p.in.log.Warn("plugin hung, killing it", "name", p.in.name, "pid", p.pid, "ping_timeout", timeout.String())
			p.kill(fmt.Sprintf("hung (ping not answered within %s), killed", timeout))
		}
	}
}

// exitReason describes how the process ended. cmd.ProcessState is safe to
// read once Exited is true: go-plugin sets it before, under its lock.
func (p *proc) exitReason() string {
	if r := p.reason.Load(); r != nil {
		return *r
	}
	if st := p.cmd.ProcessState; st != nil {
		return "exited (" + st.String() + ")"
	}
	return "exited"
}

// kill ends the process and its group at once.
func (p *proc) kill(reason string) {
	p.reason.CompareAndSwap(nil, &reason)
	p.stopping.Store(true)
	killGroup(p.cmd)
}

// abort ends a process that failed its start: nothing to be graceful about,
// and whatever it forked must not keep go-plugin waiting on its pipes.
func (p *proc) abort(reason string) {
	p.kill(reason)
	p.stop(reason)
}

// stop ends the process, gracefully if it answers (go-plugin's shutdown
// call), else by killing its group, and waits until it is gone.
func (p *proc) stop(reason string) {
	p.stopOnce.Do(func() {
		p.reason.CompareAndSwap(nil, &reason)
		p.stopping.Store(true)
		done := make(chan struct{})
		go func() {
			p.client.Kill()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(stopGrace):
			// A stopped (SIGSTOP) process never answers the shutdown call,
			// and children holding its pipes keep go-plugin waiting.
			p.kill(reason)
			<-done
		}
		p.markDead(p.exitReason())
	})
}

func (p *proc) markDead(reason string) {
	p.deadOnce.Do(func() {
		p.reason.CompareAndSwap(nil, &reason)
		close(p.dead)
	})
}

func (p *proc) isDead() bool { return isClosed(p.dead) }

// exited reports whether the process is known to be gone, marking it dead
// at once when go-plugin saw it exit before the watcher did.
func (p *proc) exited() bool {
	if p.isDead() {
		return true
	}
	if p.client.Exited() {
		p.markDead(p.exitReason())
		return true
	}
	return false
}

// awaitDeath waits up to d for the process to be gone.
func (p *proc) awaitDeath(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for !p.exited() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

func (p *proc) deathReason() string {
	if r := p.reason.Load(); r != nil {
		return *r
	}
	return "exited"
}

// flatLogger keeps everything go-plugin logs for one plugin, the plugin's
// own stderr included, under plugin.<name>: go-plugin would append the
// binary's file name (plugin.splunk.outpost-plugin-splunk).
type flatLogger struct{ hclog.Logger }

func (l flatLogger) Named(string) hclog.Logger      { return l }
func (l flatLogger) ResetNamed(string) hclog.Logger { return l }
func (l flatLogger) With(args ...any) hclog.Logger  { return flatLogger{l.Logger.With(args...)} }
