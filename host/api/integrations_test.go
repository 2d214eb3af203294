package api

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/host/plugin"
	"github.com/outpost-soc/outpost/host/scheduler"
	"github.com/outpost-soc/outpost/host/service"
	"github.com/outpost-soc/outpost/host/store"
	"github.com/outpost-soc/outpost/sdk"
)

func TestPlugins(t *testing.T) {
	e := newEnv(t)
	if m := e.do("GET", "/v1/plugins", e.admin, nil).want(200).json(); m["total"] != 4.0 || m["items"] != nil {
		t.Fatalf("plugins without take: %v", m)
	}
	m := e.do("GET", "/v1/plugins?take=10", e.admin, nil).want(200).json()
	items := m["items"].([]any)
	var names []string
	for _, it := range items {
		names = append(names, it.(map[string]any)["name"].(string))
	}
	if strings.Join(names, ",") != "broken,chat,hello,windowless" {
		t.Fatalf("plugins by name: %v", names)
	}
	broken := items[0].(map[string]any)
	if broken["state"] != "FAILED" || !strings.Contains(broken["error"].(string), "handshake") {
		t.Fatalf("failed plugin %v", broken)
	}
	hello := items[2].(map[string]any)
	for _, k := range []string{"name", "version", "vendor", "category", "capabilities", "config_schema", "sha256", "path", "state"} {
		if _, ok := hello[k]; !ok {
			t.Errorf("plugin lacks %q: %v", k, hello)
		}
	}
	if _, ok := hello["error"]; ok {
		t.Errorf("a READY plugin has an error field")
	}
	fields := hello["config_schema"].(map[string]any)["fields"].([]any)
	key := fields[1].(map[string]any)
	if key["name"] != "api_key" || key["secret"] != true || key["type"] != "secret" {
		t.Fatalf("secret field %v", key)
	}
	for _, k := range []string{"name", "type", "required", "secret", "default", "help", "enum"} {
		if _, ok := key[k]; !ok {
			t.Errorf("field lacks %q", k)
		}
	}
	if page := fields[2].(map[string]any); page["default"] != 100.0 {
		t.Errorf("default %v", page["default"])
	}
	if got := e.do("GET", "/v1/plugins?skip=1&take=1", e.admin, nil).want(200).json()["items"].([]any); len(got) != 1 || got[0].(map[string]any)["name"] != "chat" {
		t.Fatalf("paged plugins %v", got)
	}

	// Rescan (admin) re-reads and answers the list.
	r := e.do("POST", "/v1/plugins/rescan", e.admin, nil).want(200).json()
	if r["total"] != 4.0 || len(r["items"].([]any)) != 4 || e.plugins.rescanned != 1 {
		t.Fatalf("rescan %v (rescanned %d)", r, e.plugins.rescanned)
	}
}

