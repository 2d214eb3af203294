package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type integration struct {
	ID            string         `json:"integration_id"`
	Status        string         `json:"status"`
	Health        string         `json:"health"`
	Connection    string         `json:"connection"`
	Config        map[string]any `json:"config"`
	LastError     string         `json:"last_error"`
	LastSuccessAt *string        `json:"last_success_at"`
}

type total struct {
	Total int `json:"total"`
}

type runList struct {
	Total int `json:"total"`
	Items []struct {
		Kind    string `json:"kind"`
		Fetched int    `json:"fetched"`
		Stored  int    `json:"stored"`
		Error   string `json:"error"`
	} `json:"items"`
}

// createHello creates a customer and a hello integration from vendorsim's
// printed config, with the given schedule.
func createHello(t testing.TB, h *host, sim *vendorsim, schedule map[string]any) (customerID string, in integration) {
	t.Helper()
	var cust struct {
		ID string `json:"customer_id"`
	}
	h.must(http.StatusCreated, "POST", "/v1/customers", map[string]any{"name": "acme"}, &cust)
	h.must(http.StatusCreated, "POST", "/v1/customers/"+cust.ID+"/integrations", map[string]any{
		"type": "hello", "name": "hello vendor", "config": sim.vendors["hello"].Config, "schedule": schedule,
	}, &in)
	return cust.ID, in
}

func eventsOf(t testing.TB, h *host, integrationID string) int {
	t.Helper()
	var n total
	h.must(http.StatusOK, "GET", "/v1/security-events?integration_id="+integrationID, nil, &n)
	return n.Total
}

