package service

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/outpost-soc/outpost/host/plugin"
	"github.com/outpost-soc/outpost/host/scheduler"
	"github.com/outpost-soc/outpost/host/store"
	"github.com/outpost-soc/outpost/sdk"
)

func TestConnection(t *testing.T) {
	for _, tc := range []struct {
		status, health string
		ever           bool
		want           string
	}{
		{store.StatusNotActive, store.HealthUntested, false, ConnectionPending},
		{store.StatusNotActive, store.HealthHealthy, false, ConnectionPending},
		{store.StatusNotActive, store.HealthHealthy, true, ConnectionDisconnected},
		{store.StatusNotActive, store.HealthUntested, true, ConnectionDisconnected},
		{store.StatusNotActive, store.HealthUnhealthy, false, ConnectionError},
		{store.StatusActive, store.HealthHealthy, true, ConnectionConnected},
		{store.StatusIngesting, store.HealthHealthy, true, ConnectionConnected},
		{store.StatusActive, store.HealthUnhealthy, true, ConnectionError},
		{store.StatusIngesting, store.HealthUnhealthy, true, ConnectionError},
		{store.StatusActive, store.HealthUntested, true, ConnectionPending},
		{store.StatusPaused, store.HealthHealthy, true, ConnectionDisconnected},
		{store.StatusPaused, store.HealthUntested, true, ConnectionDisconnected},
		{store.StatusPaused, store.HealthUnhealthy, true, ConnectionError},
	} {
		t.Run(tc.status+"/"+tc.health, func(t *testing.T) {
			if got := Connection(tc.status, tc.health, tc.ever); got != tc.want {
				t.Fatalf("Connection(%s, %s, %v) = %s, want %s", tc.status, tc.health, tc.ever, got, tc.want)
			}
		})
	}
}

func openStore(t *testing.T, dir string) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(dir, "outpost.db"), store.Options{Key: bytes.Repeat([]byte{3}, 32), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

type plugins struct{ infos []plugin.Info }

func (p plugins) List() []plugin.Info { return p.infos }
func (p plugins) Get(name string) (plugin.Info, bool) {
	for _, i := range p.infos {
		if i.Name == name {
			return i, true
		}
	}
	return plugin.Info{}, false
}
func (p plugins) Connector(string) (sdk.Connector, error) { return nil, plugin.ErrUnavailable }
func (p plugins) Rescan(context.Context) error            { return nil }

type sched struct {
	mu  sync.Mutex
	set map[string][]scheduler.Kind
}

func (s *sched) Set(id string, _ scheduler.Schedule, k []scheduler.Kind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.set[id] = k
}
func (s *sched) Remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.set, id)
}
func (s *sched) Trigger(string, scheduler.Kind) error { return nil }
func (s *sched) Running(string) bool                  { return false }

func TestEnsureAdminToken(t *testing.T) {
	for _, tc := range []struct {
		name, env string
	}{
		{"random", ""},
		{"chosen", "chosen-admin-token-0123456789"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			db := openStore(t, dir)
			var logs bytes.Buffer
			s := New(Options{Store: db, Plugins: plugins{}, Scheduler: &sched{set: map[string][]scheduler.Kind{}},
				Logger: hclog.New(&hclog.LoggerOptions{Output: &logs, Level: hclog.Trace})})
			ctx := context.Background()
			if err := s.EnsureAdminToken(ctx, dir, tc.env); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, AdminTokenFile)
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Fatalf("mode %v", st.Mode().Perm())
			}
			b, _ := os.ReadFile(path)
			tok := string(b)
			if !strings.HasSuffix(tok, "\n") || strings.Count(tok, "\n") != 1 {
				t.Fatalf("file %q is not the token and a newline", tok)
			}
			tok = strings.TrimSuffix(tok, "\n")
			if tc.env != "" && tok != tc.env {
				t.Fatalf("token %q, want the chosen one", tok)
			}
			if tc.env == "" && len(tok) != 43 {
				t.Fatalf("random token %q is not 32 bytes base64url", tok)
			}
			if strings.Contains(logs.String(), tok) || !strings.Contains(logs.String(), path) {
				t.Fatalf("log %q: want the path, never the token", logs.String())
			}
			who, err := s.Authenticate(ctx, tok)
			if err != nil || who.Role != store.RoleAdmin {
				t.Fatalf("authenticate %v %v", who, err)
			}
			if _, err := db.TokenByHash(ctx, HashToken(tok)); err != nil {
				t.Fatalf("token not stored by its hash: %v", err)
			}
			// A second start changes nothing.
			if err := s.EnsureAdminToken(ctx, dir, "another-token-abcdefghijkl"); err != nil {
				t.Fatal(err)
			}
			if b2, _ := os.ReadFile(path); !bytes.Equal(b, b2) {
				t.Fatal("second start rewrote the file")
			}
			if n, _ := db.CountTokens(ctx); n != 1 {
				t.Fatalf("%d tokens", n)
			}
		})
	}
	t.Run("unusable chosen token", func(t *testing.T) {
		dir := t.TempDir()
		s := New(Options{Store: openStore(t, dir), Plugins: plugins{}, Scheduler: &sched{set: map[string][]scheduler.Kind{}}})
		if err := s.EnsureAdminToken(context.Background(), dir, "has a space"); err == nil {
			t.Fatal("a token with spaces was accepted")
		}
		if _, err := os.Stat(filepath.Join(dir, AdminTokenFile)); err == nil {
			t.Fatal("file written for a refused token")
		}
	})
}

