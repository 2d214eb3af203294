package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Query kinds, as the stats count them.
const (
	KindNew       = "new"
	KindLostFound = "lost_found"
	KindFallback  = "fallback"
)

// slotWidth is the width of a stored stats bucket.
const slotWidth = 5 * time.Minute

// maxBuckets bounds what one Stats call may return.
const maxBuckets = 10000

// stat fields, in the order of a stats value.
const (
	statNew = iota
	statLostFound
	statFallback
	statEvents
	statErrors
	statFields
)

func slotKey(integKey []byte, t time.Time) []byte {
	s := t.Unix() / int64(slotWidth/time.Second)
	if s < 0 {
		s = 0
	}
	return putU32(cat(integKey, nil), uint32(s))
}

// addStat adds n to one field of the stats slot of t.
func addStat(tx *bolt.Tx, integKey []byte, t time.Time, field, n int) error {
	b := bk(tx, bStats)
	key := slotKey(integKey, t)
	v := make([]byte, 4*statFields)
	if old := b.Get(key); len(old) == len(v) {
		copy(v, old)
	}
	i := 4 * field
	cur := getU32(v[i:])
	copy(v[i:], putU32(nil, cur+uint32(n)))
	return b.Put(key, v)
}

func (d *DB) requireInteg(tx *bolt.Tx, id string) ([]byte, error) {
	key := idKey(id)
	if key == nil || bk(tx, bInteg).Get(key) == nil {
		return nil, fmt.Errorf("integration %q: %w", id, ErrNotFound)
	}
	return key, nil
}

// AddLog appends an entry to an integration's activity log; it sets e.ID,
// and e.Time when it is zero.
func (d *DB) AddLog(ctx context.Context, integrationID string, e LogEntry) error {
	return d.update(ctx, func(tx *bolt.Tx) error {
		key, err := d.requireInteg(tx, integrationID)
		if err != nil {
			return err
		}
		now := d.clock()
		id, err := d.ids.at(now)
		if err != nil {
			return err
		}
		e.ID = id.String()
		if e.Time.IsZero() {
			e.Time = now
		}
		e.Time = e.Time.UTC()
		if err := putJSON(bk(tx, bLogs), cat(key, id[:]), &e); err != nil {
			return err
		}
		return addNow(tx, ckey(cLogs, key), 1)
	})
}

// ListLogs lists an integration's activity log newest first.
func (d *DB) ListLogs(ctx context.Context, integrationID string, p Page) ([]LogEntry, int, error) {
	var out []LogEntry
	total, err := d.listJSON(ctx, integrationID, bLogs, cLogs, p, appendJSON(&out, "log entry"))
	return items(out, p), total, err
}

// AddRun records a finished query run and counts it in the stats slot of
// r.StartedAt: one query of r.Kind, and one error when r.Error is set. It
// sets r.ID.
func (d *DB) AddRun(ctx context.Context, integrationID string, r Run) error {
	field := -1
	switch r.Kind {
	case KindNew:
		field = statNew
	case KindLostFound:
		field = statLostFound
	case KindFallback:
		field = statFallback
	}
	return d.update(ctx, func(tx *bolt.Tx) error {
		key, err := d.requireInteg(tx, integrationID)
		if err != nil {
			return err
		}
		now := d.clock()
		id, err := d.ids.at(now)
		if err != nil {
			return err
		}
		r.ID = id.String()
		if r.StartedAt.IsZero() {
			r.StartedAt = now
		}
		r.StartedAt, r.FinishedAt = r.StartedAt.UTC(), r.FinishedAt.UTC()
		if err := putJSON(bk(tx, bRuns), cat(key, id[:]), &r); err != nil {
			return err
		}
		if field >= 0 {
			if err := addStat(tx, key, r.StartedAt, field, 1); err != nil {
				return err
			}
		}
		if r.Error != "" {
			if err := addStat(tx, key, r.StartedAt, statErrors, 1); err != nil {
				return err
			}
		}
		return addNow(tx, ckey(cRuns, key), 1)
	})
}

// ListRuns lists an integration's query runs newest first.
func (d *DB) ListRuns(ctx context.Context, integrationID string, p Page) ([]Run, int, error) {
	var out []Run
	total, err := d.listJSON(ctx, integrationID, bRuns, cRuns, p, appendJSON(&out, "run"))
	return items(out, p), total, err
}

func (d *DB) listJSON(ctx context.Context, integrationID string, bucket []byte, counter string, p Page, add func(v []byte) error) (int, error) {
	var total int
	err := d.view(ctx, func(tx *bolt.Tx) error {
		key, err := d.requireInteg(tx, integrationID)
		if err != nil {
			return err
		}
		l := listing{sources: []source{{b: bk(tx, bucket), prefix: key}}, counted: getCount(tx, ckey(counter, key))}
		total, err = l.page(p, func(_, v []byte) error { return add(v) })
		return err
	})
	return total, err
}

// Stats returns the query chart of [from, to) in buckets of width (a
// multiple of 5 minutes: 5m, 1h, 24h), aligned to UTC: every bucket that
// overlaps [from, to), empty ones included, each summing its 5-minute
// slots.
func (d *DB) Stats(ctx context.Context, integrationID string, from, to time.Time, width time.Duration) ([]Bucket, error) {
	if width <= 0 || width%slotWidth != 0 {
		return nil, fmt.Errorf("bucket width %s is not a multiple of %s: %w", width, slotWidth, ErrInvalid)
	}
	if !from.Before(to) {
		return nil, fmt.Errorf("stats range %s to %s is empty: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), ErrInvalid)
	}
	start := from.UTC().Truncate(width)
	n := int((to.Sub(start) + width - 1) / width)
	if n > maxBuckets || n < 0 {
		return nil, fmt.Errorf("stats range asks for %d buckets, at most %d: %w", n, maxBuckets, ErrInvalid)
	}
	out := make([]Bucket, n)
	for i := range out {
		out[i].Start = start.Add(time.Duration(i) * width)
	}
	err := d.view(ctx, func(tx *bolt.Tx) error {
		key, err := d.requireInteg(tx, integrationID)
		if err != nil {
			return err
		}
		end := slotKey(key, start.Add(time.Duration(n)*width))
		c := bk(tx, bStats).Cursor()
		for k, v := c.Seek(slotKey(key, start)); k != nil && bytes.Compare(k, end) < 0; k, v = c.Next() {
			if len(k) != idLen+4 || len(v) != 4*statFields {
				continue
			}
			t := time.Unix(int64(getU32(k[idLen:]))*int64(slotWidth/time.Second), 0)
			i := int(t.Sub(start) / width)
			if i < 0 || i >= n {
				continue
			}
			b := &out[i]
			b.New += int(getU32(v[4*statNew:]))
			b.LostFound += int(getU32(v[4*statLostFound:]))
			b.Fallback += int(getU32(v[4*statFallback:]))
			b.Events += int(getU32(v[4*statEvents:]))
			b.Errors += int(getU32(v[4*statErrors:]))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// appendJSON returns a listing callback that decodes each JSON record and
// appends it to out; what names the record in a decoding error.
func appendJSON[T any](out *[]T, what string) func(v []byte) error {
	return func(v []byte) error {
		var x T
		if err := json.Unmarshal(v, &x); err != nil {
			return fmt.Errorf("decoding %s: %w", what, err)
		}
		*out = append(*out, x)
		return nil
	}
}
