package api

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/host/store"
	"github.com/outpost-soc/outpost/sdk"
)

// benchCases is the number of cases the benchmarks search; the DESIGN.md
// target is a million (-cases=1000000 or OUTPOST_BENCH_CASES=1000000).
var benchCases = flag.Int("cases", defaultBenchCases(), "cases for BenchmarkGetCase and BenchmarkSearchCases (also OUTPOST_BENCH_CASES)")

func defaultBenchCases() int {
	if n, err := strconv.Atoi(os.Getenv("OUTPOST_BENCH_CASES")); err == nil && n > 0 {
		return n
	}
	return 100000
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.e != nil {
		_ = bench.e.db.Close()
		_ = os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

// bench is the host the benchmarks share, built once per process: its
// cases as ingest makes them, over 10 customers, a fifth of them worked
// (statuses and assignees like a SOC's).
var bench struct {
	once      sync.Once
	err       error
	dir       string
	e         *env
	cases     []string
	customers []string
}

func benchEnv(b *testing.B) *env {
	b.Helper()
	bench.once.Do(func() {
		dir, err := os.MkdirTemp("", "outpost-api-bench-")
		if err != nil {
			bench.err = err
			return
		}
		bench.dir = dir
		e := openEnv(b, dir)
		bench.e = e
		ctx := context.Background()
		var integs []string
		for i := range 10 {
			c := e.customer(fmt.Sprint("customer ", i))
			bench.customers = append(bench.customers, c)
			integs = append(integs, lastSegment(e.integration(c)))
		}
		n := *benchCases
		start := time.Now().Add(-time.Duration(n) * time.Millisecond)
		titles := []string{"Phishing mail reported", "Malware beacon to known C2", "Impossible travel sign-in", "Privilege escalation"}
		for done := 0; done < n; done += 1000 {
			batch := min(1000, n-done)
			evs := make([]sdk.Event, batch)
			for i := range evs {
				k := done + i
				evs[i] = sdk.Event{
					OriginalID: fmt.Sprint("alert-", k), Title: titles[k%len(titles)] + " #" + strconv.Itoa(k),
					Description: "host-" + strconv.Itoa(k%5000) + " user-" + strconv.Itoa(k%777),
					Severity:    []int{0, 20, 50, 80, 95}[k%5], DetectionTime: start.Add(time.Duration(k) * time.Millisecond),
					Observables: []sdk.Observable{sdk.IPObservable("10.0." + strconv.Itoa(k%250) + ".1")},
					Raw:         json.RawMessage(`{"id":"` + strconv.Itoa(k) + `","padding":"` + string(bytes.Repeat([]byte("x"), 1200)) + `"}`),
				}
			}
			res, err := e.db.Commit(ctx, store.CommitRequest{IntegrationID: integs[done/1000%10], Kind: "new",
				Events: evs, Now: start.Add(time.Duration(done) * time.Millisecond)})
			if err != nil {
				bench.err = err
				return
			}
			bench.cases = append(bench.cases, res.CaseIDs...)
		}
		statuses := []string{store.CaseUnderInvestigation, store.CaseOpen, store.CasePending, store.CaseClosed, store.CaseClosed}
		for i := 0; i < len(bench.cases); i += 5 {
			if _, err := e.db.UpdateCase(ctx, bench.cases[i], store.CaseUpdate{Actor: "analyst"}, func(c *store.Case) error {
				c.Status = statuses[i/5%len(statuses)]
				c.AssignedTo = []string{"alice", "bob", "carol"}[i%3]
				return nil
			}); err != nil {
				bench.err = err
				return
			}
		}
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.e.with(b)
}

// latencies collects request durations from several goroutines.
type latencies struct {
	mu  sync.Mutex
	all []time.Duration
}

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, d...)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B) {
	slices.Sort(l.all)
	if len(l.all) == 0 {
		return
	}
	q := func(p float64) float64 {
		return float64(l.all[int(p*float64(len(l.all)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(len(l.all))/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(float64(*benchCases), "cases")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkGetCase reads random cases with GET /v1/cases/{id}: through
// the handler in process (the API's own cost), and over HTTP on loopback
// from as many clients as GOMAXPROCS (requests/s a client sees).
func BenchmarkGetCase(b *testing.B) {
	e := benchEnv(b)
	auth := "ApiToken " + e.admin
	b.Run("handler", func(b *testing.B) {
		r := rand.New(rand.NewPCG(1, 2))
		lat := make([]time.Duration, 0, b.N)
		for range b.N {
			req := httptest.NewRequest("GET", "/v1/cases/"+bench.cases[r.IntN(len(bench.cases))], nil)
			req.Header.Set("Authorization", auth)
			w := httptest.NewRecorder()
			t0 := time.Now()
			e.h.ServeHTTP(w, req)
			lat = append(lat, time.Since(t0))
			if w.Code != 200 {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
		l := &latencies{all: lat}
		l.report(b)
	})
	b.Run("http", func(b *testing.B) {
		srv := httptest.NewServer(e.h)
		defer srv.Close()
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		l := &latencies{}
		var seed sync.Mutex
		s := uint64(0)
		b.RunParallel(func(pb *testing.PB) {
			seed.Lock()
			s++
			r := rand.New(rand.NewPCG(s, 7))
			seed.Unlock()
			var lat []time.Duration
			for pb.Next() {
				req, _ := http.NewRequest("GET", srv.URL+"/v1/cases/"+bench.cases[r.IntN(len(bench.cases))], nil)
				req.Header.Set("Authorization", auth)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat = append(lat, time.Since(t0))
				if resp.StatusCode != 200 {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
			l.add(lat)
		})
		l.report(b)
	})
}

// BenchmarkSearchCases runs the searches of a case queue, pages of 50,
// with POST /v1/cases/search through the handler.
func BenchmarkSearchCases(b *testing.B) {
	e := benchEnv(b)
	auth := "ApiToken " + e.admin
	cust := func(i int) string { return bench.customers[i%len(bench.customers)] }
	for _, s := range []struct {
		name string
		body func(i int) map[string]any
	}{
		{"all", func(int) map[string]any { return map[string]any{} }},
		{"status", func(int) map[string]any { return map[string]any{"status": []string{"NEW"}} }},
		{"statuses", func(int) map[string]any {
			return map[string]any{"status": []string{"OPEN", "UNDER_INVESTIGATION", "PENDING"}}
		}},
		{"customer", func(i int) map[string]any { return map[string]any{"customer_id": cust(i)} }},
		{"customer-status-severity", func(i int) map[string]any {
			return map[string]any{"customer_id": cust(i), "status": []string{"NEW"}, "severity": []string{"HIGH", "CRITICAL"}}
		}},
		{"customer-page-20", func(i int) map[string]any { return map[string]any{"customer_id": cust(i), "skip": 1000} }},
		{"assignee-open", func(int) map[string]any { return map[string]any{"assigned_to": "alice", "status": []string{"OPEN"}} }},
		{"text-customer", func(i int) map[string]any { return map[string]any{"customer_id": cust(i), "text": "impossible travel"} }},
	} {
		b.Run(s.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for i := range b.N {
				body := s.body(i)
				body["take"] = 50
				raw, _ := json.Marshal(body)
				req := httptest.NewRequest("POST", "/v1/cases/search", bytes.NewReader(raw))
				req.Header.Set("Authorization", auth)
				w := httptest.NewRecorder()
				t0 := time.Now()
				e.h.ServeHTTP(w, req)
				lat = append(lat, time.Since(t0))
				if w.Code != 200 {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
				var page struct {
					Total int               `json:"total"`
					Items []json.RawMessage `json:"items"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil || page.Total == 0 || len(page.Items) == 0 {
					b.Fatalf("search %s: %d of %d, %v", raw, len(page.Items), page.Total, err)
				}
			}
			l := &latencies{all: lat}
			l.report(b)
		})
	}
}
