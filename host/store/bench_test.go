package store

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/outpost-soc/outpost/sdk"
)

// BenchmarkCommit commits batches of 1,000 alerts of 1.5 KB, one
// transaction each with fsync, as ingest does, and reports events/s and
// the bytes on disk per event: "used" is the size of the data (what a
// backup or a compacted file takes), "file" the file's allocated blocks.
func BenchmarkCommit(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "outpost.db")
	d, err := Open(path, Options{Key: testKey})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	c := mustCustomer(b, d, "acme")
	in := mustInteg(b, d, c.ID, "edr")
	const batch = 1000
	now := time.Now()
	cursor := "c"
	var rawBytes int
	var cpu time.Duration
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		evs := alerts(i*batch, batch, now)
		for _, e := range evs {
			rawBytes += len(e.Raw)
		}
		b.StartTimer()
		c0 := cpuTime()
		res, err := d.Commit(ctx, CommitRequest{IntegrationID: in.ID, Kind: KindNew, Cursor: &cursor, Events: evs, Now: time.Now()})
		cpu += cpuTime() - c0
		if err != nil {
			b.Fatal(err)
		}
		if res.Stored != batch {
			b.Fatalf("stored %d of %d", res.Stored, batch)
		}
	}
	b.StopTimer()
	n := float64(b.N * batch)
	b.ReportMetric(n/b.Elapsed().Seconds(), "events/s")
	var used int64
	_ = d.bolt.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
	b.ReportMetric(float64(used)/n, "B/event-used")
	if st, err := os.Stat(path); err == nil {
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			b.ReportMetric(float64(sys.Blocks*512)/n, "B/event-file")
		}
	}
	b.ReportMetric(float64(rawBytes)/n, "B/event-raw")
	// CPU time per event stays meaningful on a busy machine, where
	// events/s does not.
	b.ReportMetric(float64(cpu.Microseconds())/n, "cpu-µs/event")
	if testing.Verbose() {
		logBuckets(b, d, int(n))
	}
	b.ReportMetric(0, "ns/op")
}

var benchCases = flag.Int("cases", 100000, "cases for BenchmarkSearchCases and BenchmarkGetCase (-cases=1000000 for the target)")

// caseDB builds (once per process) a database of *benchCases cases over
// 10 customers, as ingest makes them, then works a fifth of them: a mix of
// statuses and assignees like a SOC's.
func caseDB(b *testing.B) (*DB, []string, []string) {
	b.Helper()
	caseOnce.Do(func() {
		dir, err := os.MkdirTemp("", "outpost-bench-")
		if err != nil {
			caseErr = err
			return
		}
		caseDir = dir
		ctx := context.Background()
		d, err := Open(filepath.Join(dir, "outpost.db"), Options{Key: testKey, NoSync: true})
		if err != nil {
			caseErr = err
			return
		}
		var integs []*Integration
		for i := range 10 {
			c := mustCustomer(b, d, fmt.Sprint("customer ", i))
			caseCustomers = append(caseCustomers, c.ID)
			integs = append(integs, mustInteg(b, d, c.ID, "edr"))
		}
		now := time.Now().Add(-time.Duration(*benchCases) * time.Millisecond)
		for n := 0; n < *benchCases; n += 1000 {
			batch := min(1000, *benchCases-n)
			res, err := d.Commit(ctx, CommitRequest{IntegrationID: integs[n/1000%10].ID, Events: alerts(n, batch, now), Now: now.Add(time.Duration(n) * time.Millisecond)})
			if err != nil {
				caseErr = err
				return
			}
			caseIDs = append(caseIDs, res.CaseIDs...)
		}
		statuses := []string{CaseUnderInvestigation, CaseOpen, CasePending, CaseClosed, CaseClosed}
		for i := 0; i < len(caseIDs); i += 5 {
			if _, err := d.UpdateCase(ctx, caseIDs[i], CaseUpdate{Actor: "analyst"}, func(c *Case) error {
				c.Status = statuses[i/5%len(statuses)]
				c.AssignedTo = []string{"alice", "bob", "carol"}[i%3]
				return nil
			}); err != nil {
				caseErr = err
				return
			}
		}
		caseStore = d
	})
	if caseErr != nil {
		b.Fatal(caseErr)
	}
	return caseStore, caseIDs, caseCustomers
}

