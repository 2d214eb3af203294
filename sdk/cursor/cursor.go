package cursor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// ErrInvalid is wrapped by every error of a cursor that cannot be read.
var ErrInvalid = errors.New("invalid cursor")

// TimeID is a position in a vendor's time-ordered stream: the newest event
// time handed to the host, and the ids of the events at exactly that time.
// The zero value is "no position yet".
type TimeID struct {
	Time time.Time
	// IDs are the ids of the events at Time already handed over, sorted.
	IDs []string
}

type timeIDWire struct {
	Time time.Time `json:"t"`
	IDs  []string  `json:"ids,omitempty"`
}

// IsZero reports whether c holds no position.
func (c TimeID) IsZero() bool { return c.Time.IsZero() && len(c.IDs) == 0 }

// Encode returns c as an opaque string for sdk.Batch.Cursor; the zero
// cursor encodes as "".
func (c TimeID) Encode() string {
	if c.IsZero() {
		return ""
	}
	ids := slices.Clone(c.IDs)
	slices.Sort(ids)
	b, err := json.Marshal(timeIDWire{Time: c.Time.UTC(), IDs: slices.Compact(ids)})
	if err != nil { // a time.Time outside years 0–9999: not a vendor time
		panic(fmt.Sprintf("cursor: encoding %v: %v", c.Time, err))
	}
	return string(b)
}

// String is Encode, so a cursor logs readably.
func (c TimeID) String() string { return c.Encode() }

// Decode parses a cursor made by Encode. "" decodes to the zero cursor;
// a bare RFC 3339 time (a cursor set by hand) to that time with no ids.
// Anything else that does not parse is an error wrapping ErrInvalid.
func Decode(s string) (TimeID, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return TimeID{}, nil
	}
	if !strings.HasPrefix(s, "{") {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return TimeID{}, fmt.Errorf("%w: %q is neither a time-id cursor nor an RFC 3339 time", ErrInvalid, short(s))
		}
		return TimeID{Time: t.UTC()}, nil
	}
	var w timeIDWire
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return TimeID{}, fmt.Errorf("%w: %q: %v", ErrInvalid, short(s), err)
	}
	if trailing(dec) {
		return TimeID{}, fmt.Errorf("%w: %q: data after the cursor", ErrInvalid, short(s))
	}
	if w.Time.IsZero() {
		return TimeID{}, fmt.Errorf("%w: %q has no time", ErrInvalid, short(s))
	}
	slices.Sort(w.IDs)
	return TimeID{Time: w.Time.UTC(), IDs: slices.Compact(w.IDs)}, nil
}

// After reports whether an event at t with id is new relative to c: later
// than c.Time, or at c.Time and not yet handed over. Use it to drop the
// boundary events an inclusive time filter returns again.
func (c TimeID) After(t time.Time, id string) bool {
	if c.IsZero() {
		return true
	}
	switch t.Compare(c.Time) {
	case 1:
		return true
	case 0:
		return !c.Has(id)
	}
	return false
}

// Has reports whether id was handed over at c.Time.
func (c TimeID) Has(id string) bool {
	_, found := slices.BinarySearch(c.IDs, id)
	if found {
		return true
	}
	// IDs filled by hand may be unsorted.
	return !slices.IsSorted(c.IDs) && slices.Contains(c.IDs, id)
}

// Advance records that the event at t with id was handed over. A later t
// moves the cursor and keeps only id; an equal t adds id; an earlier t (an
// out-of-order event) changes nothing.
func (c *TimeID) Advance(t time.Time, id string) {
	switch {
	case c.IsZero() || t.After(c.Time):
		c.Time, c.IDs = t.UTC(), []string{id}
	case t.Equal(c.Time):
		if !slices.IsSorted(c.IDs) {
			slices.Sort(c.IDs)
		}
		if i, found := slices.BinarySearch(c.IDs, id); !found {
			c.IDs = slices.Insert(c.IDs, i, id)
		}
	}
}

// AdvanceTo moves an idle cursor to t, a vendor time before which no new
// event can still appear, so empty pages do not leave it stuck. An earlier
// or equal t changes nothing.
func (c *TimeID) AdvanceTo(t time.Time) {
	if t.After(c.Time) {
		c.Time, c.IDs = t.UTC(), nil
	}
}

// Marshal encodes any JSON-able cursor state (a page token with the window
// it belongs to, say) as an opaque cursor string.
func Marshal(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encoding cursor: %w", err)
	}
	return string(b), nil
}

// Unmarshal decodes a cursor made by Marshal into v, refusing unknown
// fields. "" leaves v as it is and returns nil: there is no cursor yet.
// Anything that does not parse is an error wrapping ErrInvalid.
func Unmarshal(s string, v any) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %q: %v", ErrInvalid, short(s), err)
	}
	if trailing(dec) {
		return fmt.Errorf("%w: %q: data after the cursor", ErrInvalid, short(s))
	}
	return nil
}

func short(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// trailing reports whether anything but space follows the decoded value.
func trailing(dec *json.Decoder) bool {
	_, err := dec.Token()
	return !errors.Is(err, io.EOF)
}
