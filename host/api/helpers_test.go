package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/outpost-soc/outpost/host/plugin"
	"github.com/outpost-soc/outpost/host/scheduler"
	"github.com/outpost-soc/outpost/host/service"
	"github.com/outpost-soc/outpost/host/store"
	"github.com/outpost-soc/outpost/sdk"
)

// fakeConn is a connector built from function fields.
type fakeConn struct {
	TestFn func(ctx context.Context, req sdk.TestRequest) (*sdk.TestResponse, error)
}

var _ sdk.Connector = (*fakeConn)(nil)

func (f *fakeConn) Describe(context.Context, sdk.DescribeRequest) (*sdk.DescribeResponse, error) {
	return &sdk.DescribeResponse{}, nil
}

func (f *fakeConn) Test(ctx context.Context, req sdk.TestRequest) (*sdk.TestResponse, error) {
	return f.TestFn(ctx, req)
}

// fakePlugins stands in for the plugin manager.
type fakePlugins struct {
	mu        sync.Mutex
	infos     []plugin.Info
	ConnFn    func(name string) (sdk.Connector, error)
	RescanFn  func(ctx context.Context) error
	rescanned int
}

var _ service.Plugins = (*fakePlugins)(nil)

func (f *fakePlugins) List() []plugin.Info {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]plugin.Info(nil), f.infos...)
}

func (f *fakePlugins) Get(name string) (plugin.Info, bool) {
	for _, i := range f.List() {
		if i.Name == name {
			return i, true
		}
	}
	return plugin.Info{}, false
}

func (f *fakePlugins) Connector(name string) (sdk.Connector, error) { return f.ConnFn(name) }

func (f *fakePlugins) Rescan(ctx context.Context) error {
	f.mu.Lock()
	f.rescanned++
	f.mu.Unlock()
	if f.RescanFn != nil {
		return f.RescanFn(ctx)
	}
	return nil
}

// fakeScheduler records what the service asks of it; RunningFn and
// TriggerFn change its answers.
type fakeScheduler struct {
	mu        sync.Mutex
	set       map[string][]scheduler.Kind
	scheds    map[string]scheduler.Schedule
	calls     []string
	RunningFn func(id string) bool
	TriggerFn func(id string, kind scheduler.Kind) error
}

var _ service.Scheduler = (*fakeScheduler)(nil)

func newFakeScheduler() *fakeScheduler {
	return &fakeScheduler{set: map[string][]scheduler.Kind{}, scheds: map[string]scheduler.Schedule{}}
}

func (f *fakeScheduler) Set(id string, s scheduler.Schedule, kinds []scheduler.Kind) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.set[id] = kinds
	f.scheds[id] = s
	f.calls = append(f.calls, "set "+id)
}

func (f *fakeScheduler) Remove(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.set, id)
	f.calls = append(f.calls, "remove "+id)
}

func (f *fakeScheduler) Trigger(id string, kind scheduler.Kind) error {
	f.mu.Lock()
	_, ok := f.set[id]
	f.calls = append(f.calls, "trigger "+id+" "+string(kind))
	fn := f.TriggerFn
	f.mu.Unlock()
	if fn != nil {
		return fn(id, kind)
	}
	if !ok {
		return scheduler.ErrUnknown
	}
	return nil
}

func (f *fakeScheduler) Running(id string) bool {
	if f.RunningFn != nil {
		return f.RunningFn(id)
	}
	return false
}

func (f *fakeScheduler) kinds(id string) ([]scheduler.Kind, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k, ok := f.set[id]
	return k, ok
}