func TestCreateIntegration(t *testing.T) {
	e := newEnv(t)
	cid := e.customer("Acme")
	base := "/v1/customers/" + cid + "/integrations"
	r := e.do("POST", base, e.admin, map[string]any{
		"type": "hello", "name": "Hello prod",
		"config":   map[string]any{"base_url": "http://127.0.0.1:9900/hello/", "api_key": goodKey, "page_size": 50, "region": "eu"},
		"schedule": map[string]any{"new_interval_s": 30},
	}).want(201)
	in := r.json()
	id := in["integration_id"].(string)
	if r.Header.Get("Location") != base+"/"+id {
		t.Errorf("Location %q", r.Header.Get("Location"))
	}
	for k, want := range map[string]any{
		"customer_id": cid, "type": "hello", "name": "Hello prod", "category": "security",
		"status": "NOT_ACTIVE", "health": "UNTESTED", "connection": "PENDING", "mirroring": false, "last_error": "",
	} {
		if in[k] != want {
			t.Errorf("%s = %v, want %v", k, in[k], want)
		}
	}
	cfg := in["config"].(map[string]any)
	if cfg["api_key"] != "********" || cfg["base_url"] != "http://127.0.0.1:9900/hello" || cfg["page_size"] != 50.0 || cfg["region"] != "eu" {
		t.Fatalf("config %v", cfg)
	}
	sched := in["schedule"].(map[string]any)
	want := map[string]float64{"new_interval_s": 30, "lost_found_interval_s": 900, "lost_found_lookback_s": 3600,
		"fallback_interval_s": 21600, "fallback_lookback_s": 86400, "initial_lookback_s": 86400}
	for k, v := range want {
		if sched[k] != v {
			t.Errorf("schedule %s = %v, want %v", k, sched[k], v)
		}
	}
	for _, k := range []string{"last_tested_at", "last_run_at", "last_success_at"} {
		if _, ok := in[k]; ok {
			t.Errorf("unset %s is present", k)
		}
	}
	for _, k := range []string{"created_at", "updated_at", "health_message"} {
		if _, ok := in[k]; !ok {
			t.Errorf("%s missing", k)
		}
	}
	// The secret is stored, sealed, never shown.
	if strings.Contains(string(e.do("GET", base+"?take=10", e.admin, nil).want(200).Body), goodKey) {
		t.Fatal("secret in the list")
	}
	if strings.Contains(string(e.snapshot()), goodKey) {
		t.Fatal("secret stored in clear")
	}
	stored, err := e.db.GetIntegration(context.Background(), id)
	if err != nil || stored.Secrets["api_key"] != goodKey || stored.Config["api_key"] != nil {
		t.Fatalf("stored %v %v", stored, err)
	}
	// The creation is in the activity log under the token's name.
	logs := e.do("GET", base+"/"+id+"/logs?take=10", e.admin, nil).want(200).json()["items"].([]any)
	if len(logs) != 1 || logs[0].(map[string]any)["actor"] != "admin" || logs[0].(map[string]any)["kind"] != "action" {
		t.Fatalf("logs %v", logs)
	}

	t.Run("plugin suggestions and no windows", func(t *testing.T) {
		e := e.with(t)
		in := e.do("POST", base, e.admin, map[string]any{"type": "windowless", "name": "w"}).want(201).json()
		s := in["schedule"].(map[string]any)
		if s["new_interval_s"] != 30.0 || s["initial_lookback_s"] != 600.0 || s["lost_found_interval_s"] != 900.0 {
			t.Fatalf("schedule %v", s)
		}
		if in["category"] != "monitoring" {
			t.Fatalf("category %v", in["category"])
		}
	})
	t.Run("plugin without poll ignores a schedule", func(t *testing.T) {
		e := e.with(t)
		in := e.do("POST", base, e.admin, map[string]any{
			"type": "chat", "name": "pager", "config": map[string]any{"webhook": "https://hooks.example/x"},
			"schedule": map[string]any{"new_interval_s": 0}, "mirroring": true,
		}).want(201).json()
		if in["schedule"] != nil || in["category"] != "communication" || in["mirroring"] != true {
			t.Fatalf("communication integration %v", in)
		}
		if in["config"].(map[string]any)["webhook"] != "********" {
			t.Fatalf("secret not masked: %v", in["config"])
		}
	})
}

