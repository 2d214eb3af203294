package fakevendor

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"time"
)

// Options are the knobs of DESIGN.md's vendorsim, shared by every fake.
type Options struct {
	// Alerts is how many alerts the fake holds at start.
	Alerts int
	// Rate is how many new alerts per second it makes (0 = none).
	Rate float64
	// MaxAlerts caps what it holds (0 = no cap).
	MaxAlerts int
	// LateFraction is the share of alerts that become visible only
	// LateDelay after their own timestamp.
	LateFraction float64
	LateDelay    time.Duration
	// RateLimitEvery answers every K-th request with the vendor's 429
	// (0 = never).
	RateLimitEvery int
	// RetryAfter is the wait a throttled answer names (default 1 s).
	RetryAfter time.Duration
	// Seed makes data and credentials deterministic.
	Seed int64
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// DefaultOptions are vendorsim's defaults.
func DefaultOptions() Options {
	return Options{Alerts: 200, Rate: 1, LateFraction: 0.02, LateDelay: 10 * time.Second, Seed: 1}
}

// Alert is one alert a fake holds. The vendor-specific fields are derived
// from Seq and Rand by each fake; the write-back fields change when the
// fake accepts a change.
type Alert struct {
	Seq int
	// ID is unique and stable for a seed.
	ID string
	// Time is the alert's own timestamp.
	Time time.Time
	// VisibleAt is when a query can first see it.
	VisibleAt time.Time
	Late      bool
	// Rand is a per-alert random number for the fake's content.
	Rand uint64

	// Write-back state, changed through Store.Update.
	Status   string
	Owner    string
	Comments []string
	Updated  time.Time
	Extra    map[string]string
}

// MirrorRecord is one write-back the fake accepted.
type MirrorRecord struct {
	Method string          `json:"method"`
	Path   string          `json:"path"`
	Body   json.RawMessage `json:"body"`
}

// State is the answer of GET /_sim/<vendor>/state.
type State struct {
	Alerts  int            `json:"alerts"`
	Visible int            `json:"visible"`
	Late    int            `json:"late"`
	Mirror  []MirrorRecord `json:"mirror"`
}

// Store holds a fake's alerts. It is safe for concurrent use.
type Store struct {
	opts   Options
	start  time.Time
	prefix string

	mu        sync.Mutex
	alerts    []*Alert // ordered by Time, then Seq
	byID      map[string]*Alert
	made      int // alerts made after start
	requests  int
	forced    int
	forceWait time.Duration
	mirror    []MirrorRecord
	rng       *rand.Rand
}

// NewStore makes a store with the alerts held at start.
func NewStore(prefix string, o Options) *Store {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = time.Second
	}
	s := &Store{
		opts:   o,
		start:  o.Now().UTC(),
		byID:   map[string]*Alert{},
		prefix: prefix,
		rng:    rand.New(rand.NewPCG(uint64(o.Seed), uint64(len(prefix))+0x9e3779b97f4a7c15)),
	}
	n := o.Alerts
	if o.MaxAlerts > 0 && n > o.MaxAlerts {
		n = o.MaxAlerts
	}
	for i := 0; i < n; i++ {
		t := s.start.Add(-time.Hour + time.Duration(i)*time.Hour/time.Duration(max(n, 1)))
		s.add(t)
	}
	return s
}

func (s *Store) add(t time.Time) {
	seq := len(s.alerts)
	a := &Alert{
		Seq:  seq,
		ID:   fmt.Sprintf("%s-%08d-%04x", s.prefix, seq, s.rng.Uint32()&0xffff),
		Time: t.Truncate(time.Millisecond),
		Rand: s.rng.Uint64(),
	}
	a.VisibleAt = a.Time
	if s.opts.LateFraction > 0 && s.rng.Float64() < s.opts.LateFraction {
		a.Late = true
		base := a.Time
		if base.Before(s.start) {
			base = s.start
		}
		a.VisibleAt = base.Add(s.opts.LateDelay)
	}
	a.Updated = a.Time
	s.alerts = append(s.alerts, a)
	s.byID[a.ID] = a
}