func (f *fakeScheduler) callLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// The plugins every test has: hello polls and mirrors, chat only mirrors
// (communication), broken failed to load.
func testPlugins() []plugin.Info {
	return []plugin.Info{
		{Name: "broken", State: plugin.StateFailed, Error: "not a plugin: handshake failed", Path: "/plugins/outpost-plugin-broken"},
		{
			Name: "chat", Version: "1.0.0", Vendor: "Chat Inc", Category: sdk.CategoryCommunication,
			Capabilities: []sdk.Capability{sdk.CapabilityMirror},
			Schema: sdk.Schema{Fields: []sdk.Field{
				{Name: "webhook", Type: sdk.FieldSecret, Required: true},
			}},
			State: plugin.StateReady, SHA256: strings.Repeat("b", 64), Path: "/plugins/outpost-plugin-chat",
		},
		{
			Name: "hello", Version: "0.1.0", Vendor: "Hello Security", Category: sdk.CategorySecurity,
			Capabilities: []sdk.Capability{sdk.CapabilityPoll, sdk.CapabilityLostFound, sdk.CapabilityFallback, sdk.CapabilityMirror},
			Schema: sdk.Schema{Fields: []sdk.Field{
				{Name: "base_url", Type: sdk.FieldURL, Required: true, Help: "vendor API root"},
				{Name: "api_key", Type: sdk.FieldSecret, Required: true},
				{Name: "page_size", Type: sdk.FieldInt, Default: 100},
				{Name: "verify_tls", Type: sdk.FieldBool},
				{Name: "region", Type: sdk.FieldEnum, Enum: []string{"us", "eu"}},
			}},
			State: plugin.StateReady, SHA256: strings.Repeat("a", 64), Path: "/plugins/outpost-plugin-hello",
		},
		{
			Name: "windowless", Version: "1.0.0", Vendor: "Poll Only", Category: sdk.CategoryMonitoring,
			Capabilities:    []sdk.Capability{sdk.CapabilityPoll},
			Schema:          sdk.Schema{Fields: []sdk.Field{}},
			DefaultSchedule: sdk.Schedule{NewIntervalS: 30, InitialLookbackS: 600},
			State:           plugin.StateReady, Path: "/plugins/outpost-plugin-windowless",
		},
	}
}

// goodKey is the api_key the default fake Test accepts.
const goodKey = "good-key-0123456789abcdef"

// env is one host under test: a real bbolt store under t.TempDir(), the
// real service and router, fake plugins and scheduler.
type env struct {
	t       testing.TB
	dir     string
	db      *store.DB
	svc     *service.Service
	plugins *fakePlugins
	sched   *fakeScheduler
	conn    *fakeConn
	h       http.Handler
	admin   string
	logs    *bytes.Buffer

	mu    *sync.Mutex
	tests *[]sdk.TestRequest
}

type envOption func(*Options, *service.Options)

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	e := openEnv(t, t.TempDir(), opts...)
	t.Cleanup(func() { e.db.Close() })
	return e
}

// openEnv is newEnv in dir, whose store the caller closes (benchmarks
// share one across runs).
func openEnv(t testing.TB, dir string, opts ...envOption) *env {
	t.Helper()
	key := bytes.Repeat([]byte{7}, 32)
	db, err := store.Open(filepath.Join(dir, "outpost.db"), store.Options{Key: key, NoSync: true})
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	e := &env{t: t, dir: dir, db: db, sched: newFakeScheduler(), logs: &bytes.Buffer{}, mu: &sync.Mutex{}, tests: &[]sdk.TestRequest{}}
	e.conn = &fakeConn{TestFn: func(ctx context.Context, req sdk.TestRequest) (*sdk.TestResponse, error) {
		if req.Integration.Config.String("api_key") == goodKey || req.Integration.Config.String("webhook") != "" {
			return &sdk.TestResponse{OK: true, Message: "authenticated", Details: map[string]string{"permission:alerts.read": "ok"}}, nil
		}
		return &sdk.TestResponse{OK: false, Message: "vendor refused the key"}, nil
	}}
	e.plugins = &fakePlugins{infos: testPlugins(), ConnFn: func(name string) (sdk.Connector, error) {
		if _, ok := e.plugins.Get(name); !ok {
			return nil, plugin.ErrNotFound
		}
		return &recordingConn{e: e}, nil
	}}
	logger := hclog.New(&hclog.LoggerOptions{Output: &syncWriter{w: e.logs}, Level: hclog.Trace})
	so := service.Options{Store: db, Plugins: e.plugins, Scheduler: e.sched, Logger: logger}
	ao := Options{Logger: logger, RateLimit: -1}
	for _, o := range opts {
		o(&ao, &so)
	}
	e.svc = service.New(so)
	ao.Service = e.svc
	if err := e.svc.EnsureAdminToken(context.Background(), dir, ""); err != nil {
		t.Fatalf("admin token: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, service.AdminTokenFile))
	if err != nil {
		t.Fatal(err)
	}
	e.admin = strings.TrimSpace(string(b))
	e.h = New(ao)
	return e
}

// recordingConn passes Test to the env's fake and remembers the request.
type recordingConn struct{ e *env }

func (r *recordingConn) Describe(ctx context.Context, req sdk.DescribeRequest) (*sdk.DescribeResponse, error) {
	return r.e.conn.Describe(ctx, req)
}

func (r *recordingConn) Test(ctx context.Context, req sdk.TestRequest) (*sdk.TestResponse, error) {
	r.e.mu.Lock()
	*r.e.tests = append(*r.e.tests, req)
	fn := r.e.conn.TestFn
	r.e.mu.Unlock()
	return fn(ctx, req)
}

func (e *env) lastTest() sdk.TestRequest {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(*e.tests) == 0 {
		e.t.Fatal("no Test call reached the plugin")
	}
	return (*e.tests)[len(*e.tests)-1]
}

func (e *env) testCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(*e.tests)
}

func (e *env) setTest(fn func(ctx context.Context, req sdk.TestRequest) (*sdk.TestResponse, error)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.conn.TestFn = fn
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// response is a recorded answer.
type response struct {
	t      testing.TB
	Code   int
	Header http.Header
	Body   []byte
}

func (r *response) json() map[string]any {
	r.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		r.t.Fatalf("answer is not a JSON object: %v: %s", err, r.Body)
	}
	return m
}

func (r *response) str(key string) string {
	r.t.Helper()
	s, _ := r.json()[key].(string)
	return s
}

// want checks the status and, for an error, the code of API.md's table.
func (r *response) want(status int, code ...string) *response {
	r.t.Helper()
	if r.Code != status {
		r.t.Fatalf("status %d, want %d: %s", r.Code, status, r.Body)
	}
	if len(code) > 0 {
		m := r.json()
		if m["code"] != code[0] {
			r.t.Fatalf("code %v, want %s: %s", m["code"], code[0], r.Body)
		}
		if msg, _ := m["message"].(string); msg == "" {
			r.t.Fatalf("error without a message: %s", r.Body)
		}
		if len(m) != 2 {
			r.t.Fatalf("error body has fields beyond code and message: %s", r.Body)
		}
	}
	return r
}

// wantMessage checks that the error message holds every part.
func (r *response) wantMessage(parts ...string) *response {
	r.t.Helper()
	msg := r.str("message")
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			r.t.Fatalf("message %q does not mention %q", msg, p)
		}
	}
	return r
}

