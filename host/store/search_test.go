package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/outpost-soc/outpost/sdk"
)

func caseIDsOf(cs []Case) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// TestSearchCasesText checks that the search text follows every way a case
// is written: ingest, the API, by hand, and UpdateCase.
func TestSearchCasesText(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	a, b := mustCustomer(t, d, "a"), mustCustomer(t, d, "b")
	in := mustInteg(t, d, a.ID, "edr")
	now := time.Now()
	ev := alert(1, now)
	ev.Title, ev.Description = "Ingested Beacon", "seen by the EDR"
	res, err := d.Commit(ctx, CommitRequest{IntegrationID: in.ID, Events: []sdk.Event{ev}, Now: now})
	if err != nil || len(res.CaseIDs) != 1 {
		t.Fatalf("Commit: %+v, %v", res, err)
	}
	ingested := res.CaseIDs[0]
	api := &Event{CustomerID: b.ID, Origin: "api", Title: "API ÉVÉNEMENT", Description: "a beacon " + strings.Repeat("x", 2000) + " hidden", Severity: Severity{Level: sdk.LevelHigh}}
	if _, err := d.CreateEvent(ctx, api); err != nil {
		t.Fatal(err)
	}
	hand := &Case{CustomerID: b.ID, Title: "by hand", Description: "Nothing to see"}
	if err := d.CreateCase(ctx, hand); err != nil {
		t.Fatal(err)
	}
	search := func(f CaseFilter, p Page) ([]string, int) {
		t.Helper()
		cs, total, err := d.SearchCases(ctx, f, p)
		if err != nil {
			t.Fatal(err)
		}
		return caseIDsOf(cs), total
	}
	all, _ := search(CaseFilter{}, Page{Take: 10})
	if len(all) != 3 || all[2] != ingested {
		t.Fatalf("all cases: %v", all)
	}
	apiCase, handCase := all[1], all[0]
	tests := []struct {
		name string
		f    CaseFilter
		want []string
	}{
		{"ingested title", CaseFilter{Text: "ingested beacon"}, []string{ingested}},
		{"description", CaseFilter{Text: "BEACON"}, []string{apiCase, ingested}},
		{"non-ascii", CaseFilter{Text: "événement"}, []string{apiCase}},
		{"past the cut", CaseFilter{Text: "hidden"}, nil},
		{"not across title and description", CaseFilter{Text: "hand nothing"}, nil},
		{"hand", CaseFilter{Text: "to see"}, []string{handCase}},
		{"customer", CaseFilter{Text: "beacon", CustomerID: b.ID}, []string{apiCase}},
		{"status", CaseFilter{Text: "beacon", Statuses: []string{CaseNew}, Severities: []string{sdk.LevelHigh}}, []string{apiCase}},
		{"no match", CaseFilter{Text: "nothing like it"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total := search(tt.f, Page{Take: 10})
			if fmt.Sprint(got) != fmt.Sprint(tt.want) || total != len(tt.want) {
				t.Errorf("got %v (total %d), want %v", got, total, tt.want)
			}
		})
	}
	// A pinned text search does not see a newer match.
	pinned := Page{Take: 10, ToID: apiCase}
	if _, err := d.UpdateCase(ctx, ingested, CaseUpdate{Actor: "t"}, func(c *Case) error {
		c.Title = "renamed"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got, total := search(CaseFilter{Text: "ingested"}, Page{Take: 10}); len(got) != 0 || total != 0 {
		t.Errorf("old title still found: %v (%d)", got, total)
	}
	if got, total := search(CaseFilter{Text: "RENAMED"}, Page{Take: 10}); fmt.Sprint(got) != fmt.Sprint([]string{ingested}) || total != 1 {
		t.Errorf("new title: %v (%d)", got, total)
	}
	later := &Case{CustomerID: b.ID, Title: "another beacon"}
	if err := d.CreateCase(ctx, later); err != nil {
		t.Fatal(err)
	}
	if got, total := search(CaseFilter{Text: "beacon"}, pinned); fmt.Sprint(got) != fmt.Sprint([]string{apiCase}) || total != 1 {
		t.Errorf("pinned: %v (%d)", got, total)
	}
	if got, total := search(CaseFilter{Text: "beacon"}, Page{Take: 1}); fmt.Sprint(got) != fmt.Sprint([]string{later.ID}) || total != 2 {
		t.Errorf("first page: %v (%d)", got, total)
	}
	if _, total := search(CaseFilter{Text: "beacon"}, Page{}); total != 2 {
		t.Errorf("total only: %d", total)
	}
}

// downgrade makes the file at path look like schema version 1: without
// the case search text and the customer IOC index.
func downgrade(t *testing.T, path string) {
	t.Helper()
	bdb, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bCaseText, bIOCCust} {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
		}
		c := tx.Bucket(bCounters)
		var drop [][]byte
		_ = c.ForEach(func(k, _ []byte) error {
			if strings.HasPrefix(string(k), cIOCCust) {
				drop = append(drop, append([]byte(nil), k...))
			}
			return nil
		})
		for _, k := range drop {
			if err := c.Delete(k); err != nil {
				return err
			}
		}
		return tx.Bucket(bMeta).Put(kSchema, putU64(nil, 1))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := bdb.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateSearchAndCustomerIOCs opens a version 1 file: the migrations
// fill in the search text of its cases and the IOCs of its customers.
func TestMigrateSearchAndCustomerIOCs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "outpost.db")
	d, err := Open(path, Options{Key: testKey, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	a, b := mustCustomer(t, d, "a"), mustCustomer(t, d, "b")
	in := mustInteg(t, d, a.ID, "edr")
	now := time.Now()
	res, err := d.Commit(ctx, CommitRequest{IntegrationID: in.ID, Events: alerts(0, 20, now), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.UpdateCase(ctx, res.CaseIDs[3], CaseUpdate{Actor: "t"}, func(c *Case) error {
		c.Title, c.Status = "Worked Case", CaseOpen
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateEvent(ctx, &Event{CustomerID: b.ID, Origin: "api", Title: "b event",
		IOCs: []IOC{{Indicator: "b.example", Type: sdk.IOCDomain}}}); err != nil {
		t.Fatal(err)
	}
	wantA, totalA, err := d.ListCustomerIOCs(ctx, a.ID, "", true, Page{Take: 100})
	if err != nil || totalA != 40 || len(wantA) != 40 {
		t.Fatalf("IOCs of a: %d of %d, %v", len(wantA), totalA, err)
	}
	searches := []CaseFilter{{Text: "worked"}, {Text: "impossible travel"}, {Text: "b event"}, {Text: "worked", Statuses: []string{CaseOpen}}}
	var before []string
	for _, f := range searches {
		cs, total, err := d.SearchCases(ctx, f, Page{Take: 100})
		if err != nil {
			t.Fatal(err)
		}
		before = append(before, fmt.Sprint(total, caseIDsOf(cs)))
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	downgrade(t, path)
	d, err = Open(path, Options{Key: testKey, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for i, f := range searches {
		cs, total, err := d.SearchCases(ctx, f, Page{Take: 100})
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(total, caseIDsOf(cs)); got != before[i] {
			t.Errorf("search %+v after migration: %s, want %s", f, got, before[i])
		}
	}
	gotA, total, err := d.ListCustomerIOCs(ctx, a.ID, "", true, Page{Take: 100})
	if err != nil || total != totalA || fmt.Sprint(gotA) != fmt.Sprint(wantA) {
		t.Errorf("IOCs of a after migration: %d of %d, %v", len(gotA), total, err)
	}
	if _, err := d.GetCustomerIOC(ctx, b.ID, "b.example"); err != nil {
		t.Errorf("IOC of b after migration: %v", err)
	}
	if _, err := d.GetCustomerIOC(ctx, a.ID, "b.example"); !errors.Is(err, ErrNotFound) {
		t.Errorf("IOC of b as a: %v", err)
	}
}

func TestCustomerIOCs(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	d.now = func() time.Time { return now }
	a, b := mustCustomer(t, d, "a"), mustCustomer(t, d, "b")
	in := mustInteg(t, d, a.ID, "edr")
	ev := func(id string, iocs ...sdk.IOC) sdk.Event {
		e := alert(0, now)
		e.OriginalID, e.IOCs = id, iocs
		return e
	}
	past := now.Add(-time.Hour)
	if _, err := d.Commit(ctx, CommitRequest{IntegrationID: in.ID, Now: now, Events: []sdk.Event{
		ev("1", sdk.IOC{Indicator: "shared.example", Type: sdk.IOCDomain}, sdk.IOC{Indicator: "10.0.0.1", Type: sdk.IOCIPAddress}),
		ev("2", sdk.IOC{Indicator: "shared.example", Type: sdk.IOCDomain}, sdk.IOC{Indicator: "old.example", Type: sdk.IOCDomain, ExpiresAt: past}),
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateEvent(ctx, &Event{CustomerID: b.ID, Origin: "api", IOCs: []IOC{{Indicator: "shared.example", Type: sdk.IOCDomain}, {Indicator: "b-only.example", Type: sdk.IOCDomain}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.PutCustomerIOC(ctx, b.ID, &IOC{Indicator: "feedhash", Type: sdk.IOCHash}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.PutIOC(ctx, &IOC{Indicator: "global.example", Type: sdk.IOCDomain}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.PutCustomerIOC(ctx, "nobody", &IOC{Indicator: "x", Type: sdk.IOCHash}); !errors.Is(err, ErrNotFound) {
		t.Errorf("PutCustomerIOC of an unknown customer: %v", err)
	}
	indicators := func(is []IOC) string {
		var s []string
		for _, i := range is {
			s = append(s, i.Indicator)
		}
		return strings.Join(s, " ")
	}
	tests := []struct {
		name    string
		cust    string
		typ     sdk.IOCType
		expired bool
		p       Page
		want    string
		total   int
	}{
		{"a", a.ID, "", false, Page{Take: 10}, "10.0.0.1 shared.example", 2},
		{"a with expired", a.ID, "", true, Page{Take: 10}, "old.example 10.0.0.1 shared.example", 3},
		{"a total only", a.ID, "", true, Page{}, "", 3},
		{"a of a type", a.ID, sdk.IOCIPAddress, true, Page{Take: 10}, "10.0.0.1", 1},
		{"a paged", a.ID, "", true, Page{Skip: 1, Take: 1}, "10.0.0.1", 3},
		{"a pinned", a.ID, "", true, Page{Take: 10, ToID: "10.0.0.1"}, "10.0.0.1 shared.example", 2},
		{"b", b.ID, "", false, Page{Take: 10}, "feedhash b-only.example shared.example", 3},
		{"unknown customer", "nobody", "", true, Page{Take: 10}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total, err := d.ListCustomerIOCs(ctx, tt.cust, tt.typ, tt.expired, tt.p)
			if err != nil || indicators(got) != tt.want || total != tt.total {
				t.Errorf("got %q (total %d, %v), want %q (total %d)", indicators(got), total, err, tt.want, tt.total)
			}
		})
	}
	if _, _, err := d.ListCustomerIOCs(ctx, a.ID, "", true, Page{Take: 1, ToID: "b-only.example"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("pinned at another customer's IOC: %v", err)
	}
	for _, tt := range []struct {
		cust, indicator string
		ok              bool
	}{
		{a.ID, "shared.example", true}, {b.ID, "shared.example", true}, {a.ID, "b-only.example", false},
		{b.ID, "10.0.0.1", false}, {a.ID, "global.example", false}, {a.ID, "unknown", false}, {"nobody", "shared.example", false},
	} {
		i, err := d.GetCustomerIOC(ctx, tt.cust, tt.indicator)
		if tt.ok && (err != nil || i.Indicator != tt.indicator) {
			t.Errorf("GetCustomerIOC(%s): %v, %v", tt.indicator, i, err)
		}
		if !tt.ok && !errors.Is(err, ErrNotFound) {
			t.Errorf("GetCustomerIOC(%s) of another: %v, %v", tt.indicator, i, err)
		}
	}
}

func TestDeleteCustomerInUse(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	withEvent, withCase, withInteg, empty := mustCustomer(t, d, "e"), mustCustomer(t, d, "c"), mustCustomer(t, d, "i"), mustCustomer(t, d, "x")
	if _, err := d.CreateEvent(ctx, &Event{CustomerID: withEvent.ID, Origin: "api"}); err != nil {
		t.Fatal(err)
	}
	if err := d.CreateCase(ctx, &Case{CustomerID: withCase.ID, Title: "t"}); err != nil {
		t.Fatal(err)
	}
	mustInteg(t, d, withInteg.ID, "edr")
	for _, tt := range []struct {
		c    *Customer
		want CustomerInUseError
	}{
		{withEvent, CustomerInUseError{ID: withEvent.ID, Events: 1, Cases: 1}},
		{withCase, CustomerInUseError{ID: withCase.ID, Cases: 1}},
		{withInteg, CustomerInUseError{ID: withInteg.ID, Integrations: 1}},
	} {
		err := d.DeleteCustomer(ctx, tt.c.ID)
		var use *CustomerInUseError
		if !errors.Is(err, ErrConflict) || !errors.As(err, &use) || *use != tt.want {
			t.Errorf("DeleteCustomer(%s): %v, want %+v", tt.c.Name, err, tt.want)
		}
		if _, err := d.GetCustomer(ctx, tt.c.ID); err != nil {
			t.Errorf("customer %s gone: %v", tt.c.Name, err)
		}
	}
	if err := d.DeleteCustomer(ctx, empty.ID); err != nil {
		t.Errorf("DeleteCustomer of an empty customer: %v", err)
	}
}
