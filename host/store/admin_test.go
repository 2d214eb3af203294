package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/outpost-soc/outpost/sdk"
)

func TestCustomers(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	var ids []string
	for i := range 5 {
		ids = append(ids, mustCustomer(t, d, fmt.Sprint("c", i)).ID)
	}
	got, total, err := d.ListCustomers(ctx, Page{Skip: 1, Take: 2})
	if err != nil || total != 5 || len(got) != 2 || got[0].ID != ids[3] || got[1].ID != ids[2] {
		t.Fatalf("ListCustomers: %+v, %d, %v", got, total, err)
	}
	if _, total, _ := d.ListCustomers(ctx, Page{}); total != 5 {
		t.Fatalf("total only: %d", total)
	}
	c, err := d.UpdateCustomer(ctx, ids[0], func(c *Customer) error { c.Name = "renamed"; c.ID = "hijack"; return nil })
	if err != nil || c.Name != "renamed" || c.ID != ids[0] {
		t.Fatalf("UpdateCustomer: %+v, %v", c, err)
	}
	in := mustInteg(t, d, ids[0], "edr")
	if err := d.DeleteCustomer(ctx, ids[0]); !errors.Is(err, ErrConflict) {
		t.Fatalf("delete with integrations: %v", err)
	}
	if err := d.DeleteIntegration(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteCustomer(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{ids[0], "not-an-id", ""} {
		if _, err := d.GetCustomer(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetCustomer(%q): %v", id, err)
		}
	}
	if err := d.DeleteCustomer(ctx, ids[0]); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
	if _, total, _ := d.ListCustomers(ctx, Page{Take: 10}); total != 4 {
		t.Errorf("total after delete: %d", total)
	}
}

func TestIntegrations(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	a, b := mustCustomer(t, d, "a"), mustCustomer(t, d, "b")
	a1, a2, b1 := mustInteg(t, d, a.ID, "edr"), mustInteg(t, d, a.ID, "okta"), mustInteg(t, d, b.ID, "edr")
	if a1.Status != StatusNotActive || a1.Health != HealthUntested || a1.CreatedAt.IsZero() {
		t.Errorf("defaults: %+v", a1)
	}
	if err := d.CreateIntegration(ctx, &Integration{CustomerID: "01J00000000000000000000000", Type: "x"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("integration of an unknown customer: %v", err)
	}
	tests := []struct {
		customer string
		want     []string
	}{
		{a.ID, []string{a2.ID, a1.ID}},
		{b.ID, []string{b1.ID}},
		{"", []string{b1.ID, a2.ID, a1.ID}},
	}
	for _, tt := range tests {
		got, total, err := d.ListIntegrations(ctx, tt.customer, Page{Take: 10})
		if err != nil || total != len(tt.want) || len(got) != len(tt.want) {
			t.Fatalf("ListIntegrations(%q): %d of %d, %v", tt.customer, len(got), total, err)
		}
		for i := range got {
			if got[i].ID != tt.want[i] || got[i].Secrets["api_token"] == "" {
				t.Errorf("ListIntegrations(%q)[%d] = %s (secrets %v)", tt.customer, i, got[i].ID, got[i].Secrets != nil)
			}
		}
	}
	// Concurrent read-fn-write updates lose nothing.
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := d.UpdateIntegration(ctx, a1.ID, func(in *Integration) error {
				in.Config["n"] = fmt.Sprint(len(fmt.Sprint(in.Config["n"])) + 1)
				in.LastError += "x"
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, _ := d.GetIntegration(ctx, a1.ID)
	if len(got.LastError) != 20 {
		t.Errorf("%d of 20 concurrent updates kept", len(got.LastError))
	}
	if _, err := d.UpdateIntegration(ctx, a1.ID, func(*Integration) error { return errors.New("no") }); err == nil {
		t.Error("fn error not returned")
	}
	// Delete keeps events and cases, drops cursor, logs, runs, stats.
	now := time.Now()
	if _, err := d.Commit(ctx, CommitRequest{IntegrationID: a1.ID, Cursor: ptr("c"), Events: alerts(0, 5, now)}); err != nil {
		t.Fatal(err)
	}
	if err := d.AddLog(ctx, a1.ID, LogEntry{Level: LevelInfo, Kind: LogAction, Message: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := d.AddRun(ctx, a1.ID, Run{Kind: KindNew, StartedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteIntegration(ctx, a1.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.GetIntegration(ctx, a1.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted integration: %v", err)
	}
	_ = d.bolt.View(func(tx *bolt.Tx) error {
		key := idKey(a1.ID)
		for _, b := range [][]byte{bCursors, bLogs, bRuns, bStats} {
			if k, _ := tx.Bucket(b).Cursor().Seek(key); k != nil && bytes.HasPrefix(k, key) {
				t.Errorf("bucket %s keeps data of the deleted integration", b)
			}
		}
		for _, k := range [][]byte{ckey(cLogs, key), ckey(cRuns, key)} {
			if getCount(tx, k) != 0 {
				t.Errorf("counter %q kept", k)
			}
		}
		return nil
	})
	evs, total, err := d.ListEvents(ctx, EventFilter{IntegrationID: a1.ID}, Page{Take: 10})
	if err != nil || total != 5 || len(evs) != 5 {
		t.Errorf("events of the deleted integration: %d, %v", total, err)
	}
	if _, total, _ := d.SearchCases(ctx, CaseFilter{CustomerID: a.ID}, Page{}); total != 5 {
		t.Errorf("cases of the deleted integration: %d", total)
	}
	if _, total, _ := d.ListIntegrations(ctx, a.ID, Page{}); total != 1 {
		t.Errorf("integrations left: %d", total)
	}
	all, err := d.AllIntegrations(ctx)
	if err != nil || len(all) != 2 {
		t.Errorf("AllIntegrations: %d, %v", len(all), err)
	}
}

func TestTokens(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	var toks []*Token
	for i := range 3 {
		tk := &Token{Name: fmt.Sprint("t", i), Role: RoleAdmin, Hash: fmt.Sprintf("%064d", i)}
		if err := d.CreateToken(ctx, tk); err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tk)
	}
	if err := d.CreateToken(ctx, &Token{Name: "dup", Hash: toks[0].Hash}); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate hash: %v", err)
	}
	got, err := d.TokenByHash(ctx, toks[1].Hash)
	if err != nil || got.ID != toks[1].ID || got.Name != "t1" {
		t.Fatalf("TokenByHash: %+v, %v", got, err)
	}
	if _, err := d.TokenByHash(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown hash: %v", err)
	}
	list, total, err := d.ListTokens(ctx, Page{Take: 10})
	if err != nil || total != 3 || list[0].ID != toks[2].ID {
		t.Fatalf("ListTokens: %+v, %d, %v", list, total, err)
	}
	if err := d.DeleteToken(ctx, toks[1].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.TokenByHash(ctx, toks[1].Hash); !errors.Is(err, ErrNotFound) {
		t.Errorf("hash of a deleted token: %v", err)
	}
	if err := d.DeleteToken(ctx, toks[1].ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
	if n, err := d.CountTokens(ctx); err != nil || n != 2 {
		t.Errorf("CountTokens: %d, %v", n, err)
	}
}

func TestLogsRunsStats(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	c := mustCustomer(t, d, "acme")
	in := mustInteg(t, d, c.ID, "edr")
	for i := range 7 {
		if err := d.AddLog(ctx, in.ID, LogEntry{Level: LevelWarning, Kind: LogQuery, Actor: "scheduler", Message: fmt.Sprint("m", i)}); err != nil {
			t.Fatal(err)
		}
	}
	logs, total, err := d.ListLogs(ctx, in.ID, Page{Skip: 2, Take: 2})
	if err != nil || total != 7 || len(logs) != 2 || logs[0].Message != "m4" || logs[0].Time.IsZero() || logs[0].ID == "" {
		t.Fatalf("ListLogs: %+v, %d, %v", logs, total, err)
	}
	day := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	runs := []Run{
		{Kind: KindNew, StartedAt: day.Add(1 * time.Minute), Stored: 3},
		{Kind: KindNew, StartedAt: day.Add(2 * time.Minute), Error: "429"},
		{Kind: KindLostFound, StartedAt: day.Add(7 * time.Minute)},
		{Kind: KindFallback, StartedAt: day.Add(61 * time.Minute)},
		{Kind: KindNew, StartedAt: day.Add(25 * time.Hour)},
	}
	for _, r := range runs {
		if err := d.AddRun(ctx, in.ID, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Commit(ctx, CommitRequest{IntegrationID: in.ID, Events: alerts(0, 4, day), Now: day.Add(3 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	got, total, err := d.ListRuns(ctx, in.ID, Page{Take: 10})
	if err != nil || total != 5 || got[0].StartedAt != runs[4].StartedAt || got[4].Stored != 3 {
		t.Fatalf("ListRuns: %+v, %d, %v", got, total, err)
	}
	tests := []struct {
		name     string
		from, to time.Time
		width    time.Duration
		want     []Bucket
	}{
		{name: "5m", from: day, to: day.Add(15 * time.Minute), width: 5 * time.Minute, want: []Bucket{
			{Start: day, New: 2, Events: 4, Errors: 1},
			{Start: day.Add(5 * time.Minute), LostFound: 1},
			{Start: day.Add(10 * time.Minute)},
		}},
		{name: "1h unaligned", from: day.Add(30 * time.Minute), to: day.Add(90 * time.Minute), width: time.Hour, want: []Bucket{
			{Start: day, New: 2, LostFound: 1, Events: 4, Errors: 1},
			{Start: day.Add(time.Hour), Fallback: 1},
		}},
		{name: "24h", from: day, to: day.Add(48 * time.Hour), width: 24 * time.Hour, want: []Bucket{
			{Start: day, New: 2, LostFound: 1, Fallback: 1, Events: 4, Errors: 1},
			{Start: day.Add(24 * time.Hour), New: 1},
		}},
		{name: "empty range", from: day.Add(-2 * time.Hour), to: day.Add(-time.Hour), width: time.Hour, want: []Bucket{{Start: day.Add(-2 * time.Hour)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := d.Stats(ctx, in.ID, tt.from, tt.to, tt.width)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
	for _, w := range []time.Duration{0, time.Minute, 7 * time.Minute} {
		if _, err := d.Stats(ctx, in.ID, day, day.Add(time.Hour), w); !errors.Is(err, ErrInvalid) {
			t.Errorf("width %s: %v", w, err)
		}
	}
	if _, err := d.Stats(ctx, in.ID, day, day.AddDate(1, 0, 0), 5*time.Minute); !errors.Is(err, ErrInvalid) {
		t.Errorf("a year of 5-minute buckets: %v", err)
	}
}

// TestCountersMatchScans checks every counter-based total against a count
// of the keys it stands for, after a mix of writes.
func TestCountersMatchScans(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	a, b := mustCustomer(t, d, "a"), mustCustomer(t, d, "b")
	a1, b1 := mustInteg(t, d, a.ID, "edr"), mustInteg(t, d, b.ID, "okta")
	now := time.Now()
	for i, in := range []*Integration{a1, b1, a1} {
		evs := alerts([]int{0, 30, 30}[i], 60, now) // the third overlaps the first: duplicates
		if _, err := d.Commit(ctx, CommitRequest{IntegrationID: in.ID, Events: evs}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.CreateEvent(ctx, &Event{CustomerID: b.ID, Origin: "manual", OriginalID: "x", Title: "t"}); err != nil {
		t.Fatal(err)
	}
	_, cases, _ := d.SearchCases(ctx, CaseFilter{}, Page{Take: 500})
	page, _, _ := d.SearchCases(ctx, CaseFilter{}, Page{Take: 40})
	for i, c := range page {
		st := []string{CaseOpen, CaseClosed, CaseUnderInvestigation}[i%3]
		if _, err := d.UpdateCase(ctx, c.ID, CaseUpdate{Actor: "t"}, func(c *Case) error {
			c.Status, c.Severity = st, Severity{Value: i * 2}
			if i%4 == 0 {
				c.AssignedTo = "alice"
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	_ = d.bolt.View(func(tx *bolt.Tx) error {
		count := func(bucket []byte, prefix []byte) int {
			n := 0
			c := tx.Bucket(bucket).Cursor()
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				n++
			}
			return n
		}
		checks := []struct {
			name    string
			counter []byte
			scan    int
		}{
			{"events", ckey(cEvents), count(bEvents, nil)},
			{"cases", ckey(cCaseTotal), count(bCases, nil)},
			{"events of a1", ckey(cEvInteg, idKey(a1.ID)), count(bEvInteg, idKey(a1.ID))},
			{"customers", ckey(cCustomers), count(bCustomers, nil)},
			{"integrations", ckey(cInteg), count(bInteg, nil)},
			{"iocs", ckey(cIOC), count(bIOCs, nil)},
		}
		evCust := map[string]int{}
		_ = tx.Bucket(bEvSrc).ForEach(func(k, _ []byte) error {
			evCust[string(k[:idLen])] += count(bEvInteg, k[idLen:])
			return nil
		})
		for _, c := range []*Customer{a, b} {
			key := idKey(c.ID)
			checks = append(checks, struct {
				name    string
				counter []byte
				scan    int
			}{"events of " + c.Name, ckey(cEvCust, key), evCust[string(key)]})
			for st := range caseStatuses {
				for lv := range levels {
					sl := []byte{byte(st), byte(lv)}
					checks = append(checks, struct {
						name    string
						counter []byte
						scan    int
					}{fmt.Sprintf("cases %s %s %s", c.Name, caseStatuses[st], levels[lv]), ckey(cCaseCSL, key, sl), count(bCaseCSL, cat(key, sl))})
				}
			}
		}
		for st := range caseStatuses {
			for lv := range levels {
				sl := []byte{byte(st), byte(lv)}
				checks = append(checks, struct {
					name    string
					counter []byte
					scan    int
				}{fmt.Sprintf("cases %s %s", caseStatuses[st], levels[lv]), ckey(cCaseSL, sl), count(bCaseSL, sl)})
			}
		}
		for _, c := range checks {
			if got := getCount(tx, c.counter); got != c.scan {
				t.Errorf("%s: counter %d, scan %d", c.name, got, c.scan)
			}
		}
		return nil
	})
	if cases != 60+60+30+1 {
		t.Errorf("%d cases, want 151", cases)
	}
	// Filtered totals by counters equal filtered totals by walk.
	for _, f := range []CaseFilter{
		{Statuses: []string{CaseOpen}}, {Statuses: []string{CaseNew, CaseClosed}, CustomerID: a.ID},
		{Severities: []string{sdk.LevelLow, sdk.LevelCritical}}, {CustomerID: b.ID},
	} {
		_, byCounter, err := d.SearchCases(ctx, f, Page{})
		if err != nil {
			t.Fatal(err)
		}
		f.From = time.Unix(1, 0) // a time bound forces the walk
		_, byWalk, _ := d.SearchCases(ctx, f, Page{})
		if byCounter != byWalk {
			t.Errorf("filter %+v: counter total %d, walk %d", f, byCounter, byWalk)
		}
	}
}

func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	c := mustCustomer(t, d, "acme")
	in := mustInteg(t, d, c.ID, "edr")
	if _, err := d.Commit(ctx, CommitRequest{IntegrationID: in.ID, Cursor: ptr("c1"), Events: alerts(0, 300, time.Now())}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan error)
	go func() { // writes go on during the backup
		i := 1
		for {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if _, err := d.Commit(ctx, CommitRequest{IntegrationID: in.ID, Cursor: ptr(fmt.Sprint("c", i+1)), Events: alerts(1000*i, 50, time.Now())}); err != nil {
				done <- err
				return
			}
			i++
		}
	}()
	var buf bytes.Buffer
	n, err := d.Backup(ctx, &buf)
	close(stop)
	if werr := <-done; werr != nil {
		t.Fatal(werr)
	}
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("Backup: %d bytes (%d written), %v", n, buf.Len(), err)
	}
	dir := filepath.Join(t.TempDir(), "restored")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "outpost.db")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path, Options{Key: testKey, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := r.GetIntegration(ctx, in.ID)
	if err != nil || got.Secrets["api_token"] != in.Secrets["api_token"] {
		t.Fatalf("restored integration: %+v, %v", got, err)
	}
	cur, _ := r.Cursor(ctx, in.ID)
	evs, total, err := r.ListEvents(ctx, EventFilter{}, Page{Take: 500})
	if err != nil || total < 300 || len(evs) != min(total, 500) {
		t.Fatalf("restored events: %d listed, total %d, %v", len(evs), total, err)
	}
	// The snapshot is consistent: its cursor is the one of its last batch.
	var batches int
	fmt.Sscanf(cur, "c%d", &batches)
	if want := 300 + 50*(batches-1); total != want {
		t.Fatalf("snapshot with cursor %s holds %d events, want %d", cur, total, want)
	}
	for _, e := range evs[:20] {
		if _, err := r.GetCase(ctx, e.CaseID); err != nil {
			t.Fatalf("restored case: %v", err)
		}
	}
	_ = r.Close()
	if _, err := Open(path, Options{Key: bytes.Repeat([]byte{1}, 32)}); !errors.Is(err, ErrSealed) {
		t.Fatalf("restore with another key: %v", err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := d.Backup(canceled, &buf); err == nil {
		t.Error("backup with a canceled context")
	}
}