// TestEndToEndLifecycle drives the real host binary through HTTP only:
// customer, integration, test, enable, events, pause, resume, each sync
// kind, logs, runs and stats.
func TestEndToEndLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	sim := startVendorsim(t, []string{"hello"}, "--alerts", "300", "--rate", "2", "--late-fraction", "0")
	h := startHost(t, t.TempDir(), freePort(t))

	cust, in := createHello(t, h, sim, map[string]any{"new_interval_s": 1, "lost_found_interval_s": 3600, "fallback_interval_s": 3600})
	base := "/v1/customers/" + cust + "/integrations/" + in.ID
	if in.Status != "NOT_ACTIVE" || in.Health != "UNTESTED" || in.Connection != "PENDING" {
		t.Fatalf("new integration: %+v", in)
	}
	if in.Config["api_key"] != "********" {
		t.Fatalf("secret shown back: %v", in.Config["api_key"])
	}
	// Enable before a passing test is refused.
	var apiErr struct{ Code, Message string }
	if code := h.do("POST", base+"/enable", nil, &apiErr); code != http.StatusConflict || apiErr.Code != "FAILED_PRECONDITION" {
		t.Fatalf("enable before test: %d %+v", code, apiErr)
	}
	var tr struct {
		OK      bool   `json:"ok"`
		Message string `json:"message"`
	}
	h.must(http.StatusOK, "POST", base+"/test", nil, &tr)
	if !tr.OK {
		t.Fatalf("test failed: %+v", tr)
	}
	h.must(http.StatusOK, "POST", base+"/enable", nil, &in)
	waitFor(t, 60*time.Second, "all initial alerts stored", func() bool { return eventsOf(t, h, in.ID) >= 300 })
	h.must(http.StatusOK, "GET", base, nil, &in)
	if in.Connection != "CONNECTED" || in.Health != "HEALTHY" {
		t.Fatalf("enabled integration: %+v", in)
	}

	h.must(http.StatusOK, "POST", base+"/pause", nil, &in)
	if in.Status != "PAUSED" || in.Connection != "DISCONNECTED" {
		t.Fatalf("paused: %+v", in)
	}
	time.Sleep(1500 * time.Millisecond) // a run in flight at pause may still finish
	paused := eventsOf(t, h, in.ID)
	time.Sleep(2 * time.Second)
	if got := eventsOf(t, h, in.ID); got != paused {
		t.Fatalf("events grew while paused: %d -> %d", paused, got)
	}
	h.must(http.StatusOK, "POST", base+"/resume", nil, &in)
	waitFor(t, 30*time.Second, "events after resume", func() bool { return eventsOf(t, h, in.ID) > paused })

	for _, kind := range []string{"new", "lost_found", "fallback"} {
		h.must(http.StatusAccepted, "POST", base+"/sync", map[string]any{"kind": kind}, nil)
	}
	waitFor(t, 30*time.Second, "a run of each kind", func() bool {
		var runs runList
		h.must(http.StatusOK, "GET", base+"/runs?take=500", nil, &runs)
		seen := map[string]bool{}
		for _, r := range runs.Items {
			seen[r.Kind] = true
		}
		return seen["new"] && seen["lost_found"] && seen["fallback"]
	})
	var runs runList
	h.must(http.StatusOK, "GET", base+"/runs?take=500", nil, &runs)
	dups := 0
	for _, r := range runs.Items {
		if r.Error != "" {
			t.Errorf("run %s failed: %s", r.Kind, r.Error)
		}
		if r.Kind != "new" {
			dups += r.Fetched - r.Stored
		}
	}
	if dups == 0 {
		t.Error("lost-found and fallback re-read stored alerts but counted no duplicates")
	}
	var logs struct {
		Total int `json:"total"`
		Items []struct {
			Kind, Actor, Message string
		} `json:"items"`
	}
	h.must(http.StatusOK, "GET", base+"/logs?take=100", nil, &logs)
	actions := map[string]bool{}
	for _, l := range logs.Items {
		if l.Kind == "action" {
			actions[l.Message] = true
			if l.Actor == "" {
				t.Errorf("action without actor: %q", l.Message)
			}
		}
	}
	if len(actions) < 5 {
		t.Errorf("activity log has %d distinct actions, want test/enable/pause/resume/sync: %v", len(actions), actions)
	}
	var stats struct {
		Buckets []struct {
			New       int `json:"new"`
			LostFound int `json:"lost_found"`
			Fallback  int `json:"fallback"`
			Events    int `json:"events"`
		} `json:"buckets"`
	}
	now := time.Now().UTC()
	q := fmt.Sprintf("?from=%s&to=%s&bucket=1h", now.Add(-time.Hour).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
	h.must(http.StatusOK, "GET", base+"/stats"+q, nil, &stats)
	var sum struct{ n, lf, fb, ev int }
	for _, b := range stats.Buckets {
		sum.n += b.New
		sum.lf += b.LostFound
		sum.fb += b.Fallback
		sum.ev += b.Events
	}
	if sum.n == 0 || sum.lf == 0 || sum.fb == 0 || sum.ev < 300 {
		t.Errorf("stats do not show the runs and events: %+v", sum)
	}

	// Metrics are open and count what happened.
	resp, err := http.Get(h.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`outpost_query_runs_total{kind="lost_found",result="ok",type="hello"}`, `outpost_events_total{kind="new",outcome="stored",type="hello"}`, `outpost_plugins{state="READY"}`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// An online backup, restored into a new data dir with the same key,
	// serves the same events.
	stored := eventsOf(t, h, in.ID)
	restored := t.TempDir()
	backupFile := filepath.Join(t.TempDir(), "snapshot.db")
	out, err := exec.Command(filepath.Join(binaries(t), "outpost"), "backup", "--to", backupFile, "--url", h.url, "--data-dir", h.dataDir).CombinedOutput()
	if err != nil {
		t.Fatalf("outpost backup: %v: %s", err, out)
	}
	h.stop()
	snapshot, err := os.ReadFile(backupFile)
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(h.dataDir, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(restored, "outpost.db"), snapshot, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(restored, "secret.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	adminToken, _ := os.ReadFile(filepath.Join(h.dataDir, "admin.token"))
	if err := os.WriteFile(filepath.Join(restored, "admin.token"), adminToken, 0o600); err != nil {
		t.Fatal(err)
	}
	h2 := startHost(t, restored, freePort(t))
	if got := eventsOf(t, h2, in.ID); got < stored {
		t.Fatalf("restored host has %d events, the backup was taken with %d", got, stored)
	}
	var again integration
	h2.must(http.StatusOK, "GET", base, nil, &again)
	if again.Config["api_key"] != "********" {
		t.Fatalf("restored integration: %+v", again)
	}
	h2.must(http.StatusOK, "POST", base+"/test", nil, &tr)
	if !tr.OK {
		t.Fatalf("restored integration's sealed secret no longer works: %+v", tr)
	}
	h2.stop()
}
