package plugin

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/sdk"
)

func TestLoadAndCall(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := place(t, dir, bins.basic, "outpost-plugin-basic")
	m, logs := newManager(t, dir, Options{})
	if m.Scanned() {
		t.Fatal("scanned before Scan")
	}
	scan(t, m)
	if !m.Scanned() {
		t.Fatal("not scanned after Scan")
	}

	info := mustReady(t, m, "basic")
	sum, err := fileSHA256(path)
	if err != nil {
		t.Fatal(err)
	}
	wantCaps := []sdk.Capability{sdk.CapabilityPoll, sdk.CapabilityLostFound, sdk.CapabilityFallback, sdk.CapabilityMirror}
	switch {
	case info.Version != "1.0.0" || info.Vendor != "Outpost tests" || info.Category != sdk.CategorySecurity:
		t.Errorf("manifest: %+v", info)
	case !slices.Equal(info.Capabilities, wantCaps):
		t.Errorf("capabilities %v, want %v", info.Capabilities, wantCaps)
	case info.SHA256 != sum || info.Path != path || info.PID == 0 || info.Error != "":
		t.Errorf("file facts: %+v (sha256 %s)", info, sum)
	case info.DefaultSchedule.NewIntervalS != 30:
		t.Errorf("default schedule %+v", info.DefaultSchedule)
	}
	if f, ok := info.Schema.Field("token"); !ok || !f.IsSecret() {
		t.Errorf("schema lacks the secret token field: %+v", info.Schema)
	}
	if l := m.List(); len(l) != 1 || l[0].Name != "basic" {
		t.Errorf("list: %+v", l)
	}

	c := conn(t, m, "basic")
	ctx := context.Background()
	t.Run("describe", func(t *testing.T) {
		d, err := c.Describe(ctx, sdk.DescribeRequest{})
		if err != nil || d.Name != "basic" || d.SDKVersion != sdk.Version {
			t.Fatalf("describe: %+v, %v", d, err)
		}
	})
	t.Run("test", func(t *testing.T) {
		r, err := c.Test(ctx, sdk.TestRequest{Integration: integ(nil)})
		if err != nil || !r.OK || r.Details["pid"] != strconv.Itoa(info.PID) {
			t.Fatalf("test: %+v, %v", r, err)
		}
	})
	t.Run("poll", func(t *testing.T) {
		var got collector
		err := c.Poll(ctx, sdk.PollRequest{Integration: integ(sdk.Config{"events": 23, "batch": 5})}, &got)
		if err != nil || len(got.ids) != 23 || got.lastCursor() != "23" || len(got.cursors) != 5 {
			t.Fatalf("poll: %d events, cursors %v, %v", len(got.ids), got.cursors, err)
		}
	})
	t.Run("windows", func(t *testing.T) {
		var lf, fb collector
		w := sdk.WindowRequest{Integration: integ(sdk.Config{"events": 3}), From: time.Now().Add(-time.Hour), To: time.Now()}
		if err := c.LostFound(ctx, w, &lf); err != nil || len(lf.ids) != 3 {
			t.Fatalf("lost-found: %v, %v", lf.ids, err)
		}
		if err := c.Fallback(ctx, w, &fb); err != nil || len(fb.ids) != 3 {
			t.Fatalf("fallback: %v, %v", fb.ids, err)
		}
	})
	t.Run("mirror", func(t *testing.T) {
		r, err := c.Mirror(ctx, sdk.MirrorRequest{Integration: integ(nil), Change: sdk.Change{ID: "chg-1", Kind: sdk.ChangeComment, Comment: "hi"}})
		if err != nil || !r.Applied || r.Message != "applied chg-1" {
			t.Fatalf("mirror: %+v, %v", r, err)
		}
	})
	t.Run("typed errors pass through", func(t *testing.T) {
		err := c.Poll(ctx, sdk.PollRequest{Integration: integ(sdk.Config{"retry_after_s": 7})}, &collector{})
		var ra *sdk.RetryAfterError
		if !errors.As(err, &ra) || ra.Wait != 7*time.Second || errors.Is(err, ErrUnavailable) {
			t.Fatalf("want a *sdk.RetryAfterError of 7s, not ErrUnavailable; got %v", err)
		}
		_, err = c.Test(ctx, sdk.TestRequest{Integration: integ(sdk.Config{"nope": 1})})
		var ic *sdk.InvalidConfigError
		if !errors.As(err, &ic) || ic.Field != "nope" {
			t.Fatalf("want *sdk.InvalidConfigError on nope, got %v", err)
		}
	})
	t.Run("unknown plugin", func(t *testing.T) {
		if _, err := m.Connector("nope"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("got %v", err)
		}
		if _, ok := m.Get("nope"); ok {
			t.Fatal("found nope")
		}
	})
	t.Run("plugin logs re-levelled under plugin.basic", func(t *testing.T) {
		waitFor(t, 2*time.Second, "the plugin's warning in the host log", func() bool {
			for _, l := range logLines(logs) {
				if l["@message"] == "test called" && l["@module"] == "plugin.basic" && l["@level"] == "warn" && l["integration_id"] == "int-1" {
					return true
				}
			}
			return false
		})
		found := false
		for _, l := range logLines(logs) {
			if l["@message"] == "plugin loaded" && l["@module"] == "plugin.basic" && l["version"] == "1.0.0" && l["sha256"] == sum {
				found = true
			}
		}
		if !found {
			t.Error("no \"plugin loaded\" line with version and sha256")
		}
	})
}

