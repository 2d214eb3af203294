package window

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func TestSplit(t *testing.T) {
	h := time.Hour
	tests := []struct {
		name     string
		from, to time.Time
		d        time.Duration
		want     []Range
	}{
		{"exact multiple", t0, t0.Add(3 * h), h, []Range{{t0, t0.Add(h)}, {t0.Add(h), t0.Add(2 * h)}, {t0.Add(2 * h), t0.Add(3 * h)}}},
		{"short last chunk", t0, t0.Add(150 * time.Minute), h, []Range{{t0, t0.Add(h)}, {t0.Add(h), t0.Add(2 * h)}, {t0.Add(2 * h), t0.Add(150 * time.Minute)}}},
		{"window shorter than d", t0, t0.Add(time.Minute), h, []Range{{t0, t0.Add(time.Minute)}}},
		{"d zero", t0, t0.Add(5 * h), 0, []Range{{t0, t0.Add(5 * h)}}},
		{"empty", t0, t0, h, nil},
		{"inverted", t0.Add(h), t0, h, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Split(tt.from, tt.to, tt.d)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if !got[i].From.Equal(tt.want[i].From) || !got[i].To.Equal(tt.want[i].To) {
					t.Fatalf("range %d = %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestSplitCovers checks, over odd sizes, that chunks tile the window:
// every instant is in exactly one range and none is longer than d.
func TestSplitCovers(t *testing.T) {
	for _, span := range []time.Duration{time.Nanosecond, 999 * time.Millisecond, 7*time.Hour + 3*time.Second, 30 * 24 * time.Hour} {
		for _, d := range []time.Duration{time.Nanosecond * 7, time.Second, 13 * time.Minute, 24 * time.Hour} {
			if span/d > 100000 {
				continue
			}
			rs := Split(t0, t0.Add(span), d)
			if !rs[0].From.Equal(t0) || !rs[len(rs)-1].To.Equal(t0.Add(span)) {
				t.Fatalf("span %v d %v: ends %v..%v", span, d, rs[0].From, rs[len(rs)-1].To)
			}
			for i, r := range rs {
				if r.Duration() <= 0 || r.Duration() > d {
					t.Fatalf("span %v d %v: range %d lasts %v", span, d, i, r.Duration())
				}
				if i > 0 && !rs[i-1].To.Equal(r.From) {
					t.Fatalf("span %v d %v: gap or overlap at %d", span, d, i)
				}
			}
		}
	}
}

func TestRangeContains(t *testing.T) {
	r := Range{t0, t0.Add(time.Hour)}
	if !r.Contains(t0) || r.Contains(t0.Add(time.Hour)) || r.Contains(t0.Add(-1)) {
		t.Fatal("Contains is not half-open")
	}
}

func TestClamp(t *testing.T) {
	earliest := t0.Add(-7 * 24 * time.Hour)
	if got, ok := Clamp(t0.Add(-30*24*time.Hour), earliest); !ok || !got.Equal(earliest) {
		t.Fatalf("Clamp = %v, %v", got, ok)
	}
	if got, ok := Clamp(t0, earliest); ok || !got.Equal(t0) {
		t.Fatalf("Clamp = %v, %v", got, ok)
	}
}