var (
	caseOnce      sync.Once
	caseStore     *DB
	caseDir       string
	caseErr       error
	caseIDs       []string
	caseCustomers []string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if caseStore != nil {
		_ = caseStore.Close()
		_ = os.RemoveAll(caseDir)
	}
	os.Exit(code)
}

// BenchmarkSearchCases runs the searches of a case queue (pages of 50) and
// reports their latency percentiles.
func BenchmarkSearchCases(b *testing.B) {
	d, _, customers := caseDB(b)
	ctx := context.Background()
	searches := []struct {
		name string
		f    func(i int) CaseFilter
		skip int
	}{
		{"status", func(int) CaseFilter { return CaseFilter{Statuses: []string{CaseNew}} }, 0},
		{"statuses", func(int) CaseFilter {
			return CaseFilter{Statuses: []string{CaseOpen, CaseUnderInvestigation, CasePending}}
		}, 0},
		{"customer", func(i int) CaseFilter { return CaseFilter{CustomerID: customers[i%len(customers)]} }, 0},
		{"customer-status-severity", func(i int) CaseFilter {
			return CaseFilter{CustomerID: customers[i%len(customers)], Statuses: []string{CaseNew}, Severities: []string{sdk.LevelHigh, sdk.LevelCritical}}
		}, 0},
		{"customer-page-20", func(i int) CaseFilter { return CaseFilter{CustomerID: customers[i%len(customers)]} }, 1000},
		{"assignee-open", func(int) CaseFilter { return CaseFilter{AssignedTo: "alice", Statuses: []string{CaseOpen}} }, 0},
		{"text", func(int) CaseFilter { return CaseFilter{Text: "impossible travel"} }, 0},
		{"text-customer", func(i int) CaseFilter {
			return CaseFilter{CustomerID: customers[i%len(customers)], Text: "impossible travel"}
		}, 0},
	}
	for _, s := range searches {
		b.Run(s.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for i := range b.N {
				t0 := time.Now()
				page, total, err := d.SearchCases(ctx, s.f(i), Page{Skip: s.skip, Take: 50})
				lat = append(lat, time.Since(t0))
				if err != nil || total == 0 || len(page) == 0 {
					b.Fatalf("search: %d of %d, %v", len(page), total, err)
				}
			}
			reportLatency(b, lat)
		})
	}
}

// BenchmarkGetCase reads random cases.
func BenchmarkGetCase(b *testing.B) {
	d, ids, _ := caseDB(b)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	lat := make([]time.Duration, 0, b.N)
	for range b.N {
		id := ids[r.IntN(len(ids))]
		t0 := time.Now()
		if _, err := d.GetCase(ctx, id); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	reportLatency(b, lat)
}

func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(*benchCases), "cases")
}

// logBuckets logs the bytes each bucket takes, per event.
func logBuckets(tb testing.TB, d *DB, n int) {
	_ = d.bolt.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			s := b.Stats()
			alloc := s.BranchAlloc + s.LeafAlloc
			if alloc == 0 {
				return nil
			}
			tb.Logf("%-12s keys %8d  alloc %6.0f B/event  inuse %6.0f B/event  (%.0f%% full)", name, s.KeyN,
				float64(alloc)/float64(n), float64(s.BranchInuse+s.LeafInuse)/float64(n), 100*float64(s.BranchInuse+s.LeafInuse)/float64(alloc))
			return nil
		})
	})
}

// cpuTime is the CPU time (user and system) of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
