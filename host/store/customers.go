package store

import (
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

func getJSON(b *bolt.Bucket, key []byte, v any) (bool, error) {
	raw := b.Get(key)
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("decoding record: %w", err)
	}
	return true, nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := jsonPlain(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

// CreateCustomer stores a new customer; it sets c.ID and c.CreatedAt.
func (d *DB) CreateCustomer(ctx context.Context, c *Customer) error {
	return d.update(ctx, func(tx *bolt.Tx) error {
		now := d.clock()
		id, err := d.ids.at(now)
		if err != nil {
			return err
		}
		rec := *c
		rec.ID, rec.CreatedAt = id.String(), now
		if err := putJSON(bk(tx, bCustomers), id[:], &rec); err != nil {
			return err
		}
		if err := addNow(tx, ckey(cCustomers), 1); err != nil {
			return err
		}
		tx.OnCommit(func() { *c = rec })
		return nil
	})
}

func getCustomer(tx *bolt.Tx, id string) (*Customer, []byte, error) {
	key := idKey(id)
	var c Customer
	if key != nil {
		ok, err := getJSON(bk(tx, bCustomers), key, &c)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			return &c, key, nil
		}
	}
	return nil, nil, fmt.Errorf("customer %q: %w", id, ErrNotFound)
}

// GetCustomer returns a customer.
func (d *DB) GetCustomer(ctx context.Context, id string) (*Customer, error) {
	var c *Customer
	err := d.view(ctx, func(tx *bolt.Tx) (err error) {
		c, _, err = getCustomer(tx, id)
		return err
	})
	return c, err
}

// UpdateCustomer reads a customer, calls fn and writes it back in one
// transaction; fn cannot change ID or CreatedAt.
func (d *DB) UpdateCustomer(ctx context.Context, id string, fn func(*Customer) error) (*Customer, error) {
	var out *Customer
	err := d.update(ctx, func(tx *bolt.Tx) error {
		c, key, err := getCustomer(tx, id)
		if err != nil {
			return err
		}
		keepID, keepCreated := c.ID, c.CreatedAt
		if err := fn(c); err != nil {
			return err
		}
		c.ID, c.CreatedAt = keepID, keepCreated
		out = c
		return putJSON(bk(tx, bCustomers), key, c)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CustomerInUseError is the ErrConflict of DeleteCustomer: what the
// customer still has.
type CustomerInUseError struct {
	ID                          string
	Integrations, Events, Cases int
}

func (e *CustomerInUseError) Error() string {
	return fmt.Sprintf("customer %s still has %d integrations, %d events and %d cases: %v",
		e.ID, e.Integrations, e.Events, e.Cases, ErrConflict)
}

// Is makes errors.Is(err, ErrConflict) hold.
func (e *CustomerInUseError) Is(target error) bool { return target == ErrConflict }

// DeleteCustomer deletes a customer that has no integrations, events or
// cases left (a *CustomerInUseError, which is ErrConflict, otherwise), so
// that nothing is left pointing at a deleted customer.
func (d *DB) DeleteCustomer(ctx context.Context, id string) error {
	return d.update(ctx, func(tx *bolt.Tx) error {
		_, key, err := getCustomer(tx, id)
		if err != nil {
			return err
		}
		use := CustomerInUseError{ID: id, Integrations: getCount(tx, ckey(cInteg, key)), Events: getCount(tx, ckey(cEvCust, key))}
		for st := range caseStatuses {
			for lv := range levels {
				use.Cases += getCount(tx, ckey(cCaseCSL, key, []byte{byte(st), byte(lv)}))
			}
		}
		if use.Integrations > 0 || use.Events > 0 || use.Cases > 0 {
			return &use
		}
		if err := bk(tx, bCustomers).Delete(key); err != nil {
			return err
		}
		return addNow(tx, ckey(cCustomers), -1)
	})
}

// ListCustomers lists customers newest first.
func (d *DB) ListCustomers(ctx context.Context, p Page) ([]Customer, int, error) {
	var out []Customer
	var total int
	err := d.view(ctx, func(tx *bolt.Tx) (err error) {
		l := listing{sources: []source{{b: bk(tx, bCustomers)}}, counted: getCount(tx, ckey(cCustomers))}
		total, err = l.page(p, func(_, v []byte) error {
			var c Customer
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("decoding customer: %w", err)
			}
			out = append(out, c)
			return nil
		})
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return items(out, p), total, nil
}

// items makes a page that asked for items a non-nil slice, so that an
// empty page encodes as [] rather than null.
func items[T any](s []T, p Page) []T {
	if s == nil && p.Take > 0 {
		return []T{}
	}
	return s
}