func TestRefused(t *testing.T) {
	t.Parallel()
	wrongSum := strings.Repeat("ab", 32)
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string) // puts outpost-plugin-bad (or similar) in dir
		file  string                         // the refused plugin's name
		want  []string                       // in its Error
		opts  Options
	}{
		{name: "shell script", file: "bad",
			setup: func(t *testing.T, dir string) { place(t, dir, bins.scriptExit, "outpost-plugin-bad") },
			want:  []string{"not an outpost plugin", "handshake"}},
		{name: "shell script that never answers", file: "bad", opts: Options{StartTimeout: 3 * time.Second},
			setup: func(t *testing.T, dir string) { place(t, dir, bins.scriptSleep, "outpost-plugin-bad") },
			want:  []string{"not an outpost plugin", "no go-plugin handshake within 3s"}},
		{name: "plain go binary", file: "notplugin",
			setup: func(t *testing.T, dir string) { place(t, dir, bins.notplugin, "outpost-plugin-notplugin") },
			want:  []string{"not an outpost plugin", "hello, I am not a plugin"}},
		{name: "misnamed", file: "misnamed",
			setup: func(t *testing.T, dir string) { place(t, dir, bins.misnamed, "outpost-plugin-misnamed") },
			want:  []string{"outpost-plugin-misnamed", `"somebody-else"`}},
		{name: "protocol version 2", file: "protov2",
			setup: func(t *testing.T, dir string) { place(t, dir, bins.protov2, "outpost-plugin-protov2") },
			want:  []string{"protocol version mismatch", "Plugin version: 2", "Client versions: [1]"}},
		{name: "symlink outside the directory", file: "bad",
			setup: func(t *testing.T, dir string) {
				if err := os.Symlink(bins.basic, filepath.Join(dir, "outpost-plugin-bad")); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"symlink", "outside the plugin directory"}},
		{name: "world-writable", file: "bad",
			setup: func(t *testing.T, dir string) {
				copyFile(t, bins.basic, filepath.Join(dir, "outpost-plugin-bad"), 0o777)
			},
			want: []string{"world-writable"}},
		{name: "not executable", file: "bad",
			setup: func(t *testing.T, dir string) {
				copyFile(t, bins.basic, filepath.Join(dir, "outpost-plugin-bad"), 0o644)
			},
			want: []string{"not executable"}},
		{name: "directory", file: "bad",
			setup: func(t *testing.T, dir string) {
				if err := os.Mkdir(filepath.Join(dir, "outpost-plugin-bad"), 0o755); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"not a regular file"}},
		{name: "checksum mismatch", file: "extra",
			setup: func(t *testing.T, dir string) {
				place(t, dir, bins.extra, "outpost-plugin-extra")
				writePins(t, dir, map[string]string{"outpost-plugin-basic": sha(t, bins.basic), "outpost-plugin-extra": wrongSum})
			},
			want: []string{"checksum mismatch", wrongSum, sha(t, bins.extra)}},
		{name: "not pinned", file: "extra",
			setup: func(t *testing.T, dir string) {
				place(t, dir, bins.extra, "outpost-plugin-extra")
				writePins(t, dir, map[string]string{"outpost-plugin-basic": sha(t, bins.basic)})
			},
			want: []string{"not pinned", "outpost-plugin-extra", PinFile}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			place(t, dir, bins.basic, "outpost-plugin-basic")
			tc.setup(t, dir)
			m, _ := newManager(t, dir, tc.opts)
			scan(t, m)
			bad := mustGet(t, m, tc.file)
			if bad.State != StateFailed || bad.PID != 0 {
				t.Fatalf("want FAILED, got %+v", bad)
			}
			for _, w := range tc.want {
				if !strings.Contains(bad.Error, w) {
					t.Errorf("error %q lacks %q", bad.Error, w)
				}
			}
			if strings.Contains(bad.Error, "\n") {
				t.Errorf("error is not one line: %q", bad.Error)
			}
			if _, err := m.Connector(tc.file); !errors.Is(err, ErrNotReady) || !strings.Contains(err.Error(), bad.Error) {
				t.Errorf("connector: want ErrNotReady with the reason, got %v", err)
			}
			// The host is unharmed: the good plugin beside it works.
			mustReady(t, m, "basic")
			if _, err := conn(t, m, "basic").Test(context.Background(), sdk.TestRequest{Integration: integ(nil)}); err != nil {
				t.Fatalf("basic: %v", err)
			}
		})
	}
	t.Run("symlink inside the directory", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
			t.Fatal(err)
		}
		place(t, filepath.Join(dir, "bin"), bins.basic, "outpost-plugin-basic")
		if err := os.Symlink("bin/outpost-plugin-basic", filepath.Join(dir, "outpost-plugin-basic")); err != nil {
			t.Fatal(err)
		}
		m, _ := newManager(t, dir, Options{})
		scan(t, m)
		mustReady(t, m, "basic")
	})
	t.Run("no leftover processes from the sleeping script", func(t *testing.T) {
		// sh was killed at the start timeout; the sleep it forked must die
		// with its process group. Runs after the parallel cases above.
		t.Parallel()
		dir := t.TempDir()
		place(t, dir, bins.scriptSleep, "outpost-plugin-sleepy")
		m, _ := newManager(t, dir, Options{StartTimeout: 500 * time.Millisecond})
		scan(t, m)
		waitFor(t, 3*time.Second, "the script's sleep to be killed", func() bool { return len(sleepers()) == 0 })
	})
}

