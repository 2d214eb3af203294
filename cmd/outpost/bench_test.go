package main

import (
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkIngestEndToEnd measures the whole pipeline: vendorsim's hello
// fake → the hello plugin process → the host → bbolt, through the real
// binaries. Each iteration ingests -ingest-alerts alerts (default 100,000,
// ~1.5 KB each) into a fresh data directory and reports alerts/s, the
// host's peak resident memory and the database bytes per alert.
func BenchmarkIngestEndToEnd(b *testing.B) {
	alerts := 100000
	if v := os.Getenv("OUTPOST_BENCH_ALERTS"); v != "" {
		alerts, _ = strconv.Atoi(v)
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		tb := testing.TB(b)
		sim := startVendorsim(tb, []string{"hello"}, "--alerts", strconv.Itoa(alerts), "--rate", "0", "--late-fraction", "0")
		dataDir := b.TempDir()
		h := startHost(tb, dataDir, freePort(tb))
		cust, in := createHello(tb, h, sim, map[string]any{"new_interval_s": 3600, "lost_found_interval_s": 36000, "fallback_interval_s": 36000, "initial_lookback_s": 7200})
		base := "/v1/customers/" + cust + "/integrations/" + in.ID
		h.must(http.StatusOK, "POST", base+"/test", nil, nil)
		b.StartTimer()
		start := time.Now()
		h.must(http.StatusOK, "POST", base+"/enable", nil, nil)
		for eventsOf(tb, h, in.ID) < alerts {
			time.Sleep(20 * time.Millisecond)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		b.ReportMetric(float64(alerts)/elapsed.Seconds(), "alerts/s")
		b.ReportMetric(float64(peakRSS(h.cmd.Process.Pid))/(1<<20), "host-peak-MiB")
		h.stop()
		if fi, err := os.Stat(dataDir + "/outpost.db"); err == nil {
			b.ReportMetric(float64(fi.Size())/float64(alerts), "db-bytes/alert")
		}
	}
}

// peakRSS is VmHWM of a live process, in bytes.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