func TestCreateIntegrationBadInput(t *testing.T) {
	e := newEnv(t)
	cid := e.customer("Acme")
	base := "/v1/customers/" + cid + "/integrations"
	cfg := func(mod func(map[string]any)) map[string]any {
		c := helloConfig()
		mod(c)
		return c
	}
	for _, tc := range []struct {
		name string
		body map[string]any
		want []string
	}{
		{"unknown type", map[string]any{"type": "splunkk", "name": "x", "config": helloConfig()}, []string{`"splunkk"`}},
		{"missing type", map[string]any{"name": "x", "config": helloConfig()}, []string{"type is required"}},
		{"failed plugin", map[string]any{"type": "broken", "name": "x"}, []string{`"broken"`, "not ready"}},
		{"missing name", map[string]any{"type": "hello", "config": helloConfig()}, []string{"name is required"}},
		{"missing required field", map[string]any{"type": "hello", "name": "x",
			"config": cfg(func(c map[string]any) { delete(c, "api_key") })}, []string{`"api_key"`, "required"}},
		{"no config", map[string]any{"type": "hello", "name": "x"}, []string{`"base_url"`, "required"}},
		{"unknown config field", map[string]any{"type": "hello", "name": "x",
			"config": cfg(func(c map[string]any) { c["password"] = "x" })}, []string{`"password"`, "unknown"}},
		{"secret of the wrong type", map[string]any{"type": "hello", "name": "x",
			"config": cfg(func(c map[string]any) { c["api_key"] = 12345 })}, []string{`"api_key"`, "string"}},
		{"secret sent as the mask", map[string]any{"type": "hello", "name": "x",
			"config": cfg(func(c map[string]any) { c["api_key"] = "********" })}, []string{`"api_key"`, "mask"}},
		{"int of the wrong type", map[string]any{"type": "hello", "name": "x",
			"config": cfg(func(c map[string]any) { c["page_size"] = "ten" })}, []string{`"page_size"`, "integer"}},
		{"fractional int", map[string]any{"type": "hello", "name": "x",
			"config": cfg(func(c map[string]any) { c["page_size"] = 1.5 })}, []string{`"page_size"`, "integer"}},
		{"bool of the wrong type", map[string]any{"type": "hello", "name": "x",
			"config": cfg(func(c map[string]any) { c["verify_tls"] = "true" })}, []string{`"verify_tls"`}},
		{"enum out of range", map[string]any{"type": "hello", "name": "x",
			"config": cfg(func(c map[string]any) { c["region"] = "mars" })}, []string{`"region"`, "us, eu"}},
		{"url without scheme", map[string]any{"type": "hello", "name": "x",
			"config": cfg(func(c map[string]any) { c["base_url"] = "127.0.0.1:9900" })}, []string{`"base_url"`}},
		{"url with a query", map[string]any{"type": "hello", "name": "x",
			"config": cfg(func(c map[string]any) { c["base_url"] = "http://h/?a=b" })}, []string{`"base_url"`}},
		{"nested config value", map[string]any{"type": "hello", "name": "x",
			"config": cfg(func(c map[string]any) { c["base_url"] = map[string]any{"a": 1} })}, []string{`"base_url"`}},
		{"interval zero", map[string]any{"type": "hello", "name": "x", "config": helloConfig(),
			"schedule": map[string]any{"new_interval_s": 0}}, []string{"schedule.new_interval_s", "at least 1"}},
		{"negative lookback", map[string]any{"type": "hello", "name": "x", "config": helloConfig(),
			"schedule": map[string]any{"fallback_lookback_s": -5}}, []string{"schedule.fallback_lookback_s"}},
		{"huge interval", map[string]any{"type": "hello", "name": "x", "config": helloConfig(),
			"schedule": map[string]any{"lost_found_interval_s": int64(1) << 40}}, []string{"schedule.lost_found_interval_s", "at most"}},
		{"mirroring unsupported", map[string]any{"type": "windowless", "name": "x", "mirroring": true}, []string{"mirror"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.with(t)
			before := e.snapshot()
			e.do("POST", base, e.admin, tc.body).want(400, CodeInvalidArgument).wantMessage(tc.want...)
			e.wantUnchanged(before)
		})
	}
	e.do("POST", "/v1/customers/nope/integrations", e.admin, map[string]any{"type": "hello", "name": "x", "config": helloConfig()}).
		want(404, CodeNotFound)
	if m := e.do("GET", base, e.admin, nil).want(200).json(); m["total"] != 0.0 {
		t.Fatalf("refused creations were stored: %v", m)
	}
}

