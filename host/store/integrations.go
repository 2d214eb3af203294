package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// integRec is an integration at rest: its secrets sealed, bound to its id.
type integRec struct {
	Integration
	Sealed []byte `json:"sealed_secrets,omitempty"`
}

func (d *DB) encodeInteg(in *Integration) ([]byte, error) {
	rec := integRec{Integration: *in}
	if len(in.Secrets) > 0 {
		plain, err := json.Marshal(in.Secrets)
		if err != nil {
			return nil, fmt.Errorf("encoding secrets: %w", err)
		}
		rec.Sealed, err = d.seal.seal(plain, []byte(in.ID))
		if err != nil {
			return nil, err
		}
	}
	return jsonPlain(&rec)
}

func (d *DB) decodeInteg(v []byte) (*Integration, error) {
	var rec integRec
	if err := json.Unmarshal(v, &rec); err != nil {
		return nil, fmt.Errorf("decoding integration: %w", err)
	}
	in := rec.Integration
	if len(rec.Sealed) > 0 {
		plain, err := d.seal.open(rec.Sealed, []byte(in.ID))
		if err != nil {
			return nil, fmt.Errorf("secrets of integration %s: %w", in.ID, err)
		}
		if err := json.Unmarshal(plain, &in.Secrets); err != nil {
			return nil, fmt.Errorf("decoding secrets of integration %s: %w", in.ID, err)
		}
	}
	return &in, nil
}

func (d *DB) getInteg(tx *bolt.Tx, id string) (*Integration, []byte, error) {
	key := idKey(id)
	if key != nil {
		if v := bk(tx, bInteg).Get(key); v != nil {
			in, err := d.decodeInteg(v)
			return in, key, err
		}
	}
	return nil, nil, fmt.Errorf("integration %q: %w", id, ErrNotFound)
}

// CreateIntegration stores a new integration of an existing customer; it
// sets in.ID, CreatedAt and UpdatedAt, and Status NOT_ACTIVE and Health
// UNTESTED when they are empty.
func (d *DB) CreateIntegration(ctx context.Context, in *Integration) error {
	return d.update(ctx, func(tx *bolt.Tx) error {
		_, custKey, err := getCustomer(tx, in.CustomerID)
		if err != nil {
			return err
		}
		now := d.clock()
		id, err := d.ids.at(now)
		if err != nil {
			return err
		}
		rec := *in
		rec.ID, rec.CustomerID, rec.CreatedAt, rec.UpdatedAt = id.String(), idString(custKey), now, now
		if rec.Status == "" {
			rec.Status = StatusNotActive
		}
		if rec.Health == "" {
			rec.Health = HealthUntested
		}
		v, err := d.encodeInteg(&rec)
		if err != nil {
			return err
		}
		if err := bk(tx, bInteg).Put(id[:], v); err != nil {
			return err
		}
		if err := bk(tx, bIntegCust).Put(cat(custKey, id[:]), nil); err != nil {
			return err
		}
		c := counts{}
		c.add(ckey(cInteg), 1)
		c.add(ckey(cInteg, custKey), 1)
		if err := c.flush(tx); err != nil {
			return err
		}
		tx.OnCommit(func() { *in = rec })
		return nil
	})
}

// GetIntegration returns an integration with its secrets in clear.
func (d *DB) GetIntegration(ctx context.Context, id string) (*Integration, error) {
	var in *Integration
	err := d.view(ctx, func(tx *bolt.Tx) (err error) {
		in, _, err = d.getInteg(tx, id)
		return err
	})
	return in, err
}

