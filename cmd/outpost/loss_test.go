package main

import (
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// lossSchedule polls often and re-reads two hours behind the cursor, so the
// late alerts (spread over the hour before vendorsim started) are in reach.
var lossSchedule = map[string]any{
	"new_interval_s": 1, "lost_found_interval_s": 2, "lost_found_lookback_s": 7200,
	"fallback_interval_s": 3600, "fallback_lookback_s": 7200, "initial_lookback_s": 7200,
}

// distinctEvents pages through every event of the integration and returns
// how many there are and how many distinct original ids they carry.
func distinctEvents(t *testing.T, h *host, integrationID string) (n, distinct int) {
	t.Helper()
	seen := map[string]bool{}
	var first string
	for skip := 0; ; skip += 500 {
		var page struct {
			Total int `json:"total"`
			Items []struct {
				ID         string `json:"id"`
				OriginalID string `json:"original_id"`
			} `json:"items"`
		}
		q := "/v1/security-events?integration_id=" + integrationID + "&take=500&skip=" + strconv.Itoa(skip)
		if first != "" {
			q += "&to=" + first
		}
		h.must(http.StatusOK, "GET", q, nil, &page)
		if first == "" && len(page.Items) > 0 {
			first = page.Items[0].ID
		}
		for _, e := range page.Items {
			n++
			seen[e.OriginalID] = true
		}
		if len(page.Items) < 500 {
			return n, len(seen)
		}
	}
}

func lostFoundStored(t *testing.T, h *host, base string) int {
	t.Helper()
	var runs runList
	h.must(http.StatusOK, "GET", base+"/runs?take=500", nil, &runs)
	n := 0
	for _, r := range runs.Items {
		if r.Kind == "lost_found" {
			n += r.Stored
		}
	}
	return n
}

// TestEndToEndNoLossAcrossHostKills: 50,000 alerts, some indexed late, the
// host SIGKILLed twice mid-ingest and restarted; at the end exactly 50,000
// distinct events are stored, none twice, and lost-found found late ones.
// The late alerts appear 45 s after vendorsim starts, when the new query's
// cursor has long passed their timestamps: only lost-found can find them,
// and it does under the last host, which lives to record its runs.
func TestEndToEndNoLossAcrossHostKills(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	const alerts = 50000
	sim := startVendorsim(t, []string{"hello"}, "--alerts", strconv.Itoa(alerts), "--rate", "0",
		"--late-fraction", "0.02", "--late-delay", "45s", "--rate-limit-every", "25")
	dataDir, addr := t.TempDir(), freePort(t)
	h := startHost(t, dataDir, addr)
	cust, in := createHello(t, h, sim, lossSchedule)
	base := "/v1/customers/" + cust + "/integrations/" + in.ID
	h.must(http.StatusOK, "POST", base+"/test", nil, nil)
	h.must(http.StatusOK, "POST", base+"/enable", nil, nil)

	for i, at := range []int{8000, 25000} {
		waitFor(t, 120*time.Second, "ingest to pass "+strconv.Itoa(at), func() bool { return eventsOf(t, h, in.ID) >= at })
		got := eventsOf(t, h, in.ID)
		if got >= alerts {
			t.Fatalf("ingest finished before kill %d (at %d events): the test no longer kills mid-ingest", i+1, got)
		}
		t.Logf("SIGKILL %d at %d events", i+1, got)
		h.kill()
		h = startHost(t, dataDir, addr)
	}
	polls := 0
	waitFor(t, 180*time.Second, "every alert stored and late ones found", func() bool {
		n, lf := eventsOf(t, h, in.ID), lostFoundStored(t, h, base)
		if polls++; polls%50 == 0 {
			t.Logf("%d events stored, %d by lost-found", n, lf)
		}
		return n >= alerts && lf > 0
	})
	// Let a few more lost-found runs re-read the window: nothing may be added.
	time.Sleep(5 * time.Second)
	n, distinct := distinctEvents(t, h, in.ID)
	if n != alerts || distinct != alerts || eventsOf(t, h, in.ID) != alerts {
		t.Fatalf("stored %d events (%d distinct, total %d), want exactly %d", n, distinct, eventsOf(t, h, in.ID), alerts)
	}
	st := sim.state(t, "hello")
	if st.Alerts != alerts || st.Late == 0 {
		t.Fatalf("vendor state %+v", st)
	}
	t.Logf("late alerts at the vendor: %d; stored by lost-found runs: %d", st.Late, lostFoundStored(t, h, base))
	h.stop()
}

// pluginPID finds the hello plugin process started from our build dir.
func pluginPID(t *testing.T, name string) int {
	t.Helper()
	out, _ := exec.Command("pgrep", "-f", filepath.Join(binaries(t), "plugins", "outpost-plugin-"+name)).Output()
	fields := strings.Fields(string(out))
	if len(fields) == 0 {
		return 0
	}
	pid, _ := strconv.Atoi(fields[0])
	return pid
}

// TestEndToEndPluginKilledMidRun: the plugin process dies mid-run; the host
// restarts it and ingestion resumes from the committed cursor: every alert
// stored once.
func TestEndToEndPluginKilledMidRun(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	const alerts = 20000
	sim := startVendorsim(t, []string{"hello"}, "--alerts", strconv.Itoa(alerts), "--rate", "0",
		"--late-fraction", "0", "--rate-limit-every", "5")
	h := startHost(t, t.TempDir(), freePort(t))
	cust, in := createHello(t, h, sim, lossSchedule)
	base := "/v1/customers/" + cust + "/integrations/" + in.ID
	h.must(http.StatusOK, "POST", base+"/test", nil, nil)
	h.must(http.StatusOK, "POST", base+"/enable", nil, nil)
	waitFor(t, 60*time.Second, "ingest under way", func() bool { return eventsOf(t, h, in.ID) >= 3000 })
	pid := pluginPID(t, "hello")
	if pid == 0 {
		t.Fatal("no hello plugin process found")
	}
	if got := eventsOf(t, h, in.ID); got >= alerts {
		t.Fatalf("ingest finished before the kill (%d events)", got)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 120*time.Second, "every alert after the plugin restart", func() bool { return eventsOf(t, h, in.ID) >= alerts })
	if newPID := pluginPID(t, "hello"); newPID == 0 || newPID == pid {
		t.Fatalf("plugin not restarted: pid %d, was %d", newPID, pid)
	}
	time.Sleep(2 * time.Second)
	n, distinct := distinctEvents(t, h, in.ID)
	if n != alerts || distinct != alerts {
		t.Fatalf("stored %d events (%d distinct), want exactly %d", n, distinct, alerts)
	}
	var runs runList
	h.must(http.StatusOK, "GET", base+"/runs?take=500", nil, &runs)
	failed := 0
	for _, r := range runs.Items {
		if r.Error != "" {
			failed++
		}
	}
	if failed == 0 {
		t.Error("no run recorded the plugin's death")
	}
	h.stop()
}
