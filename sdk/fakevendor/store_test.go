package fakevendor

import (
	"testing"
	"time"
)

func TestStoreLateAlertsAppearAfterTheirDelay(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := NewStore("x", Options{Alerts: 100, Rate: 10, LateFraction: 0.2, LateDelay: 10 * time.Second, Seed: 7, Now: clock})
	st := s.State()
	if st.Alerts != 100 || st.Late == 0 || st.Visible != 100-st.Late {
		t.Fatalf("at start: %+v", st)
	}
	now = now.Add(5 * time.Second)
	st = s.State()
	if st.Alerts != 150 {
		t.Fatalf("after 5s at 10/s: alerts %d, want 150", st.Alerts)
	}
	now = now.Add(20 * time.Second)
	for _, a := range s.All() {
		if a.VisibleAt.After(now) {
			t.Fatalf("alert %s listed before it is visible", a.ID)
		}
	}
	// 25 s after start the alerts made before start+15 s are past any
	// late delay: the 100 initial ones and 149 new ones (0.1 s apart).
	if got, want := len(s.Window(time.Time{}, s.Start().Add(15*time.Second))), 100+149; got != want {
		t.Fatalf("alerts older than the late delay: %d visible, want all %d", got, want)
	}
}

func TestStoreWindowOrderAndBounds(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s := NewStore("x", Options{Alerts: 60, Seed: 1, Now: func() time.Time { return now }})
	from, to := now.Add(-30*time.Minute), now.Add(-20*time.Minute)
	w := s.Window(from, to)
	if len(w) != 10 {
		t.Fatalf("window has %d alerts, want 10", len(w))
	}
	for i, a := range w {
		if a.Time.Before(from) || !a.Time.Before(to) {
			t.Fatalf("alert %d at %s outside [%s, %s)", i, a.Time, from, to)
		}
		if i > 0 && a.Time.Before(w[i-1].Time) {
			t.Fatal("window not ordered by time")
		}
	}
}

func TestStoreThrottleAndSecrets(t *testing.T) {
	s := NewStore("x", Options{RateLimitEvery: 3, Seed: 1})
	var hits []int
	for i := 1; i <= 9; i++ {
		if _, ok := s.Throttle(); ok {
			hits = append(hits, i)
		}
	}
	if len(hits) != 3 || hits[0] != 3 || hits[2] != 9 {
		t.Fatalf("throttled requests %v, want every 3rd", hits)
	}
	s.ForceThrottle(2, time.Minute)
	if w, ok := s.Throttle(); !ok || w != time.Minute {
		t.Fatal("forced throttle not applied")
	}
	a, b := s.Secret("api_key"), NewStore("x", Options{Seed: 1}).Secret("api_key")
	if a != b || len(a) < 20 {
		t.Fatalf("secret not deterministic or too short: %q %q", a, b)
	}
	if a == s.Secret("other") || a == NewStore("x", Options{Seed: 2}).Secret("api_key") {
		t.Fatal("secrets must differ per name and seed")
	}
}
