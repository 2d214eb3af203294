package window

import "time"

// Range is the half-open time range [From, To).
type Range struct {
	From, To time.Time
}

// Duration is To − From.
func (r Range) Duration() time.Duration { return r.To.Sub(r.From) }

// Contains reports whether t lies in [From, To).
func (r Range) Contains(t time.Time) bool { return !t.Before(r.From) && t.Before(r.To) }

// Split cuts [from, to) into consecutive ranges of at most d, oldest first:
// each but the last lasts exactly d, and together they cover the window
// with no gap or overlap. An empty or inverted window gives nil; d <= 0
// gives the whole window as one range.
func Split(from, to time.Time, d time.Duration) []Range {
	if !to.After(from) {
		return nil
	}
	if d <= 0 {
		return []Range{{From: from, To: to}}
	}
	n := to.Sub(from) / d
	out := make([]Range, 0, min(int64(n)+1, 1<<16))
	for start := from; start.Before(to); {
		end := start.Add(d)
		if end.After(to) {
			end = to
		}
		out = append(out, Range{From: start, To: end})
		start = end
	}
	return out
}

// Clamp moves from forward to earliest (the oldest time the vendor still
// holds, now minus its retention) and reports whether it did, so the plugin
// can say so in its activity log instead of sending a query the vendor
// rejects.
func Clamp(from, earliest time.Time) (time.Time, bool) {
	if from.Before(earliest) {
		return earliest, true
	}
	return from, false
}
