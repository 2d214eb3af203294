package sdk

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestObservableJSONRoundTrip(t *testing.T) {
	for _, o := range []Observable{
		UserObservable(User{Name: "alice", Email: "alice@example.com"}),
		HostObservable(Host{Hostname: "web-1", IP: "10.0.0.5"}),
		IPObservable("203.0.113.9"),
		DomainObservable("evil.example"),
		FileObservable(File{Name: "a.exe", SHA256: "ab12"}),
		EmailObservable(EmailAddress{Address: "bob@example.com"}),
		NetworkTrafficObservable(NetworkTraffic{SrcIP: "10.0.0.1", DstPort: 443, Protocol: "tcp"}),
	} {
		t.Run(string(o.Type), func(t *testing.T) {
			b, err := json.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			var head map[string]any
			_ = json.Unmarshal(b, &head)
			if head["type"] != string(o.Type) || len(head) < 2 {
				t.Fatalf("not flat with its type: %s", b)
			}
			var back Observable
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, o) {
				t.Fatalf("round trip: %+v != %+v", back, o)
			}
			if got := EventFromProto(EventToProto(Event{Observables: []Observable{o}})).Observables; !reflect.DeepEqual(got, []Observable{o}) {
				t.Fatalf("wire round trip: %+v", got)
			}
		})
	}
}

func TestObservableWithoutValueIsAnError(t *testing.T) {
	if _, err := json.Marshal(Observable{Type: ObservableHost}); err == nil {
		t.Fatal("a host observable without a host marshalled")
	}
	var o Observable
	if err := json.Unmarshal([]byte(`{"type":"planet"}`), &o); err == nil {
		t.Fatal("unknown observable type accepted")
	}
}

func TestSeverityLevels(t *testing.T) {
	for v, want := range map[int]string{-5: LevelNotValid, 0: LevelNotValid, 1: LevelLow, 39: LevelLow, 40: LevelMedium, 69: LevelMedium, 70: LevelHigh, 89: LevelHigh, 90: LevelCritical, 100: LevelCritical} {
		if got := SeverityLevel(v); got != want {
			t.Errorf("SeverityLevel(%d) = %s, want %s", v, got, want)
		}
	}
	for _, l := range []string{LevelNotValid, LevelLow, LevelMedium, LevelHigh, LevelCritical} {
		v, err := LevelValue(l)
		if err != nil || SeverityLevel(v) != l && l != LevelNotValid {
			t.Errorf("LevelValue(%s) = %d, %v", l, v, err)
		}
	}
}