func TestStartLoadsEnabledIntegrations(t *testing.T) {
	dir := t.TempDir()
	db := openStore(t, dir)
	ctx := context.Background()
	c := &store.Customer{Name: "acme"}
	if err := db.CreateCustomer(ctx, c); err != nil {
		t.Fatal(err)
	}
	mk := func(typ, status string) string {
		in := &store.Integration{CustomerID: c.ID, Type: typ, Name: typ + status, Status: status, Health: store.HealthHealthy,
			Config: map[string]any{}, Secrets: map[string]string{}}
		if err := db.CreateIntegration(ctx, in); err != nil {
			t.Fatal(err)
		}
		return in.ID
	}
	active := mk("hello", store.StatusActive)
	paused := mk("hello", store.StatusPaused)
	off := mk("hello", store.StatusNotActive)
	lost := mk("gone", store.StatusActive)
	chat := mk("chat", store.StatusActive)
	sc := &sched{set: map[string][]scheduler.Kind{lost: {scheduler.KindNew}}}
	s := New(Options{Store: db, Scheduler: sc, Plugins: plugins{infos: []plugin.Info{
		{Name: "hello", State: plugin.StateReady, Capabilities: []sdk.Capability{sdk.CapabilityPoll, sdk.CapabilityFallback}},
		{Name: "chat", State: plugin.StateReady, Capabilities: []sdk.Capability{sdk.CapabilityMirror}},
	}}})
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if k := sc.set[active]; len(k) != 2 || k[0] != scheduler.KindNew || k[1] != scheduler.KindFallback {
		t.Fatalf("active integration kinds %v", k)
	}
	for name, id := range map[string]string{"paused": paused, "not active": off, "plugin gone": lost, "no query kinds": chat} {
		if _, ok := sc.set[id]; ok {
			t.Errorf("%s integration scheduled", name)
		}
	}
}

func TestMergeConfig(t *testing.T) {
	schema := sdk.Schema{Fields: []sdk.Field{
		{Name: "url", Type: sdk.FieldURL, Required: true},
		{Name: "key", Type: sdk.FieldSecret, Required: true},
		{Name: "pin", Type: sdk.FieldInt, Secret: true},
		{Name: "note", Type: sdk.FieldString},
	}}
	plain, secrets, err := splitConfig(schema, map[string]any{"url": "https://h", "key": "k1", "pin": float64(1234), "note": "n"})
	if err != nil {
		t.Fatal(err)
	}
	if secrets["key"] != "k1" || secrets["pin"] != "1234" || plain["key"] != nil || plain["pin"] != nil || plain["note"] != "n" {
		t.Fatalf("split %v %v", plain, secrets)
	}
	in := &store.Integration{Config: plain, Secrets: secrets}
	if m := maskedConfig(in); m["key"] != Mask || m["pin"] != Mask || m["url"] != "https://h" {
		t.Fatalf("masked %v", m)
	}
	cfg, err := PluginConfig(schema, in)
	if err != nil || cfg.String("key") != "k1" || cfg.Int("pin") != 1234 {
		t.Fatalf("plugin config %v %v", cfg, err)
	}
	merged, err := mergeConfig(schema, in, map[string]any{"key": Mask, "pin": Mask, "note": nil, "url": "https://other"})
	if err != nil {
		t.Fatal(err)
	}
	if merged["key"] != "k1" || merged["note"] != nil || merged["url"] != "https://other" {
		t.Fatalf("merged %v", merged)
	}
	if _, err := mergeConfig(schema, &store.Integration{Config: plain, Secrets: map[string]string{}}, map[string]any{"key": Mask}); err == nil {
		t.Fatal("the mask of a secret never stored was accepted")
	}
}

func TestManagerPlugins(t *testing.T) {
	dir := t.TempDir()
	// A file that is not a plugin binary's name is not a plugin.
	if err := os.WriteFile(filepath.Join(dir, "README"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := plugin.New(plugin.Options{Dir: dir})
	defer m.Close()
	p := ManagerPlugins(m)
	if err := p.Rescan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !m.Scanned() || len(p.List()) != 0 {
		t.Fatalf("scanned %v, list %v", m.Scanned(), p.List())
	}
	if _, ok := p.Get("hello"); ok {
		t.Fatal("found a plugin in an empty directory")
	}
	c, err := p.Connector("hello")
	if err == nil || c != nil || !errors.Is(err, plugin.ErrNotFound) {
		t.Fatalf("connector %v %v: want a nil interface and ErrNotFound", c, err)
	}
}
