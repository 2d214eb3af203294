package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The end-to-end tests drive the real binaries: outpost, vendorsim and the
// plugins, built once into a temp dir, talking over loopback only.

// vendorPlugins are the plugins under plugins/ that the end-to-end tests
// build beside the hello example.
var vendorPlugins = []string{"okta", "cloudflare", "sentinel", "splunk", "crowdstrike"}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// binaries builds outpost, vendorsim and every plugin once per test run and
// returns the dir holding outpost and vendorsim; plugins are in dir/plugins.
func binaries(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "outpost-e2e-bin-")
		if buildErr != nil {
			return
		}
		root, _ := filepath.Abs("../..")
		targets := map[string]string{
			"outpost":   "./cmd/outpost",
			"vendorsim": "./cmd/vendorsim",
		}
		for _, name := range vendorPlugins {
			targets["plugins/outpost-plugin-"+name] = "./plugins/" + name
		}
		targets["plugins/outpost-plugin-hello"] = "./examples/hello"
		for out, pkg := range targets {
			cmd := exec.Command("go", "build", "-o", filepath.Join(buildDir, out), pkg)
			cmd.Dir = root
			if b, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildDir
}

func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// simVendor is one start-up line of vendorsim.
type simVendor struct {
	Vendor  string         `json:"vendor"`
	BaseURL string         `json:"base_url"`
	Config  map[string]any `json:"config"`
}

type vendorsim struct {
	cmd     *exec.Cmd
	vendors map[string]simVendor
	root    string
}

// startVendorsim runs vendorsim serving the named vendors with args and
// reads its start-up lines, one per vendor.
func startVendorsim(t testing.TB, vendors []string, args ...string) *vendorsim {
	t.Helper()
	dir := binaries(t)
	addr := freePort(t)
	args = append([]string{"--listen", addr, "--vendors", strings.Join(vendors, ",")}, args...)
	cmd := exec.Command(filepath.Join(dir, "vendorsim"), args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &prefixWriter{t: t, prefix: "vendorsim: "}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	v := &vendorsim{cmd: cmd, vendors: map[string]simVendor{}, root: "http://" + addr}
	got := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for len(v.vendors) < len(vendors) && sc.Scan() {
			var sv simVendor
			if err := json.Unmarshal(sc.Bytes(), &sv); err != nil {
				got <- fmt.Errorf("vendorsim printed a line that is not JSON: %q", sc.Text())
				return
			}
			v.vendors[sv.Vendor] = sv
		}
		got <- sc.Err()
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("vendorsim printed no start-up lines in 30 s")
	}
	for _, name := range vendors {
		if _, ok := v.vendors[name]; !ok {
			t.Fatalf("vendorsim printed no line for %s", name)
		}
	}
	return v
}

func (v *vendorsim) state(t testing.TB, vendor string) simState {
	t.Helper()
	resp, err := http.Get(v.root + "/_sim/" + vendor + "/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s simState
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

type simState struct {
	Alerts  int `json:"alerts"`
	Visible int `json:"visible"`
	Late    int `json:"late"`
	Mirror  []struct {
		Method string          `json:"method"`
		Path   string          `json:"path"`
		Body   json.RawMessage `json:"body"`
	} `json:"mirror"`
}

// host is a running `outpost serve`.
type host struct {
	t       testing.TB
	cmd     *exec.Cmd
	url     string
	dataDir string
	addr    string
	token   string
	done    chan struct{}
}

// startHost runs outpost serve on dataDir and waits for /healthz.
func startHost(t testing.TB, dataDir, addr string, extra ...string) *host {
	t.Helper()
	dir := binaries(t)
	args := append([]string{"serve", "--data-dir", dataDir, "--listen", addr,
		"--plugin-dir", filepath.Join(dir, "plugins"), "--log-level", "info", "--api-rate", "10000", "--api-burst", "10000"}, extra...)
	cmd := exec.Command(filepath.Join(dir, "outpost"), args...)
	cmd.Stdout = &prefixWriter{t: t, prefix: "outpost: "}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &host{t: t, cmd: cmd, url: "http://" + addr, dataDir: dataDir, addr: addr, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(h.done) }()
	t.Cleanup(h.kill)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(h.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-h.done:
			t.Fatal("outpost exited before it was healthy")
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("outpost not healthy within 60 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	b, err := os.ReadFile(filepath.Join(dataDir, "admin.token"))
	if err != nil {
		t.Fatalf("admin.token: %v", err)
	}
	h.token = strings.TrimSpace(string(b))
	return h
}

// kill sends SIGKILL and waits: no graceful shutdown.
func (h *host) kill() {
	_ = h.cmd.Process.Signal(syscall.SIGKILL)
	<-h.done
}

// stop sends SIGTERM and waits for a graceful exit.
func (h *host) stop() {
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.done:
	case <-time.After(30 * time.Second):
		h.t.Error("outpost did not stop within 30 s of SIGTERM")
		h.kill()
	}
}

// do sends a request with the admin token and decodes a JSON answer into
// out (when not nil), returning the status code.
func (h *host) do(method, path string, body any, out any) int {
	h.t.Helper()
	return h.doToken(h.token, method, path, body, out)
}

func (h *host) doToken(token, method, path string, body any, out any) int {
	h.t.Helper()
	var rd io.Reader
	if s, ok := body.(string); ok {
		rd = strings.NewReader(s)
	} else if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, h.url+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "ApiToken "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			h.t.Fatalf("%s %s: %d, body not JSON: %s", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode
}

// must is do that fails the test unless the status is want.
func (h *host) must(want int, method, path string, body any, out any) {
	h.t.Helper()
	var raw json.RawMessage
	got := h.do(method, path, body, &raw)
	if got != want {
		h.t.Fatalf("%s %s: status %d, want %d: %s", method, path, got, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			h.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type prefixWriter struct {
	t      testing.TB
	prefix string
	mu     sync.Mutex
	buf    []byte
}

func (w *prefixWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		if testing.Verbose() {
			fmt.Fprintf(os.Stderr, "%s%s\n", w.prefix, w.buf[:i])
		}
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}