func TestSecretsMaskedAndRotation(t *testing.T) {
	e := newEnv(t)
	cid := e.customer("Acme")
	ip := e.integration(cid)
	e.do("POST", ip+"/test", e.admin, nil).want(200)
	tests := e.testCount()

	// Sending the mask back (as a client echoing GET does) keeps the secret
	// and changes nothing: no re-test.
	got := e.do("GET", ip, e.admin, nil).want(200).json()
	e.do("PATCH", ip, e.admin, map[string]any{"config": got["config"]}).want(200)
	if e.testCount() != tests {
		t.Fatal("an unchanged config was re-tested")
	}
	// A plain field change with the mask keeps the secret and re-tests.
	r := e.do("PATCH", ip, e.admin, map[string]any{"config": map[string]any{"api_key": "********", "page_size": 10}}).want(200).json()
	if e.testCount() != tests+1 {
		t.Fatal("a changed config was not re-tested at once")
	}
	if k := e.lastTest().Integration.Config.String("api_key"); k != goodKey {
		t.Fatalf("plugin got api_key %q after a masked PATCH, want the stored one", k)
	}
	if e.lastTest().Integration.Config.Int("page_size") != 10 {
		t.Fatal("the test did not see the new config")
	}
	if r["health"] != "HEALTHY" || r["config"].(map[string]any)["api_key"] != "********" {
		t.Fatalf("after masked patch %v", r)
	}

	// A new value rotates it; the re-test follows (this key is refused).
	r = e.do("PATCH", ip, e.admin, map[string]any{"config": map[string]any{"api_key": "rotated-key-9876543210"}}).want(200).json()
	if k := e.lastTest().Integration.Config.String("api_key"); k != "rotated-key-9876543210" {
		t.Fatalf("plugin got %q after rotation", k)
	}
	if r["health"] != "UNHEALTHY" || r["connection"] != "ERROR" || r["health_message"] != "vendor refused the key" {
		t.Fatalf("health does not follow the re-test: %v", r)
	}
	if strings.Contains(string(e.do("GET", ip, e.admin, nil).Body), "rotated-key") {
		t.Fatal("the rotated secret is shown")
	}
	// Rotating back heals it.
	r = e.do("PATCH", ip, e.admin, map[string]any{"config": map[string]any{"api_key": goodKey}}).want(200).json()
	if r["health"] != "HEALTHY" {
		t.Fatalf("health %v", r["health"])
	}
	// null removes an optional field; removing a required one is refused.
	r = e.do("PATCH", ip, e.admin, map[string]any{"config": map[string]any{"page_size": nil}}).want(200).json()
	if r["config"].(map[string]any)["page_size"] != 100.0 {
		t.Fatalf("removed field did not fall back to its default: %v", r["config"])
	}
	before := e.snapshot()
	e.do("PATCH", ip, e.admin, map[string]any{"config": map[string]any{"api_key": nil}}).want(400, CodeInvalidArgument).wantMessage("api_key")
	e.do("PATCH", ip, e.admin, map[string]any{"config": map[string]any{"api_key": 42}}).want(400, CodeInvalidArgument).wantMessage("api_key")
	e.do("PATCH", ip, e.admin, map[string]any{"config": map[string]any{"nope": 1}}).want(400, CodeInvalidArgument).wantMessage("nope")
	e.do("PATCH", ip, e.admin, map[string]any{"type": "chat"}).want(400, CodeInvalidArgument).wantMessage("type")
	e.do("PATCH", ip, e.admin, map[string]any{"schedule": map[string]any{"new_interval_s": 0}}).want(400, CodeInvalidArgument).wantMessage("new_interval_s")
	e.wantUnchanged(before)

	// Name, schedule and the type sent back unchanged.
	r = e.do("PATCH", ip, e.admin, map[string]any{"type": "hello", "name": "renamed", "schedule": map[string]any{"lost_found_lookback_s": 7200}}).want(200).json()
	if r["name"] != "renamed" || r["schedule"].(map[string]any)["lost_found_lookback_s"] != 7200.0 || r["schedule"].(map[string]any)["new_interval_s"] != 60.0 {
		t.Fatalf("patch %v", r)
	}
}

func TestConfigChangeWhenTestCannotRun(t *testing.T) {
	e := newEnv(t)
	ip := e.integration(e.customer("Acme"))
	e.do("POST", ip+"/test", e.admin, nil).want(200)
	e.setTest(func(context.Context, sdk.TestRequest) (*sdk.TestResponse, error) {
		return nil, sdk.RetryAfter(30*time.Second, errors.New("vendor overloaded"))
	})
	r := e.do("PATCH", ip, e.admin, map[string]any{"config": map[string]any{"page_size": 7}}).want(200).json()
	if r["health"] != "UNTESTED" || !strings.Contains(r["health_message"].(string), "retry after") {
		t.Fatalf("after a change whose test could not complete: %v", r)
	}
	// An untested config cannot be enabled.
	e.do("POST", ip+"/enable", e.admin, nil).want(409, CodeFailedPrecondition)
}

