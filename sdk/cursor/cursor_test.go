package cursor

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		c    TimeID
	}{
		{"time only", TimeID{Time: t0}},
		{"ids", TimeID{Time: t0, IDs: []string{"b", "a", "c"}}},
		{"nanoseconds and zone", TimeID{Time: time.Date(2026, 3, 1, 13, 0, 0, 123456789, time.FixedZone("x", 3600)), IDs: []string{"id with \"quotes\", commas"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.c.Encode()
			got, err := Decode(s)
			if err != nil {
				t.Fatalf("Decode(%q): %v", s, err)
			}
			if !got.Time.Equal(tt.c.Time) {
				t.Fatalf("time %v, want %v", got.Time, tt.c.Time)
			}
			want := slices.Sorted(slices.Values(tt.c.IDs))
			if !slices.Equal(got.IDs, want) {
				t.Fatalf("ids %v, want %v", got.IDs, want)
			}
			if got.Encode() != s {
				t.Fatalf("re-encoded %q, want %q", got.Encode(), s)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		in      string
		want    TimeID
		invalid bool
	}{
		{in: "", want: TimeID{}},
		{in: "  ", want: TimeID{}},
		{in: "2026-03-01T12:00:00Z", want: TimeID{Time: t0}},
		{in: `{"t":"2026-03-01T12:00:00Z","ids":["x","x"]}`, want: TimeID{Time: t0, IDs: []string{"x"}}},
		{in: "garbage", invalid: true},
		{in: "12345", invalid: true},
		{in: `{"t":"yesterday"}`, invalid: true},
		{in: `{"ids":["a"]}`, invalid: true},
		{in: `{"t":"2026-03-01T12:00:00Z","page":"x"}`, invalid: true},
		{in: `{"t":"2026-03-01T12:00:00Z"} {}`, invalid: true},
		{in: `{"t":"2026-03-01T12:00:00Z"}}`, invalid: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Decode(tt.in)
			if tt.invalid {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("err = %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Time.Equal(tt.want.Time) || !slices.Equal(got.IDs, tt.want.IDs) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestAfter(t *testing.T) {
	c := TimeID{Time: t0, IDs: []string{"a", "b"}}
	tests := []struct {
		name string
		c    TimeID
		t    time.Time
		id   string
		want bool
	}{
		{"zero cursor takes everything", TimeID{}, t0.Add(-time.Hour), "x", true},
		{"later", c, t0.Add(time.Millisecond), "a", true},
		{"same time, seen", c, t0, "a", false},
		{"same time, new id", c, t0, "c", true},
		{"same instant in another zone", c, t0.In(time.FixedZone("x", -7200)), "b", false},
		{"earlier", c, t0.Add(-time.Second), "z", false},
		{"unsorted ids set by hand", TimeID{Time: t0, IDs: []string{"z", "a"}}, t0, "z", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.After(tt.t, tt.id); got != tt.want {
				t.Fatalf("After = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAdvance(t *testing.T) {
	var c TimeID
	c.Advance(t0, "a")
	c.Advance(t0, "c")
	c.Advance(t0, "b")
	c.Advance(t0, "a")
	c.Advance(t0.Add(-time.Minute), "old") // out of order: no change
	if !c.Time.Equal(t0) || !slices.Equal(c.IDs, []string{"a", "b", "c"}) {
		t.Fatalf("cursor %+v", c)
	}
	c.Advance(t0.Add(time.Second), "d")
	if !slices.Equal(c.IDs, []string{"d"}) {
		t.Fatalf("ids %v, want only those at the max time", c.IDs)
	}
	c.AdvanceTo(t0) // earlier: no change
	if !slices.Equal(c.IDs, []string{"d"}) {
		t.Fatalf("AdvanceTo moved back: %+v", c)
	}
	c.AdvanceTo(t0.Add(time.Minute))
	if !c.Time.Equal(t0.Add(time.Minute)) || len(c.IDs) != 0 {
		t.Fatalf("AdvanceTo: %+v", c)
	}
	if !c.After(t0.Add(time.Minute), "e") {
		t.Fatal("an event at the idle cursor's time must still be new")
	}
}

// TestSameSecondPaging pages through many events that share one second, with
// an inclusive vendor filter, pages smaller than the group, and a crash after
// every batch: every event is handed over exactly once.
func TestSameSecondPaging(t *testing.T) {
	type ev struct {
		t  time.Time
		id string
	}
	var all []ev
	for i := range 25 {
		all = append(all, ev{t0, fmt.Sprintf("same-%02d", i)})
	}
	for i := range 5 {
		all = append(all, ev{t0.Add(time.Duration(i+1) * time.Second), fmt.Sprintf("later-%d", i)})
	}
	// The vendor: time >= since, ordered by time, offset paging.
	query := func(since time.Time, offset, limit int) []ev {
		var out []ev
		for _, e := range all {
			if !e.t.Before(since) {
				out = append(out, e)
			}
		}
		if offset >= len(out) {
			return nil
		}
		return out[offset:min(offset+limit, len(out))]
	}
	seen := map[string]int{}
	stored := ""
	for run := 0; ; run++ {
		if run > 50 {
			t.Fatal("paging never finished")
		}
		cur, err := Decode(stored) // each run starts from the committed cursor
		if err != nil {
			t.Fatal(err)
		}
		since := cur.Time
		fresh := 0
		for page := 0; fresh == 0; page++ { // the run "crashes" after one batch
			items := query(since, page*10, 10)
			for _, e := range items {
				if cur.After(e.t, e.id) { // the boundary group comes back: drop what was seen
					cur.Advance(e.t, e.id)
					seen[e.id]++
					fresh++
				}
			}
			stored = cur.Encode() // the batch and its cursor are committed together
			if len(items) < 10 {
				break
			}
		}
		if fresh == 0 {
			break
		}
	}
	if len(seen) != len(all) {
		t.Fatalf("handed over %d of %d events", len(seen), len(all))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("%s handed over %d times", id, n)
		}
	}
}

func TestMarshal(t *testing.T) {
	type state struct {
		Window time.Time `json:"window"`
		Token  string    `json:"token"`
	}
	in := state{Window: t0, Token: "abc=="}
	s, err := Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out state
	if err := Unmarshal(s, &out); err != nil || out != in {
		t.Fatalf("Unmarshal = %+v, %v", out, err)
	}
	keep := state{Token: "kept"}
	if err := Unmarshal("", &keep); err != nil || keep.Token != "kept" {
		t.Fatalf("empty cursor changed state: %+v, %v", keep, err)
	}
	for _, bad := range []string{"nope", `{"token":1}`, `{"other":"x"}`, `{"token":"a"} x`} {
		if err := Unmarshal(bad, &out); !errors.Is(err, ErrInvalid) {
			t.Fatalf("Unmarshal(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}
