package store

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/sdk"
)

// TestEventFieldsRoundTrip sets every field of an Event and reads it back:
// a field added to Event without a place in encodeBody/decodeBody (or the
// record header) fails here.
func TestEventFieldsRoundTrip(t *testing.T) {
	if n := reflect.TypeOf(Event{}).NumField(); n != 22 {
		t.Fatalf("Event has %d fields, the codec knows 22: store the new one in encodeBody/decodeBody and update this test", n)
	}
	ctx := context.Background()
	d := openTest(t)
	c := mustCustomer(t, d, "acme")
	in := mustInteg(t, d, c.ID, "edr")
	at := time.Date(2026, 9, 1, 2, 3, 4, 5, time.UTC)
	e := &Event{
		OriginalID: "orig", CustomerID: c.ID, IntegrationID: in.ID, Origin: "api",
		Classification:   sdk.Classification{Type: "t", Subtype: "s", Vendor: "v"},
		SecurityEventURL: "https://x.example/1", Title: "title", Description: "description",
		DetectionTime: at, CreationTime: at.Add(time.Second), UpdateTime: at.Add(2 * time.Second),
		MitreTags: []string{"T1"}, Actions: []string{"blocked"}, DetectionEngines: []string{"ml"},
		Severity: Severity{Value: 91},
		Observables: []sdk.Observable{
			sdk.UserObservable(sdk.User{Name: "n", Email: "e", Domain: "d", UserID: "u"}),
			sdk.HostObservable(sdk.Host{Hostname: "h", IP: "1.2.3.4", OS: "os", MAC: "m"}),
			sdk.IPObservable("5.6.7.8"), sdk.DomainObservable("d.example"),
			sdk.FileObservable(sdk.File{Name: "f", Path: "/p", MD5: "1", SHA1: "2", SHA256: "3", Size: 4}),
			sdk.EmailObservable(sdk.EmailAddress{Address: "a@b", DisplayName: "A"}),
			sdk.NetworkTrafficObservable(sdk.NetworkTraffic{SrcIP: "1", SrcPort: 2, DstIP: "3", DstPort: 4, Protocol: "udp"}),
		},
		IOCs: []IOC{{Indicator: "d.example", Type: sdk.IOCDomain, ExpiresAt: at.Add(time.Hour)}},
		Raw:  json.RawMessage(`{"a": [1, 2, {"b": "c"}]}`),
	}
	want := *e
	if _, err := d.CreateEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
	got, err := d.GetEvent(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	want.ID, want.CaseID, want.IngestedTime = got.ID, got.CaseID, got.IngestedTime
	want.Severity = Severity{91, sdk.LevelCritical}
	want.IOCs[0].CreatedAt = got.IOCs[0].CreatedAt
	if !reflect.DeepEqual(*got, want) {
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		t.Fatalf("round trip\n got %s\nwant %s", gj, wj)
	}
	if got.ID == "" || got.CaseID == "" || got.IngestedTime.IsZero() || got.IOCs[0].CreatedAt.IsZero() {
		t.Fatalf("store fields not set: %+v", got)
	}
}

func TestIDs(t *testing.T) {
	s := newIDSource()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	prev, _ := s.at(at)
	for range 1000 {
		a, b, err := s.pair(at)
		if err != nil {
			t.Fatal(err)
		}
		if a.Compare(prev) <= 0 || b.Compare(a) <= 0 {
			t.Fatalf("ids not increasing: %s %s %s", prev, a, b)
		}
		if string(caseOf(a[:])) != string(b[:]) || string(eventOf(b[:])) != string(a[:]) {
			t.Fatalf("case of %s is %s, not %s", a, idString(caseOf(a[:])), b)
		}
		prev = b
	}
	if !idTime(prev[:]).Equal(at) {
		t.Fatalf("id time %v, want %v", idTime(prev[:]), at)
	}
	// The carry of eventOf across bytes.
	x := make([]byte, 16)
	x[15], x[14] = 0, 1
	if e := eventOf(x); e[15] != 0xff || e[14] != 0 {
		t.Fatalf("eventOf borrow: %x", e)
	}
	if string(caseOf(eventOf(x))) != string(x) {
		t.Fatal("caseOf(eventOf(x)) != x")
	}
}
