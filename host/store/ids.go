package store

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// idLen is the length of an id in a key: the 16 bytes of a ULID. Ids are
// strings of 26 characters outside the store and 16 bytes inside it, so
// that keys stay short and sort by time.
const idLen = 16

// idSource makes ULIDs. They are made inside write transactions, which
// bbolt runs one at a time, so ids follow commit order (for one clock):
// an item committed after a reader pinned a list with Page.ToID sorts
// above the pin. Within one millisecond an id is the previous one plus
// one, which also lets an event's case id be its own id plus one (see
// caseOf), so that neither record has to hold the other's id.
type idSource struct {
	mu   sync.Mutex
	last ulid.ULID
}

func newIDSource() *idSource { return &idSource{} }

// at returns a new id whose time is t (to the millisecond).
func (s *idSource) at(t time.Time) (ulid.ULID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.next(ulid.Timestamp(t))
}

// pair returns two ids, the second the first plus one.
func (s *idSource) pair(t time.Time) (ulid.ULID, ulid.ULID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ms := ulid.Timestamp(t)
	for {
		a, err := s.next(ms)
		if err != nil {
			return a, a, err
		}
		b := a
		if inc(b[:]) {
			s.last = b
			return a, b, nil
		}
		ms = a.Time() + 1 // a ended its millisecond: start the next
	}
}

func (s *idSource) next(ms uint64) (ulid.ULID, error) {
	if !s.last.IsZero() && s.last.Time() == ms {
		id := s.last
		if inc(id[:]) && id.Time() == ms {
			s.last = id
			return id, nil
		}
		ms++
	}
	var id ulid.ULID
	if err := id.SetTime(ms); err != nil {
		return id, fmt.Errorf("making id: %w", err)
	}
	if _, err := rand.Read(id[6:]); err != nil {
		return id, fmt.Errorf("making id: %w", err)
	}
	s.last = id
	return id, nil
}

// inc adds one to the 80 random bits of an id, reporting false when they
// overflow.
func inc(id []byte) bool {
	for i := len(id) - 1; i >= 6; i-- {
		id[i]++
		if id[i] != 0 {
			return true
		}
	}
	return false
}

// caseOf returns the id of the case an event opened: the event id plus one.
func caseOf(evID []byte) []byte {
	c := bytes.Clone(evID)
	inc(c)
	return c
}

// eventOf returns the id of the event that opened a case (caseOf undone).
func eventOf(caseID []byte) []byte {
	e := bytes.Clone(caseID)
	for i := len(e) - 1; i >= 6; i-- {
		e[i]--
		if e[i] != 0xff {
			break
		}
	}
	return e
}

// parseID reads an id given as a string. Anything else than a well-formed
// ULID is reported as not ok, which callers turn into ErrNotFound.
func parseID(s string) (ulid.ULID, bool) {
	if len(s) != ulid.EncodedSize {
		return ulid.ULID{}, false
	}
	id, err := ulid.ParseStrict(s)
	return id, err == nil
}

// idKey returns the 16-byte key form of a string id, or nil.
func idKey(s string) []byte {
	id, ok := parseID(s)
	if !ok {
		return nil
	}
	return id[:]
}

// idString returns the string form of a 16-byte key id.
func idString(b []byte) string {
	var id ulid.ULID
	copy(id[:], b)
	return id.String()
}

// idTime returns the time carried by a 16-byte key id.
func idTime(b []byte) time.Time {
	var id ulid.ULID
	copy(id[:], b)
	return ulid.Time(id.Time()).UTC()
}

// idFloor returns the smallest id of the millisecond that holds t (rounded
// up to the next millisecond when t has a fraction of one), so that
// "id >= idFloor(t)" means "id time >= t" for ids made at millisecond
// precision.
func idFloor(t time.Time) []byte {
	ms := t.UnixMilli()
	if t.Sub(time.UnixMilli(ms)) > 0 {
		ms++
	}
	if ms < 0 {
		ms = 0
	}
	var id ulid.ULID
	if uint64(ms) > ulid.MaxTime() {
		for i := range id {
			id[i] = 0xff // beyond every id made
		}
		return id[:]
	}
	_ = id.SetTime(uint64(ms))
	return id[:]
}

// idAfter returns the smallest id above b, or nil when b is the largest.
func idAfter(b []byte) []byte {
	out := append([]byte(nil), b...)
	for i := len(out) - 1; i >= 0; i-- {
		out[i]++
		if out[i] != 0 {
			return out
		}
	}
	return nil
}

// cat concatenates key parts into a new slice (bbolt keeps the slices
// given to Put until the transaction ends, so keys are never reused).
func cat(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
