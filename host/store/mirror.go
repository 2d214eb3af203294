package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

func dueKey(t time.Time, id []byte) []byte {
	return cat(putU64(nil, uint64(tNs(t))), id)
}

// enqueue stores a new PENDING item in tx.
func (d *DB) enqueue(tx *bolt.Tx, m *MirrorItem, now time.Time, cnt counts) error {
	id, err := d.ids.at(now)
	if err != nil {
		return err
	}
	m.ID, m.Change.ID = id.String(), id.String()
	m.State, m.Attempts, m.Error = MirrorPending, 0, ""
	m.CreatedAt, m.UpdatedAt = now, now
	if m.NextAt.IsZero() {
		m.NextAt = now
	}
	m.NextAt = m.NextAt.UTC()
	if err := putJSON(bk(tx, bMirror), id[:], m); err != nil {
		return err
	}
	if err := bk(tx, bMirDue).Put(dueKey(m.NextAt, id[:]), nil); err != nil {
		return err
	}
	if caseKey := idKey(m.CaseID); caseKey != nil {
		if err := bk(tx, bMirCase).Put(cat(caseKey, id[:]), nil); err != nil {
			return err
		}
		cnt.add(ckey(cMirCase, caseKey), 1)
	}
	return nil
}

// EnqueueMirror queues one change for an integration: a case change
// (m.CaseID set; m.IntegrationID defaults to the case's) or a notification
// (no case). It sets ID, Change.ID, State, CreatedAt, UpdatedAt, and NextAt
// when zero.
func (d *DB) EnqueueMirror(ctx context.Context, m *MirrorItem) error {
	rec := *m
	return d.update(ctx, func(tx *bolt.Tx) error {
		if rec.CaseID != "" {
			cs, _, _, err := getCase(tx, rec.CaseID)
			if err != nil {
				return err
			}
			rec.CaseID = cs.ID
			if rec.IntegrationID == "" {
				rec.IntegrationID = cs.IntegrationID
			}
			if rec.Change.CaseID == "" {
				rec.Change.CaseID = cs.ID
			}
			if rec.Change.OriginalID == "" {
				rec.Change.OriginalID = cs.SecurityEvent.OriginalID
			}
		}
		if _, err := d.requireInteg(tx, rec.IntegrationID); err != nil {
			return err
		}
		cnt := counts{}
		if err := d.enqueue(tx, &rec, d.clock(), cnt); err != nil {
			return err
		}
		if err := cnt.flush(tx); err != nil {
			return err
		}
		tx.OnCommit(func() { *m = rec })
		return nil
	})
}

func getMirror(tx *bolt.Tx, id string) (*MirrorItem, []byte, error) {
	key := idKey(id)
	var m MirrorItem
	if key != nil {
		ok, err := getJSON(bk(tx, bMirror), key, &m)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			return &m, key, nil
		}
	}
	return nil, nil, fmt.Errorf("mirror item %q: %w", id, ErrNotFound)
}

// ListMirror lists the outbox items of a case newest first.
func (d *DB) ListMirror(ctx context.Context, caseID string, p Page) ([]MirrorItem, int, error) {
	var out []MirrorItem
	var total int
	err := d.view(ctx, func(tx *bolt.Tx) error {
		_, key, _, err := getCase(tx, caseID)
		if err != nil {
			return err
		}
		mb := bk(tx, bMirror)
		l := listing{sources: []source{{b: bk(tx, bMirCase), prefix: key}}, counted: getCount(tx, ckey(cMirCase, key))}
		total, err = l.page(p, func(id, _ []byte) error {
			var m MirrorItem
			ok, err := getJSON(mb, id, &m)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("mirror item %s: index without record", idString(id))
			}
			out = append(out, m)
			return nil
		})
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return items(out, p), total, nil
}

// NextMirrorDue returns up to limit PENDING items, earliest NextAt first,
// whether they are due yet or not.
func (d *DB) NextMirrorDue(ctx context.Context, limit int) ([]MirrorItem, error) {
	out := []MirrorItem{}
	err := d.view(ctx, func(tx *bolt.Tx) error {
		mb := bk(tx, bMirror)
		c := bk(tx, bMirDue).Cursor()
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			if len(k) != 8+idLen {
				continue
			}
			var m MirrorItem
			ok, err := getJSON(mb, k[8:], &m)
			if err != nil {
				return err
			}
			if ok {
				out = append(out, m)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// MarkMirror records the outcome of a delivery attempt: PENDING items are
// due again at m.NextAt (now when zero), DELIVERED and FAILED ones leave
// the queue.
func (d *DB) MarkMirror(ctx context.Context, id string, mk MirrorMark) error {
	switch mk.State {
	case MirrorPending, MirrorDelivered, MirrorFailed:
	default:
		return fmt.Errorf("mirror state %q: %w", mk.State, ErrInvalid)
	}
	return d.update(ctx, func(tx *bolt.Tx) error {
		m, key, err := getMirror(tx, id)
		if err != nil {
			return err
		}
		due := bk(tx, bMirDue)
		if m.State == MirrorPending {
			if err := due.Delete(dueKey(m.NextAt, key)); err != nil {
				return err
			}
		}
		now := d.clock()
		m.State, m.Attempts, m.Error, m.UpdatedAt = mk.State, mk.Attempts, mk.Error, now
		if mk.State == MirrorPending {
			m.NextAt = mk.NextAt.UTC()
			if mk.NextAt.IsZero() {
				m.NextAt = now
			}
			if err := due.Put(dueKey(m.NextAt, key), nil); err != nil {
				return err
			}
		}
		raw, err := json.Marshal(m)
		if err != nil {
			return err
		}
		return bk(tx, bMirror).Put(key, raw)
	})
}