func TestTestAction(t *testing.T) {
	e := newEnv(t, func(_ *Options, so *service.Options) { so.TestTimeout = 200 * time.Millisecond })
	ip := e.integration(e.customer("Acme"))
	id := ip[strings.LastIndex(ip, "/")+1:]
	for _, tc := range []struct {
		name       string
		fn         func(context.Context, sdk.TestRequest) (*sdk.TestResponse, error)
		status     int
		code       string
		ok         bool
		health     string
		connection string
		message    string
	}{
		{"passes", func(context.Context, sdk.TestRequest) (*sdk.TestResponse, error) {
			return &sdk.TestResponse{OK: true, Message: "fine", Details: map[string]string{"permission:alerts.read": "ok"}}, nil
		}, 200, "", true, "HEALTHY", "PENDING", "fine"},
		{"not ok", func(context.Context, sdk.TestRequest) (*sdk.TestResponse, error) {
			return &sdk.TestResponse{OK: false, Message: "missing scope"}, nil
		}, 200, "", false, "UNHEALTHY", "ERROR", "missing scope"},
		{"unauthenticated", func(context.Context, sdk.TestRequest) (*sdk.TestResponse, error) {
			return nil, sdk.Unauthenticated("bad key")
		}, 200, "", false, "UNHEALTHY", "ERROR", "bad key"},
		{"permission denied", func(context.Context, sdk.TestRequest) (*sdk.TestResponse, error) {
			return nil, sdk.PermissionDenied("alerts.read", "forbidden")
		}, 200, "", false, "UNHEALTHY", "ERROR", "alerts.read"},
		{"plugin rejects config", func(context.Context, sdk.TestRequest) (*sdk.TestResponse, error) {
			return nil, sdk.InvalidConfig("base_url", "unreachable")
		}, 200, "", false, "UNHEALTHY", "ERROR", "unreachable"},
		{"plugin crashed", func(context.Context, sdk.TestRequest) (*sdk.TestResponse, error) {
			return nil, plugin.ErrUnavailable
		}, 503, CodeUnavailable, false, "UNHEALTHY", "ERROR", ""},
		{"deadline", func(ctx context.Context, _ sdk.TestRequest) (*sdk.TestResponse, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}, 504, CodeUnavailable, false, "UNHEALTHY", "ERROR", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.with(t)
			e.setTest(tc.fn)
			r := e.do("POST", ip+"/test", e.admin, nil).want(tc.status)
			if tc.code != "" {
				r.want(tc.status, tc.code)
			} else {
				m := r.json()
				if m["ok"] != tc.ok || !strings.Contains(m["message"].(string), tc.message) {
					t.Fatalf("test answer %v", m)
				}
				if _, err := time.Parse(time.RFC3339, m["checked_at"].(string)); err != nil {
					t.Fatalf("checked_at %v", m["checked_at"])
				}
				if _, ok := m["details"].(map[string]any); !ok {
					t.Fatalf("details %v", m["details"])
				}
			}
			// An incomplete test leaves health as the previous case set it.
			in := e.do("GET", ip, e.admin, nil).want(200).json()
			if in["health"] != tc.health || in["connection"] != tc.connection {
				t.Fatalf("health %v connection %v, want %s %s", in["health"], in["connection"], tc.health, tc.connection)
			}
			if _, ok := in["last_tested_at"]; !ok {
				t.Fatal("last_tested_at not set")
			}
		})
	}
	// Every test is logged: an action entry and a health entry.
	entries, _, err := e.db.ListLogs(context.Background(), id, store.Page{Take: 100})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, en := range entries {
		kinds[en.Kind]++
		if en.Kind != store.LogQuery && en.Actor != "admin" {
			t.Errorf("entry %+v not under the token's name", en)
		}
	}
	if kinds[store.LogAction] < 7 || kinds[store.LogHealth] != 7 {
		t.Fatalf("log kinds %v", kinds)
	}

	t.Run("plugin gone", func(t *testing.T) {
		e := e.with(t)
		e.plugins.mu.Lock()
		e.plugins.infos = e.plugins.infos[:1]
		e.plugins.mu.Unlock()
		e.do("POST", ip+"/test", e.admin, nil).want(503, CodeUnavailable).wantMessage("hello")
	})
}

