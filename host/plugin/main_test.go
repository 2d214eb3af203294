package plugin

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/outpost-soc/outpost/sdk"
)

// The test plugins, built once per test binary by TestMain.
var bins struct {
	basic, basic2, extra, misnamed, protov2, notplugin string
	scriptExit, scriptSleep                            string
}

// testHostEnv makes the test binary a small host (see runTestHost) for the
// orphan test. Its OUTPOST_ prefix also keeps it from the plugins.
const testHostEnv = "OUTPOST_PLUGIN_TESTHOST_DIR"

// sleepArg is what the sleeping script sleeps: odd enough to find its
// process in /proc.
const sleepArg = "97.5"

func TestMain(m *testing.M) {
	if dir := os.Getenv(testHostEnv); dir != "" {
		runTestHost(dir)
		return
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "outpost-plugin-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := buildPlugins(dir); err != nil {
		fmt.Fprintln(os.Stderr, "building test plugins:", err)
		return 1
	}
	return m.Run()
}

func buildPlugins(dir string) error {
	type build struct {
		out     *string
		file    string // outpost-plugin-<name>
		pkg     string
		ldflags string
	}
	builds := []build{
		{&bins.basic, "v1/outpost-plugin-basic", "basic", ""},
		{&bins.basic2, "v2/outpost-plugin-basic", "basic", "-X main.version=2.0.0"},
		{&bins.extra, "extra/outpost-plugin-extra", "basic", "-X main.name=extra"},
		{&bins.misnamed, "misnamed/outpost-plugin-misnamed", "misnamed", ""},
		{&bins.protov2, "protov2/outpost-plugin-protov2", "protov2", ""},
		{&bins.notplugin, "notplugin/outpost-plugin-notplugin", "notplugin", ""},
	}
	errs := make([]error, len(builds))
	var wg sync.WaitGroup
	for i, b := range builds {
		*b.out = filepath.Join(dir, b.file)
		wg.Go(func() {
			args := []string{"build", "-o", *b.out}
			if b.ldflags != "" {
				args = append(args, "-ldflags", b.ldflags)
			}
			cmd := exec.Command("go", append(args, "./internal/testplugins/"+b.pkg)...)
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("%s: %v\n%s", b.pkg, err, out)
			}
		})
	}
	wg.Wait()
	// Scripts are written here, before any test forks, so that no plugin
	// start can inherit a descriptor open for writing on them (ETXTBSY).
	bins.scriptExit = filepath.Join(dir, "script-exit")
	bins.scriptSleep = filepath.Join(dir, "script-sleep")
	errs = append(errs,
		os.WriteFile(bins.scriptExit, []byte("#!/bin/sh\necho 'this is a shell script'\nexit 0\n"), 0o755),
		// Not exec: sh forks sleep, which holds the pipes when sh is killed.
		os.WriteFile(bins.scriptSleep, []byte("#!/bin/sh\nsleep "+sleepArg+"\necho done\n"), 0o755),
	)
	return errors.Join(errs...)
}

// runTestHost is the host killed by TestPluginExitsWhenHostKilled: it loads
// the plugins of dir, prints the pid of "basic" and waits to be killed.
func runTestHost(dir string) {
	m := New(Options{Dir: dir, Logger: hclog.New(&hclog.LoggerOptions{Output: os.Stderr, Level: hclog.Info})})
	if err := m.Scan(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	info, ok := m.Get("basic")
	if !ok || info.State != StateReady {
		fmt.Fprintf(os.Stderr, "basic not ready: %+v\n", info)
		os.Exit(1)
	}
	fmt.Println(info.PID)
	select {}
}

// place links (or copies) src into dir as name. A hard link keeps every
// test from writing executables while others fork.
func place(t testing.TB, dir, src, name string) string {
	t.Helper()
	dst := filepath.Join(dir, name)
	if err := os.Link(src, dst); err != nil {
		copyFile(t, src, dst, 0o755)
	}
	return dst
}

func copyFile(t testing.TB, src, dst string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dst, mode); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a log sink safe for go-plugin's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newManager returns a manager of dir whose JSON log is returned too, shown
// when the test fails. Cleanup closes it and checks that every process it
// ran is gone.
func newManager(t testing.TB, dir string, opts Options) (*Manager, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	opts.Dir = dir
	opts.Logger = hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Debug, JSONFormat: true})
	m := New(opts)
	t.Cleanup(func() {
		var pids []int
		for _, info := range m.List() {
			if info.PID != 0 {
				pids = append(pids, info.PID)
			}
		}
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		for _, pid := range pids {
			if !processGone(pid) {
				t.Errorf("plugin pid %d still running after Close", pid)
			}
		}
		if t.Failed() {
			t.Logf("manager log:\n%s", logs)
		}
	})
	return m, logs
}

func scan(t testing.TB, m *Manager) {
	t.Helper()
	if err := m.Scan(context.Background()); err != nil {
		t.Fatalf("scan: %v", err)
	}
}

func mustGet(t testing.TB, m *Manager, name string) Info {
	t.Helper()
	info, ok := m.Get(name)
	if !ok {
		t.Fatalf("plugin %q not found; have %+v", name, m.List())
	}
	return info
}

func mustReady(t testing.TB, m *Manager, name string) Info {
	t.Helper()
	info := mustGet(t, m, name)
	if info.State != StateReady {
		t.Fatalf("plugin %q is %s: %s", name, info.State, info.Error)
	}
	return info
}

func conn(t testing.TB, m *Manager, name string) *Conn {
	t.Helper()
	c, err := m.Connector(name)
	if err != nil {
		t.Fatalf("connector %q: %v", name, err)
	}
	return c
}

// integ is an integration of the basic test plugin with config cfg.
func integ(cfg sdk.Config) sdk.Integration {
	return sdk.Integration{ID: "int-1", Config: cfg}
}

// collector gathers what a query streams.
type collector struct {
	mu      sync.Mutex
	ids     []string
	cursors []string
}

func (c *collector) Send(b sdk.Batch) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range b.Events {
		c.ids = append(c.ids, e.OriginalID)
	}
	if b.Cursor != "" {
		c.cursors = append(c.cursors, b.Cursor)
	}
	return nil
}

// gated is a collector that holds its first batch until gate is closed,
// keeping the call in flight.
type gated struct {
	collector
	first chan struct{} // closed on the first batch
	gate  chan struct{}
	once  sync.Once
}

func (g *gated) Send(b sdk.Batch) error {
	g.once.Do(func() {
		close(g.first)
		<-g.gate
	})
	return g.collector.Send(b)
}

func (c *collector) lastCursor() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.cursors) == 0 {
		return ""
	}
	return c.cursors[len(c.cursors)-1]
}

// processGone reports whether pid has exited (a zombie whose new parent
// does not reap it counts as exited).
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	st := procState(pid)
	return st == "" || st == "Z"
}

// procState is the state letter of /proc/<pid>/stat, "" when there is none.
func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func waitGone(t testing.TB, pid int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !processGone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d still running after %s", pid, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitFor polls cond until it holds.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sleepers lists the processes running the sleeping script's sleep.
func sleepers() []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Equal(b, []byte("sleep\x00"+sleepArg+"\x00")) && !processGone(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// logLines parses the manager's JSON log.
func logLines(logs *syncBuffer) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err == nil {
			out = append(out, m)
		}
	}
	return out
}