// advance makes the alerts due by now. Callers hold mu.
func (s *Store) advance(now time.Time) {
	if s.opts.Rate <= 0 {
		return
	}
	due := int(now.Sub(s.start).Seconds() * s.opts.Rate)
	for s.made < due {
		if s.opts.MaxAlerts > 0 && len(s.alerts) >= s.opts.MaxAlerts {
			return
		}
		s.made++
		t := s.start.Add(time.Duration(float64(s.made) / s.opts.Rate * float64(time.Second)))
		s.add(t)
	}
}

// Now is the fake's clock.
func (s *Store) Now() time.Time { return s.opts.Now().UTC() }

// Start is when the fake started.
func (s *Store) Start() time.Time { return s.start }

// Window returns the alerts visible now whose Time is in [from, to), ordered
// by Time then Seq. A zero to means no upper bound.
func (s *Store) Window(from, to time.Time) []*Alert {
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(now)
	i := sort.Search(len(s.alerts), func(i int) bool { return !s.alerts[i].Time.Before(from) })
	var out []*Alert
	for ; i < len(s.alerts); i++ {
		a := s.alerts[i]
		if !to.IsZero() && !a.Time.Before(to) {
			break
		}
		if !a.VisibleAt.After(now) {
			out = append(out, a)
		}
	}
	return out
}

// All returns every alert visible now, ordered by Time then Seq.
func (s *Store) All() []*Alert { return s.Window(time.Time{}, time.Time{}) }

// Get returns the alert with id if it is visible now.
func (s *Store) Get(id string) (*Alert, bool) {
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(now)
	a, ok := s.byID[id]
	if !ok || a.VisibleAt.After(now) {
		return nil, false
	}
	return a, true
}

// Update changes an alert under the store's lock and stamps Updated.
func (s *Store) Update(id string, fn func(*Alert)) bool {
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.byID[id]
	if !ok {
		return false
	}
	fn(a)
	a.Updated = now
	return true
}

// Read calls fn with the alert under the store's lock, for fakes that
// render mutable fields.
func (s *Store) Read(a *Alert, fn func(*Alert)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(a)
}

// Throttle counts one API request and reports whether the fake must answer
// it with the vendor's 429, and the wait to name.
func (s *Store) Throttle() (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if s.forced > 0 {
		s.forced--
		return s.forceWait, true
	}
	if k := s.opts.RateLimitEvery; k > 0 && s.requests%k == 0 {
		return s.opts.RetryAfter, true
	}
	return 0, false
}

// ForceThrottle makes the next n requests throttled with the given wait.
func (s *Store) ForceThrottle(n int, wait time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forced, s.forceWait = n, wait
}

// Requests counts the API requests the fake has answered.
func (s *Store) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// RecordMirror records a write-back the fake accepted. A body that is not
// JSON is recorded as a JSON string.
func (s *Store) RecordMirror(method, path string, body []byte) {
	raw := json.RawMessage(body)
	if !json.Valid(body) {
		raw, _ = json.Marshal(string(body))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mirror = append(s.mirror, MirrorRecord{Method: method, Path: path, Body: raw})
}

// State reports the fake's counts and write-backs.
func (s *Store) State() State {
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(now)
	st := State{Alerts: len(s.alerts), Mirror: append([]MirrorRecord{}, s.mirror...)}
	for _, a := range s.alerts {
		if !a.VisibleAt.After(now) {
			st.Visible++
		}
		if a.Late {
			st.Late++
		}
	}
	return st
}

// Secret returns a deterministic credential for name: 24 characters from the
// seed, different per fake and per name.
func (s *Store) Secret(name string) string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
	r := rand.New(rand.NewPCG(uint64(s.opts.Seed), hash(s.prefix+"/"+name)))
	b := make([]byte, 24)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

func hash(s string) uint64 {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
