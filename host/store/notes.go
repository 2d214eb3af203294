package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/outpost-soc/outpost/sdk"
)

// addCaseEntry stores a note or comment under its case.
func (d *DB) addCaseEntry(tx *bolt.Tx, caseKey []byte, bucket []byte, counter string, v any, setID func(id string)) error {
	now := d.clock()
	id, err := d.ids.at(now)
	if err != nil {
		return err
	}
	setID(id.String())
	if err := putJSON(bk(tx, bucket), cat(caseKey, id[:]), v); err != nil {
		return err
	}
	return addNow(tx, ckey(counter, caseKey), 1)
}

// AddNote adds a note to a case (closed ones too); it sets n.ID and
// n.CreatedAt.
func (d *DB) AddNote(ctx context.Context, caseID string, n *Note) error {
	rec := *n
	return d.update(ctx, func(tx *bolt.Tx) error {
		_, key, _, err := getCase(tx, caseID)
		if err != nil {
			return err
		}
		rec.CreatedAt = d.clock()
		if err := d.addCaseEntry(tx, key, bNotes, cNotes, &rec, func(id string) { rec.ID = id }); err != nil {
			return err
		}
		tx.OnCommit(func() { *n = rec })
		return nil
	})
}

// AddComment adds a comment to a case (closed ones too); it sets c.ID and
// c.CreatedAt. With mirror set and mirroring on for the case's
// integration, the comment is queued for the vendor in the same
// transaction.
func (d *DB) AddComment(ctx context.Context, caseID string, c *Comment, mirror bool) error {
	rec := *c
	return d.update(ctx, func(tx *bolt.Tx) error {
		cs, key, _, err := getCase(tx, caseID)
		if err != nil {
			return err
		}
		now := d.clock()
		rec.CreatedAt = now
		// The comment is written with its id set, hence the callback.
		if err := d.addCaseEntry(tx, key, bComments, cComments, &rec, func(id string) { rec.ID = id }); err != nil {
			return err
		}
		if mirror {
			in, err := d.mirroring(tx, cs)
			if err != nil {
				return err
			}
			if in != nil {
				cnt := counts{}
				m := MirrorItem{CaseID: cs.ID, IntegrationID: in.ID, Change: sdk.Change{
					Kind: sdk.ChangeComment, CaseID: cs.ID, OriginalID: cs.SecurityEvent.OriginalID,
					Comment: rec.Text, Author: rec.Author,
				}}
				if err := d.enqueue(tx, &m, now, cnt); err != nil {
					return err
				}
				if err := cnt.flush(tx); err != nil {
					return err
				}
			}
		}
		tx.OnCommit(func() { *c = rec })
		return nil
	})
}

func (d *DB) listCaseEntries(ctx context.Context, caseID string, bucket []byte, counter string, p Page, add func(v []byte) error) (int, error) {
	var total int
	err := d.view(ctx, func(tx *bolt.Tx) error {
		_, key, _, err := getCase(tx, caseID)
		if err != nil {
			return err
		}
		l := listing{sources: []source{{b: bk(tx, bucket), prefix: key}}, counted: getCount(tx, ckey(counter, key))}
		total, err = l.page(p, func(_, v []byte) error { return add(v) })
		return err
	})
	return total, err
}

// ListNotes lists a case's notes newest first.
func (d *DB) ListNotes(ctx context.Context, caseID string, p Page) ([]Note, int, error) {
	var out []Note
	total, err := d.listCaseEntries(ctx, caseID, bNotes, cNotes, p, appendJSON(&out, "note"))
	if err != nil {
		return nil, 0, err
	}
	return items(out, p), total, nil
}

// ListComments lists a case's comments newest first.
func (d *DB) ListComments(ctx context.Context, caseID string, p Page) ([]Comment, int, error) {
	var out []Comment
	total, err := d.listCaseEntries(ctx, caseID, bComments, cComments, p, appendJSON(&out, "comment"))
	if err != nil {
		return nil, 0, err
	}
	return items(out, p), total, nil
}

// A report at rest: 1 | uvarint len(json) | json | zstd(html).

func encodeReport(r *Report) ([]byte, error) {
	js, err := jsonPlain(r)
	if err != nil {
		return nil, fmt.Errorf("encoding report: %w", err)
	}
	v := binary.AppendUvarint([]byte{fmtReportV1}, uint64(len(js)))
	v = append(v, js...)
	return compress(v, r.HTML)
}

func decodeReport(v []byte, withHTML bool) (*Report, error) {
	if len(v) < 2 || v[0] != fmtReportV1 {
		return nil, fmt.Errorf("report record: unknown format")
	}
	n, w := binary.Uvarint(v[1:])
	if w <= 0 || uint64(len(v)-1-w) < n {
		return nil, fmt.Errorf("report record: truncated")
	}
	var r Report
	if err := json.Unmarshal(v[1+w:1+w+int(n)], &r); err != nil {
		return nil, fmt.Errorf("decoding report: %w", err)
	}
	if withHTML {
		html, err := decompress(v[1+w+int(n):])
		if err != nil {
			return nil, err
		}
		r.HTML = html
	}
	return &r, nil
}

// CreateReport stores a report of an existing case; it sets r.ID and
// r.CreatedAt.
func (d *DB) CreateReport(ctx context.Context, r *Report) error {
	rec := *r
	return d.update(ctx, func(tx *bolt.Tx) error {
		cs, caseKey, _, err := getCase(tx, rec.CaseID)
		if err != nil {
			return err
		}
		now := d.clock()
		id, err := d.ids.at(now)
		if err != nil {
			return err
		}
		rec.ID, rec.CaseID, rec.CreatedAt = id.String(), cs.ID, now
		v, err := encodeReport(&rec)
		if err != nil {
			return err
		}
		if err := bk(tx, bReports).Put(id[:], v); err != nil {
			return err
		}
		if err := bk(tx, bRepCase).Put(cat(caseKey, id[:]), nil); err != nil {
			return err
		}
		if err := addNow(tx, ckey(cReports, caseKey), 1); err != nil {
			return err
		}
		tx.OnCommit(func() { *r = rec })
		return nil
	})
}

// ListReports lists a case's reports newest first, without their HTML.
func (d *DB) ListReports(ctx context.Context, caseID string, p Page) ([]Report, int, error) {
	var out []Report
	var total int
	err := d.view(ctx, func(tx *bolt.Tx) error {
		_, key, _, err := getCase(tx, caseID)
		if err != nil {
			return err
		}
		rb := bk(tx, bReports)
		l := listing{sources: []source{{b: bk(tx, bRepCase), prefix: key}}, counted: getCount(tx, ckey(cReports, key))}
		total, err = l.page(p, func(id, _ []byte) error {
			v := rb.Get(id)
			if v == nil {
				return fmt.Errorf("report %s: index without record", idString(id))
			}
			r, err := decodeReport(v, false)
			if err != nil {
				return err
			}
			out = append(out, *r)
			return nil
		})
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return items(out, p), total, nil
}

// GetReport returns a report with its HTML.
func (d *DB) GetReport(ctx context.Context, id string) (*Report, error) {
	var r *Report
	err := d.view(ctx, func(tx *bolt.Tx) error {
		key := idKey(id)
		var v []byte
		if key != nil {
			v = bk(tx, bReports).Get(key)
		}
		if v == nil {
			return fmt.Errorf("report %q: %w", id, ErrNotFound)
		}
		var err error
		r, err = decodeReport(v, true)
		return err
	})
	return r, err
}