// UpdateIntegration reads an integration, calls fn and writes it back in
// one write transaction, so concurrent updates never lose each other's
// changes. fn must not block; it cannot change ID, CustomerID or
// CreatedAt, and it sets UpdatedAt itself when the change is one a user
// would call an update (a run's bookkeeping is not).
func (d *DB) UpdateIntegration(ctx context.Context, id string, fn func(*Integration) error) (*Integration, error) {
	var out *Integration
	err := d.update(ctx, func(tx *bolt.Tx) error {
		in, key, err := d.getInteg(tx, id)
		if err != nil {
			return err
		}
		keepID, keepCust, keepCreated := in.ID, in.CustomerID, in.CreatedAt
		if err := fn(in); err != nil {
			return err
		}
		in.ID, in.CustomerID, in.CreatedAt = keepID, keepCust, keepCreated
		v, err := d.encodeInteg(in)
		if err != nil {
			return err
		}
		out = in
		return bk(tx, bInteg).Put(key, v)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteIntegration removes an integration with its cursor, activity log,
// runs and stats. Its events and cases stay, still listed under its id.
func (d *DB) DeleteIntegration(ctx context.Context, id string) error {
	return d.update(ctx, func(tx *bolt.Tx) error {
		in, key, err := d.getInteg(tx, id)
		if err != nil && !errors.Is(err, ErrSealed) {
			return err
		}
		if in == nil { // sealed with another key: delete it all the same
			in = &Integration{}
			if _, err := getJSON(bk(tx, bInteg), key, in); err != nil {
				return err
			}
		}
		custKey := idKey(in.CustomerID)
		if err := bk(tx, bInteg).Delete(key); err != nil {
			return err
		}
		if err := bk(tx, bIntegCust).Delete(cat(custKey, key)); err != nil {
			return err
		}
		if err := bk(tx, bCursors).Delete(key); err != nil {
			return err
		}
		for _, b := range [][]byte{bLogs, bRuns, bStats} {
			if err := deletePrefix(bk(tx, b), key); err != nil {
				return err
			}
		}
		c := counts{}
		c.add(ckey(cInteg), -1)
		c.add(ckey(cInteg, custKey), -1)
		c.add(ckey(cLogs, key), -int64(getCount(tx, ckey(cLogs, key))))
		c.add(ckey(cRuns, key), -int64(getCount(tx, ckey(cRuns, key))))
		return c.flush(tx)
	})
}

// deletePrefix deletes every key of b that starts with prefix.
func deletePrefix(b *bolt.Bucket, prefix []byte) error {
	c := b.Cursor()
	var keys [][]byte
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, append([]byte(nil), k...))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// ListIntegrations lists the integrations of a customer ("" for every
// customer) newest first.
func (d *DB) ListIntegrations(ctx context.Context, customerID string, p Page) ([]Integration, int, error) {
	var out []Integration
	var total int
	err := d.view(ctx, func(tx *bolt.Tx) (err error) {
		ib := bk(tx, bInteg)
		l := listing{sources: []source{{b: ib}}, counted: getCount(tx, ckey(cInteg))}
		if customerID != "" {
			custKey := idKey(customerID)
			if custKey == nil {
				return nil
			}
			l = listing{sources: []source{{b: bk(tx, bIntegCust), prefix: custKey}}, counted: getCount(tx, ckey(cInteg, custKey))}
		}
		total, err = l.page(p, func(id, _ []byte) error {
			v := ib.Get(id)
			if v == nil {
				return fmt.Errorf("integration %s: index without record", idString(id))
			}
			in, err := d.decodeInteg(v)
			if err != nil {
				return err
			}
			out = append(out, *in)
			return nil
		})
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return items(out, p), total, nil
}

// AllIntegrations returns every integration, oldest first (for start-up).
func (d *DB) AllIntegrations(ctx context.Context) ([]Integration, error) {
	var out []Integration
	err := d.view(ctx, func(tx *bolt.Tx) error {
		return bk(tx, bInteg).ForEach(func(_, v []byte) error {
			in, err := d.decodeInteg(v)
			if err != nil {
				return err
			}
			out = append(out, *in)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Cursor returns the integration's stored cursor, "" when it has none.
func (d *DB) Cursor(ctx context.Context, integrationID string) (string, error) {
	var cur string
	err := d.view(ctx, func(tx *bolt.Tx) error {
		key := idKey(integrationID)
		if key == nil || bk(tx, bInteg).Get(key) == nil {
			return fmt.Errorf("integration %q: %w", integrationID, ErrNotFound)
		}
		cur = string(bk(tx, bCursors).Get(key))
		return nil
	})
	return cur, err
}
