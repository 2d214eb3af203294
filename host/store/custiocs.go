package store

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/outpost-soc/outpost/sdk"
)

// The IOCs of a customer:
//
//	ioc_cust: customer id | ioc id → nil
//
// An IOC record is global (one per indicator, whoever reported it); this
// index says which customers' events (or PutCustomerIOC calls) named it,
// so a customer can be shown its own indicators and nobody else's. It is
// written in the transaction that records the IOC (Commit, CreateEvent,
// PutCustomerIOC), counted per customer (cIOCCust), and never shrinks:
// events are not deleted. Schema version 3 built it from the events of
// older files.

// linkIOC lists IOC id among the customer's, once.
func linkIOC(tx *bolt.Tx, custKey, id []byte, cnt counts) error {
	b := bk(tx, bIOCCust)
	k := cat(custKey, id)
	if hasKey(b, k) {
		return nil
	}
	if err := b.Put(k, nil); err != nil {
		return err
	}
	cnt.add(ckey(cIOCCust, custKey), 1)
	return nil
}

// hasKey reports whether b holds k. Get cannot tell: it returns nil for an
// empty value that this transaction wrote.
func hasKey(b *bolt.Bucket, k []byte) bool {
	got, _ := b.Cursor().Seek(k)
	return bytes.Equal(got, k)
}

// customerIOC finds an indicator among a customer's IOCs.
func customerIOC(tx *bolt.Tx, custKey []byte, indicator string) (IOC, []byte, bool, error) {
	i, id, ok, err := lookupIOC(tx, indicator)
	if err != nil || !ok || custKey == nil {
		return IOC{}, nil, false, err
	}
	if !hasKey(bk(tx, bIOCCust), cat(custKey, id)) {
		return IOC{}, nil, false, nil
	}
	return i, id, true, nil
}

// GetCustomerIOC returns the IOC of an indicator that the customer's
// events named; any other indicator is not found, as is an unknown
// customer.
func (d *DB) GetCustomerIOC(ctx context.Context, customerID, indicator string) (*IOC, error) {
	var out IOC
	err := d.view(ctx, func(tx *bolt.Tx) error {
		i, _, ok, err := customerIOC(tx, idKey(customerID), indicator)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("ioc %q of customer %q: %w", indicator, customerID, ErrNotFound)
		}
		out = i
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ListCustomerIOCs is ListIOCs over the IOCs the customer's events named,
// newest first by first sight (of anyone). Page.ToID is an indicator of
// the customer's. The total comes from a counter when includeExpired is
// set without a type, else from a walk of the customer's index.
func (d *DB) ListCustomerIOCs(ctx context.Context, customerID string, typ sdk.IOCType, includeExpired bool, p Page) ([]IOC, int, error) {
	code, ok := iocTypeCode(typ)
	if !ok && typ != "" {
		return nil, 0, fmt.Errorf("ioc type %q: %w", typ, ErrInvalid)
	}
	custKey := idKey(customerID)
	var out []IOC
	var total int
	err := d.view(ctx, func(tx *bolt.Tx) (err error) {
		if custKey == nil {
			if p.ToID != "" {
				return fmt.Errorf("paging ioc %q: %w", p.ToID, ErrInvalid)
			}
			return nil
		}
		if p.ToID != "" {
			_, id, found, err := customerIOC(tx, custKey, p.ToID)
			if err != nil {
				return err
			}
			if !found {
				return fmt.Errorf("paging ioc %q: %w", p.ToID, ErrInvalid)
			}
			p.ToID = idString(id)
		}
		prim := bk(tx, bIOCs)
		record := func(id []byte) ([]byte, error) {
			v := prim.Get(id)
			if v == nil {
				return nil, fmt.Errorf("ioc %s: index without record", idString(id))
			}
			return v, nil
		}
		l := listing{sources: []source{{b: bk(tx, bIOCCust), prefix: custKey}}, counted: -1}
		nowNs := tNs(d.clock())
		if typ != "" || !includeExpired {
			l.match = func(id, _ []byte) (bool, error) {
				v, err := record(id)
				if err != nil || len(v) < 18 {
					return false, err
				}
				if typ != "" && v[1] != code {
					return false, nil
				}
				exp := int64(getU64(v[10:]))
				return includeExpired || exp == never || exp > nowNs, nil
			}
		} else {
			l.counted = getCount(tx, ckey(cIOCCust, custKey))
		}
		total, err = l.page(p, func(id, _ []byte) error {
			v, err := record(id)
			if err != nil {
				return err
			}
			r, err := decodeIOCRec(v)
			if err != nil {
				return err
			}
			out = append(out, r.ioc())
			return nil
		})
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return items(out, p), total, nil
}

// backfillCustomerIOCs is migration 3: the customer IOC index from the
// IOCs of every stored event (each event's latest body).
func backfillCustomerIOCs(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bIOCCust); err != nil {
		return err
	}
	pr := newPackReader(tx)
	cnt := counts{}
	ids := map[string][]byte{}
	err := tx.Bucket(bEvents).ForEach(func(k, v []byte) error {
		e, err := decodeEvent(pr, k, v)
		if err != nil {
			return err
		}
		custKey := idKey(e.CustomerID)
		if custKey == nil {
			return nil
		}
		for _, x := range e.IOCs {
			n, ok := normIOC(x)
			if !ok {
				continue
			}
			id, seen := ids[n.Indicator]
			if !seen {
				_, found, ok, err := lookupIOC(tx, n.Indicator)
				if err != nil {
					return err
				}
				if !ok {
					found = nil
				}
				id = found
				ids[n.Indicator] = id
			}
			if id == nil {
				continue
			}
			if err := linkIOC(tx, custKey, bytes.Clone(id), cnt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return cnt.flush(tx)
}
