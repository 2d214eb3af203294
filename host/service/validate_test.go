package service

import (
	"errors"
	"strings"
	"testing"

	"github.com/outpost-soc/outpost/host/store"
	"github.com/outpost-soc/outpost/sdk"
)

func TestCheckTransition(t *testing.T) {
	all := CaseStatuses
	for _, from := range all {
		for _, to := range all {
			t.Run(from+">"+to, func(t *testing.T) {
				err := checkTransition("c1", from, to)
				var want error
				switch {
				case from == to:
				case from == store.CaseClosed && to != store.CaseOpen:
					want = ErrFailedPrecondition
				case to == store.CaseClosed, to == store.CaseUnknown:
					want = ErrInvalidArgument
				}
				if (want == nil) != (err == nil) || (want != nil && !errors.Is(err, want)) {
					t.Fatalf("checkTransition(%s, %s) = %v, want %v", from, to, err, want)
				}
			})
		}
	}
}

func TestCheckSeverity(t *testing.T) {
	v := func(n int) *int { return &n }
	for _, tc := range []struct {
		name string
		in   SeverityInput
		want store.Severity
		err  string
	}{
		{"value", SeverityInput{Value: v(85)}, store.Severity{Value: 85, Level: sdk.LevelHigh}, ""},
		{"zero", SeverityInput{Value: v(0)}, store.Severity{Value: 0, Level: sdk.LevelNotValid}, ""},
		{"hundred", SeverityInput{Value: v(100)}, store.Severity{Value: 100, Level: sdk.LevelCritical}, ""},
		{"level", SeverityInput{Level: "medium"}, store.Severity{Value: 50, Level: sdk.LevelMedium}, ""},
		{"not valid", SeverityInput{Level: "NOT_VALID"}, store.Severity{Value: 0, Level: sdk.LevelNotValid}, ""},
		{"critical", SeverityInput{Level: "CRITICAL"}, store.Severity{Value: 95, Level: sdk.LevelCritical}, ""},
		{"both agree", SeverityInput{Value: v(39), Level: "LOW"}, store.Severity{Value: 39, Level: sdk.LevelLow}, ""},
		{"both disagree", SeverityInput{Value: v(40), Level: "LOW"}, store.Severity{}, "severity.level"},
		{"negative", SeverityInput{Value: v(-1)}, store.Severity{}, "severity.value"},
		{"too high", SeverityInput{Value: v(101)}, store.Severity{}, "severity.value"},
		{"unknown level", SeverityInput{Level: "SEVERE"}, store.Severity{}, "severity.level"},
		{"empty", SeverityInput{}, store.Severity{}, "severity"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := checkSeverity("severity", tc.in)
			if tc.err != "" {
				var se *Error
				if !errors.As(err, &se) || se.Field != tc.err || !errors.Is(err, ErrInvalidArgument) {
					t.Fatalf("error %v, want one naming %s", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v %v, want %+v", got, err, tc.want)
			}
		})
	}
}

func TestCheckObservable(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    sdk.Observable
		err  string // field named, "" for valid
	}{
		{"ip v4", sdk.IPObservable("10.0.0.1"), ""},
		{"ip v6", sdk.IPObservable("2001:db8::1"), ""},
		{"ip bad", sdk.IPObservable("10.0.0.300"), "o.address"},
		{"ip empty", sdk.IPObservable(""), "o.address"},
		{"domain", sdk.DomainObservable("mail.example.com"), ""},
		{"domain bad", sdk.DomainObservable("not a domain"), "o.name"},
		{"user", sdk.UserObservable(sdk.User{Name: "alice"}), ""},
		{"user empty", sdk.UserObservable(sdk.User{}), "o"},
		{"user control", sdk.UserObservable(sdk.User{Name: "a\x01"}), "o.name"},
		{"host ip bad", sdk.HostObservable(sdk.Host{Hostname: "h", IP: "x"}), "o.ip"},
		{"file", sdk.FileObservable(sdk.File{MD5: strings.Repeat("a", 32)}), ""},
		{"file hash bad", sdk.FileObservable(sdk.File{SHA1: "abc"}), "o.sha1"},
		{"file size", sdk.FileObservable(sdk.File{Name: "x", Size: -1}), "o.size"},
		{"email", sdk.EmailObservable(sdk.EmailAddress{Address: "a@example.com"}), ""},
		{"email bad", sdk.EmailObservable(sdk.EmailAddress{Address: "nobody"}), "o.address"},
		{"traffic", sdk.NetworkTrafficObservable(sdk.NetworkTraffic{DstPort: 443}), ""},
		{"traffic port", sdk.NetworkTrafficObservable(sdk.NetworkTraffic{DstPort: 70000}), "o.dst_port"},
		{"no value", sdk.Observable{Type: sdk.ObservableIP}, "o.type"},
		{"unknown type", sdk.Observable{Type: "process"}, "o.type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := checkObservable("o", tc.o)
			var se *Error
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.err != "" && (!errors.As(err, &se) || se.Field != tc.err):
				t.Fatalf("error %v, want one naming %s", err, tc.err)
			}
		})
	}
}

func TestCheckIndicator(t *testing.T) {
	for _, tc := range []struct {
		typ       sdk.IOCType
		indicator string
		ok        bool
	}{
		{sdk.IOCIPAddress, "203.0.113.7", true},
		{sdk.IOCIPAddress, "evil.example", false},
		{sdk.IOCDomain, "evil.example", true},
		{sdk.IOCDomain, "http://evil.example/", false},
		{sdk.IOCEmail, "boss@evil.example", true},
		{sdk.IOCEmail, "boss", false},
		{sdk.IOCHash, strings.Repeat("0f", 16), true},
		{sdk.IOCHash, strings.Repeat("0f", 64), true},
		{sdk.IOCHash, strings.Repeat("0f", 15), false},
		{sdk.IOCHash, strings.Repeat("zz", 16), false},
		{sdk.IOCUnspecified, "http://evil.example/a b", true},
		{sdk.IOCUnspecified, "  ", false},
		{sdk.IOCUnspecified, strings.Repeat("a", MaxIndicatorLen+1), false},
		{sdk.IOCUnspecified, "a\nb", false},
	} {
		t.Run(string(tc.typ)+" "+tc.indicator[:min(len(tc.indicator), 20)], func(t *testing.T) {
			_, err := checkIndicator("indicator", tc.indicator, tc.typ)
			if (err == nil) != tc.ok {
				t.Fatalf("checkIndicator(%q, %s) = %v, want ok %v", tc.indicator, tc.typ, err, tc.ok)
			}
		})
	}
}