func TestLifecycle(t *testing.T) {
	e := newEnv(t)
	cid := e.customer("Acme")
	ip := e.integration(cid)
	id := ip[strings.LastIndex(ip, "/")+1:]

	// Enable is refused until a test passed, and writes nothing.
	before := e.snapshot()
	e.do("POST", ip+"/enable", e.admin, nil).want(409, CodeFailedPrecondition).wantMessage("test")
	e.do("POST", ip+"/pause", e.admin, nil).want(409, CodeFailedPrecondition)
	e.do("POST", ip+"/resume", e.admin, nil).want(409, CodeFailedPrecondition)
	e.do("POST", ip+"/sync", e.admin, map[string]any{"kind": "new"}).want(409, CodeFailedPrecondition)
	e.wantUnchanged(before)
	if _, ok := e.sched.kinds(id); ok {
		t.Fatal("scheduled before enable")
	}

	e.setTest(func(context.Context, sdk.TestRequest) (*sdk.TestResponse, error) {
		return &sdk.TestResponse{OK: false, Message: "nope"}, nil
	})
	e.do("POST", ip+"/test", e.admin, nil).want(200)
	e.do("POST", ip+"/enable", e.admin, nil).want(409, CodeFailedPrecondition)

	e.setTest(func(context.Context, sdk.TestRequest) (*sdk.TestResponse, error) {
		return &sdk.TestResponse{OK: true}, nil
	})
	e.do("POST", ip+"/test", e.admin, "{}").want(200)
	r := e.do("POST", ip+"/enable", e.admin, nil).want(200).json()
	if r["status"] != "ACTIVE" || r["connection"] != "CONNECTED" {
		t.Fatalf("enabled %v", r)
	}
	kinds, ok := e.sched.kinds(id)
	if !ok || !slices.Equal(kinds, []scheduler.Kind{scheduler.KindNew, scheduler.KindLostFound, scheduler.KindFallback}) {
		t.Fatalf("scheduler kinds %v %v", kinds, ok)
	}
	if s := e.sched.scheds[id]; s.NewInterval != time.Minute || s.FallbackLookback != 24*time.Hour {
		t.Fatalf("scheduler schedule %+v", s)
	}

	// INGESTING while the scheduler says a query runs.
	e.sched.RunningFn = func(x string) bool { return x == id }
	if r := e.do("GET", ip, e.admin, nil).want(200).json(); r["status"] != "INGESTING" || r["connection"] != "CONNECTED" {
		t.Fatalf("while running %v", r)
	}
	e.sched.RunningFn = nil

	// Sync: the kind is checked, then the trigger goes to the scheduler.
	r = e.do("POST", ip+"/sync", e.admin, map[string]any{"kind": "lost_found"}).want(202).json()
	if r["kind"] != "lost_found" || r["integration_id"] != id {
		t.Fatalf("sync %v", r)
	}
	if !slices.Contains(e.sched.callLog(), "trigger "+id+" lost_found") {
		t.Fatalf("scheduler calls %v", e.sched.callLog())
	}
	e.do("POST", ip+"/sync", e.admin, map[string]any{"kind": "everything"}).want(400, CodeInvalidArgument).wantMessage("new, lost_found, fallback")
	e.do("POST", ip+"/sync", e.admin, map[string]any{}).want(400, CodeInvalidArgument)

	// A changed schedule of an enabled integration reaches the scheduler.
	e.do("PATCH", ip, e.admin, map[string]any{"schedule": map[string]any{"new_interval_s": 5}}).want(200)
	if s := e.sched.scheds[id]; s.NewInterval != 5*time.Second {
		t.Fatalf("scheduler schedule after patch %+v", s)
	}

	r = e.do("POST", ip+"/pause", e.admin, nil).want(200).json()
	if r["status"] != "PAUSED" || r["connection"] != "DISCONNECTED" {
		t.Fatalf("paused %v", r)
	}
	if _, ok := e.sched.kinds(id); ok {
		t.Fatal("paused integration still scheduled")
	}
	e.do("POST", ip+"/sync", e.admin, map[string]any{"kind": "new"}).want(409, CodeFailedPrecondition).wantMessage("paused")
	r = e.do("POST", ip+"/resume", e.admin, nil).want(200).json()
	if r["status"] != "ACTIVE" {
		t.Fatalf("resumed %v", r)
	}
	if _, ok := e.sched.kinds(id); !ok {
		t.Fatal("resumed integration not scheduled")
	}
	r = e.do("POST", ip+"/disable", e.admin, nil).want(200).json()
	if r["status"] != "NOT_ACTIVE" || r["connection"] != "DISCONNECTED" {
		t.Fatalf("disabled %v", r)
	}
	if _, ok := e.sched.kinds(id); ok {
		t.Fatal("disabled integration still scheduled")
	}

	// Every action is in the activity log, newest first, under the token.
	logs := e.do("GET", ip+"/logs?take=500", e.admin, nil).want(200).json()["items"].([]any)
	var msgs []string
	for _, l := range logs {
		m := l.(map[string]any)
		if m["actor"] != "admin" {
			t.Errorf("entry %v", m)
		}
		if m["kind"] == "action" {
			msgs = append(msgs, m["message"].(string))
		}
	}
	joined := strings.Join(msgs, "|")
	for _, want := range []string{"integration disabled", "integration resumed", "integration paused", "sync lost_found requested", "integration enabled", "test requested", "integration created"} {
		if !strings.Contains(joined, want) {
			t.Errorf("no %q in %v", want, msgs)
		}
	}
	if !strings.HasPrefix(joined, "integration disabled") {
		t.Errorf("log not newest first: %v", msgs)
	}

	// Delete removes it from the scheduler and the store.
	e.do("POST", ip+"/enable", e.admin, nil).want(200)
	e.do("DELETE", ip, e.admin, nil).want(204)
	if _, ok := e.sched.kinds(id); ok {
		t.Fatal("deleted integration still scheduled")
	}
	for _, p := range []string{ip, ip + "/logs", ip + "/runs", ip + "/stats"} {
		e.do("GET", p, e.admin, nil).want(404, CodeNotFound)
	}
	for _, a := range []string{"test", "enable", "disable", "pause", "resume"} {
		e.do("POST", ip+"/"+a, e.admin, nil).want(404, CodeNotFound)
	}
	e.do("POST", ip+"/sync", e.admin, map[string]any{"kind": "new"}).want(404, CodeNotFound)
	e.do("PATCH", ip, e.admin, map[string]any{"name": "x"}).want(404, CodeNotFound)
	e.do("DELETE", ip, e.admin, nil).want(404, CodeNotFound)
}

