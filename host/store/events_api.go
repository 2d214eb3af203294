package store

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
)

func apiKey(custKey []byte, origin, originalID string) []byte {
	return cat(custKey, []byte(origin), []byte{0}, []byte(originalID))
}

// CreateEvent stores an event given through the API. Its customer must
// exist, and its integration when one is set. With an original id it is
// unique on (customer, origin, original id): a repeat replaces the stored
// event's fields (keeping its id, case, integration and ingested_time,
// setting ingested_updated_time) and returns updated true. A new event
// opens a NEW case like an ingested one; its IOCs are recorded either way.
// It fills in e as stored. (One event is encoded inside the transaction:
// simpler than ingest's three steps, and short.)
func (d *DB) CreateEvent(ctx context.Context, e *Event) (bool, error) {
	rec := *e
	if len(rec.Origin) > maxOrigin || strings.IndexByte(rec.Origin, 0) >= 0 {
		return false, fmt.Errorf("origin longer than %d bytes or with a NUL byte: %w", maxOrigin, ErrInvalid)
	}
	sev, err := normSeverity(rec.Severity)
	if err != nil {
		return false, err
	}
	rec.Severity = sev
	rec.Raw = rawJSON(rec.Raw)
	var updated bool
	var stored *Event
	err = d.update(ctx, func(tx *bolt.Tx) error {
		_, custKey, err := getCustomer(tx, rec.CustomerID)
		if err != nil {
			return err
		}
		rec.CustomerID = idString(custKey)
		now := d.clock()
		w := d.eventWriter(tx, now)
		var ak, known []byte
		if rec.OriginalID != "" {
			ak = apiKey(custKey, rec.Origin, rec.OriginalID)
			known = w.api.Get(ak)
		}
		srcKey := custKey
		var evID []byte
		if known != nil {
			if len(known) != 2*idLen {
				return fmt.Errorf("api event index: bad value")
			}
			evID, srcKey = bytes.Clone(known[:idLen]), bytes.Clone(known[idLen:])
			rec.IntegrationID = ""
			if !bytes.Equal(srcKey, custKey) {
				rec.IntegrationID = idString(srcKey)
			}
		} else if rec.IntegrationID != "" {
			in, key, err := d.getInteg(tx, rec.IntegrationID)
			if err != nil {
				return err
			}
			if in.CustomerID != rec.CustomerID {
				return fmt.Errorf("integration %s is not of customer %s: %w", in.ID, rec.CustomerID, ErrInvalid)
			}
			srcKey = key
		}
		be := newBatchEvent(rec, nil)
		body, err := encodeBody(&be.ev)
		if err != nil {
			return err
		}
		pv, err := encodePack([][]byte{body})
		if err != nil {
			return err
		}
		pid, err := d.ids.at(now)
		if err != nil {
			return err
		}
		if err := w.packs.Put(pid[:], pv); err != nil {
			return err
		}
		ref := packRef{pack: pid[:]}
		if known != nil {
			if err := w.replace(&be, ref, evID, srcKey); err != nil {
				return err
			}
			updated = true
		} else {
			if evID, _, err = w.insert(&be, ref, custKey, srcKey); err != nil {
				return err
			}
			if err := w.source(custKey, srcKey); err != nil {
				return err
			}
			if ak != nil {
				if err := w.api.Put(ak, cat(evID, srcKey)); err != nil {
					return err
				}
			}
		}
		if stored, err = decodeEvent(newPackReader(tx), evID, w.events.Get(evID)); err != nil {
			return err
		}
		if err := fillIOCs(tx, stored); err != nil {
			return err
		}
		return w.flush()
	})
	if err != nil {
		return false, err
	}
	*e = *stored
	return updated, nil
}