func sha(t testing.TB, path string) string {
	t.Helper()
	s, err := fileSHA256(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func writePins(t testing.TB, dir string, pins map[string]string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("# pinned plugin binaries\n")
	for f, s := range pins {
		b.WriteString(s + "  " + f + "\n")
	}
	if err := os.WriteFile(filepath.Join(dir, PinFile), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPinFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	place(t, dir, bins.basic, "outpost-plugin-basic")
	m, _ := newManager(t, dir, Options{})
	t.Run("pinned loads", func(t *testing.T) {
		if err := os.WriteFile(filepath.Join(dir, PinFile), []byte(sha(t, bins.basic)+" *./outpost-plugin-basic\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		scan(t, m)
		mustReady(t, m, "basic")
	})
	t.Run("malformed pin file refuses all", func(t *testing.T) {
		if err := os.WriteFile(filepath.Join(dir, PinFile), []byte("not a checksum line\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		scan(t, m)
		if info := mustGet(t, m, "basic"); info.State != StateFailed || !strings.Contains(info.Error, PinFile+" line 1") {
			t.Fatalf("got %+v", info)
		}
	})
}

func TestCrashMidStreamResumes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	place(t, dir, bins.basic, "outpost-plugin-basic")
	m, _ := newManager(t, dir, Options{})
	scan(t, m)
	first := mustReady(t, m, "basic")
	c := conn(t, m, "basic")
	ctx := context.Background()

	var got collector
	err := c.Poll(ctx, sdk.PollRequest{Integration: integ(sdk.Config{"events": 100, "batch": 10, "crash_after": 3})}, &got)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("want ErrUnavailable from the crash, got %v", err)
	}
	if n := len(got.ids); n < 10 || n > 30 || got.lastCursor() == "" {
		t.Fatalf("got %d events (cursor %q) before the crash, want 10 to 30", n, got.lastCursor())
	}
	cursor := got.lastCursor()

	// A call right after the crash waits for the restart.
	r, err := c.Test(ctx, sdk.TestRequest{Integration: integ(nil)})
	if err != nil {
		t.Fatalf("test after the crash: %v", err)
	}
	second := mustReady(t, m, "basic")
	if second.PID == first.PID || r.Details["pid"] != strconv.Itoa(second.PID) || second.Restarts != 1 {
		t.Fatalf("not restarted: before %+v, after %+v, test answered by pid %s", first, second, r.Details["pid"])
	}
	waitGone(t, first.PID, time.Second)

	// Resume from the last cursor received: nothing is missing.
	if err := c.Poll(ctx, sdk.PollRequest{Integration: integ(sdk.Config{"events": 100, "batch": 10}), Cursor: cursor}, &got); err != nil {
		t.Fatalf("resumed poll: %v", err)
	}
	seen := map[string]bool{}
	for _, id := range got.ids {
		seen[id] = true
	}
	for i := range 100 {
		if !seen["e"+strconv.Itoa(i)] {
			t.Fatalf("event e%d lost across the crash (cursor %s)", i, cursor)
		}
	}
	if got.lastCursor() != "100" {
		t.Fatalf("final cursor %s", got.lastCursor())
	}
}

func TestHungPluginKilled(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	place(t, dir, bins.basic, "outpost-plugin-basic")
	m, _ := newManager(t, dir, Options{PingInterval: 100 * time.Millisecond, PingTimeout: 500 * time.Millisecond})
	scan(t, m)
	first := mustReady(t, m, "basic")
	c := conn(t, m, "basic")
	ctx := context.Background()

	if err := syscall.Kill(first.PID, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// kill returns before every thread has stopped.
	waitFor(t, 2*time.Second, "the plugin to stop", func() bool { return procState(first.PID) == "T" })
	stopped := time.Now()
	// A call in flight on the hung process fails, retryably.
	_, err := c.Test(ctx, sdk.TestRequest{Integration: integ(nil)})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("want ErrUnavailable from the hung process, got %v", err)
	}
	if took := time.Since(stopped); took < 400*time.Millisecond {
		t.Fatalf("the call failed after %s, before the ping timeout", took)
	}
	waitGone(t, first.PID, 2*time.Second)
	waitFor(t, 5*time.Second, "a restarted process", func() bool {
		info, _ := m.Get("basic")
		return info.State == StateReady && info.PID != 0 && info.PID != first.PID
	})
	if _, err := c.Test(ctx, sdk.TestRequest{Integration: integ(nil)}); err != nil {
		t.Fatalf("after the restart: %v", err)
	}
}

func TestSlowCallIsNotAHang(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	place(t, dir, bins.basic, "outpost-plugin-basic")
	m, _ := newManager(t, dir, Options{PingInterval: 100 * time.Millisecond, PingTimeout: time.Second})
	scan(t, m)
	first := mustReady(t, m, "basic")
	c := conn(t, m, "basic")

	// A call slower than the ping timeout is answered while pings go on;
	// its own deadline ends it.
	var got collector
	if err := c.Poll(context.Background(), sdk.PollRequest{Integration: integ(sdk.Config{"events": 2, "batch": 1, "sleep_ms": 1200})}, &got); err != nil || len(got.ids) != 2 {
		t.Fatalf("slow poll: %v, %d events", err, len(got.ids))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.Test(ctx, sdk.TestRequest{Integration: integ(sdk.Config{"sleep_ms": 5000})})
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrUnavailable) {
		t.Fatalf("want the call's own deadline, got %v", err)
	}
	if info := mustReady(t, m, "basic"); info.PID != first.PID || info.Restarts != 0 {
		t.Fatalf("process was replaced: %+v", info)
	}
}

func TestRescan(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	basic := place(t, dir, bins.basic, "outpost-plugin-basic")
	m, _ := newManager(t, dir, Options{})
	scan(t, m)
	v1 := mustReady(t, m, "basic")
	c := conn(t, m, "basic")
	ctx := context.Background()

	t.Run("unchanged binary keeps its process", func(t *testing.T) {
		scan(t, m)
		if info := mustReady(t, m, "basic"); info.PID != v1.PID {
			t.Fatalf("restarted without a change: %+v", info)
		}
	})
	var extra Info
	t.Run("add", func(t *testing.T) {
		place(t, dir, bins.extra, "outpost-plugin-extra")
		scan(t, m)
		extra = mustReady(t, m, "extra")
		if names := []string{m.List()[0].Name, m.List()[1].Name}; !slices.Equal(names, []string{"basic", "extra"}) {
			t.Fatalf("list %v", names)
		}
	})
	t.Run("replace drains the old version", func(t *testing.T) {
		// A poll in flight on v1, held by its first batch until the test
		// lets it go, survives the upgrade.
		pollDone := make(chan error, 1)
		got := &gated{first: make(chan struct{}), gate: make(chan struct{})}
		go func() {
			pollDone <- c.Poll(ctx, sdk.PollRequest{Integration: integ(sdk.Config{"events": 6, "batch": 1})}, got)
		}()
		<-got.first

		tmp := filepath.Join(dir, ".new")
		place(t, dir, bins.basic2, ".new")
		if err := os.Rename(tmp, basic); err != nil {
			t.Fatal(err)
		}
		scan(t, m)
		v2 := mustReady(t, m, "basic")
		if v2.Version != "2.0.0" || v2.SHA256 == v1.SHA256 || v2.PID == v1.PID || v2.SHA256 != sha(t, bins.basic2) {
			t.Fatalf("not upgraded: %+v", v2)
		}
		r, err := c.Test(ctx, sdk.TestRequest{Integration: integ(nil)})
		if err != nil || r.Details["version"] != "2.0.0" {
			t.Fatalf("new call did not reach v2: %+v, %v", r, err)
		}
		if processGone(v1.PID) {
			t.Fatal("v1 stopped with a call in flight")
		}
		close(got.gate)
		if err := <-pollDone; err != nil || len(got.ids) != 6 {
			t.Fatalf("in-flight poll on v1: %v, %d events", err, len(got.ids))
		}
		waitGone(t, v1.PID, 5*time.Second)
	})
	t.Run("remove", func(t *testing.T) {
		ec := conn(t, m, "extra")
		if err := os.Remove(filepath.Join(dir, "outpost-plugin-extra")); err != nil {
			t.Fatal(err)
		}
		scan(t, m)
		if _, ok := m.Get("extra"); ok {
			t.Fatal("extra still listed")
		}
		waitGone(t, extra.PID, 5*time.Second)
		if _, err := m.Connector("extra"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("connector: %v", err)
		}
		if _, err := ec.Test(ctx, sdk.TestRequest{Integration: integ(nil)}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("old conn: %v", err)
		}
	})
	t.Run("failed plugin is retried on rescan", func(t *testing.T) {
		cur := mustReady(t, m, "basic")
		writePins(t, dir, map[string]string{"outpost-plugin-basic": strings.Repeat("0", 64)})
		scan(t, m)
		if info := mustGet(t, m, "basic"); info.State != StateFailed || !strings.Contains(info.Error, "checksum mismatch") {
			t.Fatalf("want FAILED on the pin, got %+v", info)
		}
		waitGone(t, cur.PID, 5*time.Second)
		if _, err := c.Test(ctx, sdk.TestRequest{Integration: integ(nil)}); !errors.Is(err, ErrNotReady) {
			t.Fatalf("call on a failed plugin: %v", err)
		}
		writePins(t, dir, map[string]string{"outpost-plugin-basic": sha(t, bins.basic2)})
		scan(t, m)
		mustReady(t, m, "basic")
	})
}

func TestChangedBinaryRefusedAtRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	basic := place(t, dir, bins.basic, "outpost-plugin-basic")
	writePins(t, dir, map[string]string{"outpost-plugin-basic": sha(t, bins.basic)})
	m, _ := newManager(t, dir, Options{StartTimeout: 3 * time.Second})
	scan(t, m)
	first := mustReady(t, m, "basic")

	// The file is swapped behind the manager's back, then the process dies:
	// the restart must not run bytes nobody checked.
	place(t, dir, bins.basic2, ".new")
	if err := os.Rename(filepath.Join(dir, ".new"), basic); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(first.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the restart to fail", func() bool {
		info, _ := m.Get("basic")
		return info.State == StateFailed && strings.Contains(info.Error, "restart failed: checksum mismatch")
	})
	_, err := conn(t, m, "basic").Test(context.Background(), sdk.TestRequest{Integration: integ(nil)})
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Fatalf("want ErrUnavailable naming the checksum, got %v", err)
	}
	scan(t, m)
	if info := mustGet(t, m, "basic"); info.State != StateFailed || !strings.Contains(info.Error, "checksum mismatch: "+PinFile) {
		t.Fatalf("rescan should refuse the unpinned bytes: %+v", info)
	}
	writePins(t, dir, map[string]string{"outpost-plugin-basic": sha(t, bins.basic2)})
	scan(t, m)
	if info := mustReady(t, m, "basic"); info.Version != "2.0.0" {
		t.Fatalf("got %+v", info)
	}
}

func TestCloseLeavesNoOrphans(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	place(t, dir, bins.basic, "outpost-plugin-basic")
	place(t, dir, bins.extra, "outpost-plugin-extra")
	m, _ := newManager(t, dir, Options{})
	scan(t, m)
	var pids []int
	for _, info := range m.List() {
		if info.State != StateReady {
			t.Fatalf("%+v", info)
		}
		pids = append(pids, info.PID)
	}
	c := conn(t, m, "basic")
	pollDone := make(chan error, 1)
	var got collector
	go func() {
		pollDone <- c.Poll(context.Background(), sdk.PollRequest{Integration: integ(sdk.Config{"events": 1000, "batch": 1, "sleep_ms": 100})}, &got)
	}()
	waitFor(t, 5*time.Second, "the poll to start", func() bool { return got.lastCursor() != "" })

	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if !processGone(pid) {
			t.Errorf("pid %d outlived Close", pid)
		}
	}
	if err := <-pollDone; !errors.Is(err, ErrUnavailable) {
		t.Errorf("in-flight poll: want ErrUnavailable, got %v", err)
	}
	if _, err := m.Connector("basic"); !errors.Is(err, ErrClosed) {
		t.Errorf("connector after close: %v", err)
	}
	if _, err := c.Test(context.Background(), sdk.TestRequest{Integration: integ(nil)}); !errors.Is(err, ErrClosed) {
		t.Errorf("call after close: %v", err)
	}
	if err := m.Scan(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("scan after close: %v", err)
	}
}

func TestPluginEnvironment(t *testing.T) {
	t.Setenv("OUTPOST_SECRET_KEY", "host-secret-value")
	dir := t.TempDir()
	place(t, dir, bins.basic, "outpost-plugin-basic")
	m, _ := newManager(t, dir, Options{})
	scan(t, m)
	env, err := os.ReadFile("/proc/" + strconv.Itoa(mustReady(t, m, "basic").PID) + "/environ")
	if err != nil {
		t.Skip("no /proc:", err)
	}
	if strings.Contains(string(env), "host-secret-value") {
		t.Fatal("the host's OUTPOST_SECRET_KEY reached the plugin")
	}
	if !strings.Contains(string(env), "PATH=") {
		t.Fatal("the plugin lost the rest of the environment")
	}
}