func TestSyncKindThePluginLacks(t *testing.T) {
	e := newEnv(t)
	cid := e.customer("Acme")
	in := e.do("POST", "/v1/customers/"+cid+"/integrations", e.admin, map[string]any{"type": "windowless", "name": "w"}).want(201).json()
	ip := "/v1/customers/" + cid + "/integrations/" + in["integration_id"].(string)
	e.setTest(func(context.Context, sdk.TestRequest) (*sdk.TestResponse, error) {
		return &sdk.TestResponse{OK: true}, nil
	})
	e.do("POST", ip+"/test", e.admin, nil).want(200)
	e.do("POST", ip+"/enable", e.admin, nil).want(200)
	kinds, _ := e.sched.kinds(in["integration_id"].(string))
	if !slices.Equal(kinds, []scheduler.Kind{scheduler.KindNew}) {
		t.Fatalf("kinds %v", kinds)
	}
	e.do("POST", ip+"/sync", e.admin, map[string]any{"kind": "fallback"}).want(400, CodeInvalidArgument).wantMessage("fallback")
	e.do("POST", ip+"/sync", e.admin, map[string]any{"kind": "new"}).want(202)
}

func TestConnectionDerivation(t *testing.T) {
	e := newEnv(t)
	cid := e.customer("Acme")
	ip := e.integration(cid)
	id := ip[strings.LastIndex(ip, "/")+1:]
	for _, tc := range []struct {
		status, health string
		ever           bool
		running        bool
		wantStatus     string
		want           string
	}{
		{store.StatusNotActive, store.HealthUntested, false, false, "NOT_ACTIVE", "PENDING"},
		{store.StatusNotActive, store.HealthHealthy, false, false, "NOT_ACTIVE", "PENDING"},
		{store.StatusNotActive, store.HealthHealthy, true, false, "NOT_ACTIVE", "DISCONNECTED"},
		{store.StatusNotActive, store.HealthUnhealthy, true, false, "NOT_ACTIVE", "ERROR"},
		{store.StatusActive, store.HealthHealthy, true, false, "ACTIVE", "CONNECTED"},
		{store.StatusActive, store.HealthHealthy, true, true, "INGESTING", "CONNECTED"},
		{store.StatusActive, store.HealthUnhealthy, true, true, "INGESTING", "ERROR"},
		{store.StatusActive, store.HealthUnhealthy, true, false, "ACTIVE", "ERROR"},
		{store.StatusPaused, store.HealthHealthy, true, false, "PAUSED", "DISCONNECTED"},
		{store.StatusPaused, store.HealthUnhealthy, true, false, "PAUSED", "ERROR"},
	} {
		t.Run(tc.status+"/"+tc.health, func(t *testing.T) {
			e := e.with(t)
			if _, err := e.db.UpdateIntegration(context.Background(), id, func(in *store.Integration) error {
				in.Status, in.Health, in.EverEnabled = tc.status, tc.health, tc.ever
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			e.sched.RunningFn = func(string) bool { return tc.running }
			r := e.do("GET", ip, e.admin, nil).want(200).json()
			if r["status"] != tc.wantStatus || r["connection"] != tc.want {
				t.Fatalf("status %v connection %v, want %s %s", r["status"], r["connection"], tc.wantStatus, tc.want)
			}
			list := e.do("GET", "/v1/customers/"+cid+"/integrations?take=5", e.admin, nil).want(200).json()["items"].([]any)
			if list[0].(map[string]any)["connection"] != tc.want {
				t.Fatalf("list connection %v", list[0])
			}
		})
	}
}

func TestRunsLogsStats(t *testing.T) {
	e := newEnv(t)
	ip := e.integration(e.customer("Acme"))
	id := ip[strings.LastIndex(ip, "/")+1:]
	ctx := context.Background()
	start := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	for i, k := range []string{"new", "lost_found", "new", "fallback"} {
		run := store.Run{Kind: k, StartedAt: start.Add(time.Duration(i) * 10 * time.Minute),
			FinishedAt: start.Add(time.Duration(i)*10*time.Minute + time.Second), Fetched: 5, Stored: 3, Duplicates: 2}
		if i == 3 {
			run.Error = "vendor 500"
		}
		if err := e.db.AddRun(ctx, id, run); err != nil {
			t.Fatal(err)
		}
	}
	m := e.do("GET", ip+"/runs?take=2", e.admin, nil).want(200).json()
	runs := m["items"].([]any)
	if m["total"] != 4.0 || len(runs) != 2 {
		t.Fatalf("runs %v", m)
	}
	first := runs[0].(map[string]any)
	if first["kind"] != "fallback" || first["error"] != "vendor 500" || first["started_at"] != "2024-01-01T12:30:00Z" {
		t.Fatalf("newest run %v", first)
	}
	for _, k := range []string{"run_id", "kind", "started_at", "finished_at", "fetched", "stored", "duplicates", "updated", "error"} {
		if _, ok := first[k]; !ok {
			t.Errorf("run lacks %s", k)
		}
	}
	if m := e.do("GET", ip+"/logs", e.admin, nil).want(200).json(); m["total"] != 1.0 {
		t.Fatalf("logs total %v", m)
	}
	entry := e.do("GET", ip+"/logs?take=1", e.admin, nil).want(200).json()["items"].([]any)[0].(map[string]any)
	for _, k := range []string{"time", "level", "kind", "actor", "message"} {
		if _, ok := entry[k]; !ok {
			t.Errorf("log entry lacks %s", k)
		}
	}

	st := e.do("GET", ip+"/stats?from=2024-01-01T12:00:00Z&to=2024-01-01T13:00:00Z&bucket=5m", e.admin, nil).want(200).json()
	buckets := st["buckets"].([]any)
	if len(buckets) != 12 {
		t.Fatalf("%d buckets of 5m in an hour", len(buckets))
	}
	b0 := buckets[0].(map[string]any)
	if b0["start"] != "2024-01-01T12:00:00Z" || b0["new"] != 1.0 {
		t.Fatalf("first bucket %v", b0)
	}
	hour := e.do("GET", ip+"/stats?from=2024-01-01T12:00:00Z&to=2024-01-01T13:00:00Z&bucket=1h", e.admin, nil).want(200).json()["buckets"].([]any)
	h0 := hour[0].(map[string]any)
	if len(hour) != 1 || h0["new"] != 2.0 || h0["lost_found"] != 1.0 || h0["fallback"] != 1.0 || h0["errors"] != 1.0 {
		t.Fatalf("hour bucket %v", hour)
	}
	e.do("GET", ip+"/stats", e.admin, nil).want(200)
	e.do("GET", ip+"/stats?from=2024-01-01T00:00:00Z&to=2024-01-03T00:00:00Z&bucket=1d", e.admin, nil).want(200)
	for _, q := range []string{"bucket=2h", "from=yesterday", "to=2024-13-01T00:00:00Z",
		"from=2024-01-02T00:00:00Z&to=2024-01-01T00:00:00Z", "from=2000-01-01T00:00:00Z&to=2024-01-01T00:00:00Z&bucket=5m", "skip=1"} {
		t.Run(q, func(t *testing.T) {
			e := e.with(t)
			e.do("GET", ip+"/stats?"+q, e.admin, nil).want(400, CodeInvalidArgument)
		})
	}
	e.do("GET", ip+"/runs?take=501", e.admin, nil).want(400, CodeInvalidArgument)
	e.do("GET", ip+"/logs?take=-1", e.admin, nil).want(400, CodeInvalidArgument)
}