// do sends a request; body is sent as is when a string, else as JSON.
func (e *env) do(method, path, token string, body any) *response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, rd)
	if token != "" {
		req.Header.Set("Authorization", "ApiToken "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return &response{t: e.t, Code: w.Code, Header: w.Header(), Body: w.Body.Bytes()}
}

// customer creates a customer and returns its id.
func (e *env) customer(name string) string {
	e.t.Helper()
	return e.do("POST", "/v1/customers", e.admin, map[string]any{"name": name}).want(201).str("customer_id")
}

// token creates a token and returns its secret.
func (e *env) token(name, role, customerID string) string {
	e.t.Helper()
	return e.do("POST", "/v1/tokens", e.admin, map[string]any{"name": name, "role": role, "customer_id": customerID}).want(201).str("token")
}

func helloConfig() map[string]any {
	return map[string]any{"base_url": "http://127.0.0.1:9900/hello", "api_key": goodKey}
}

// integration creates a hello integration and returns its path.
func (e *env) integration(cid string) string {
	e.t.Helper()
	id := e.do("POST", "/v1/customers/"+cid+"/integrations", e.admin, map[string]any{
		"type": "hello", "name": "hello prod", "config": helloConfig(),
	}).want(201).str("integration_id")
	return "/v1/customers/" + cid + "/integrations/" + id
}

// snapshot is the whole database: equal snapshots mean nothing was written.
func (e *env) snapshot() []byte {
	e.t.Helper()
	var b bytes.Buffer
	if _, err := e.db.Backup(context.Background(), &b); err != nil {
		e.t.Fatal(err)
	}
	return b.Bytes()
}

func (e *env) wantUnchanged(before []byte) {
	e.t.Helper()
	if !bytes.Equal(before, e.snapshot()) {
		e.t.Fatal("a refused request wrote to the database")
	}
}

func mustRequest(t *testing.T, method, path string) *http.Request {
	t.Helper()
	return httptest.NewRequest(method, path, nil)
}

func serve(t testing.TB, h http.Handler, req *http.Request) *response {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return &response{t: t, Code: w.Code, Header: w.Header(), Body: w.Body.Bytes()}
}

// with returns e reporting to t, for use inside a subtest.
func (e *env) with(t testing.TB) *env {
	c := *e
	c.t = t
	return &c
}
