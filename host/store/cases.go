package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/outpost-soc/outpost/sdk"
)

// A case at rest:
//
//	cases:    id → 1 | pack ref                          (as opened by its event)
//	          id → 2 | event id or 16 zeros | zstd(json)  (once changed)
//	case_sl:  status code | level code | case id
//	case_csl: customer id | status code | level code | case id
//	case_asg: assignee | 0 | case id → status code | level code | customer id
//
// A case opened by an event and never changed since is only a reference to
// the body its event had then: every field follows from it (caseFor), and
// its event is the one whose id is its own minus one (caseOf), so ingest
// writes 18 bytes per case. The first change writes the whole case.
// The JSON leaves out the case id, its event id and created_at (the time
// of its id). Counters hold the number of cases per (status, level) and
// per (customer, status, level), so the total of any search by statuses,
// levels and customer is at most 45 counter reads, and its page a merge of
// as many reverse index scans.

const (
	fmtCaseSeed = 1
	fmtCaseFull = 2
)

var caseStatuses = []string{CaseUnknown, CaseNew, CaseUnderInvestigation, CaseOpen, CasePending, CaseReplied, CaseProcessing, CaseClosed, CaseErrored}

var levels = []string{sdk.LevelNotValid, sdk.LevelLow, sdk.LevelMedium, sdk.LevelHigh, sdk.LevelCritical}

const caseNewCode = 1

func statusCode(s string) (byte, bool) {
	for i, x := range caseStatuses {
		if x == s {
			return byte(i), true
		}
	}
	return 0, false
}

func levelCode(l string) byte {
	for i, x := range levels {
		if x == l {
			return byte(i)
		}
	}
	return 0
}

// normSeverity completes a severity given by level only (value 0) with the
// level's value, and sets the level from the value.
func normSeverity(s Severity) (Severity, error) {
	if s.Value == 0 && s.Level != "" && s.Level != sdk.LevelNotValid {
		v, err := sdk.LevelValue(s.Level)
		if err != nil {
			return s, fmt.Errorf("%w: %w", err, ErrInvalid)
		}
		s.Value = v
	}
	return NewSeverity(s.Value), nil
}

func seedCaseValue(ref packRef) []byte {
	return ref.append([]byte{fmtCaseSeed})
}

func caseValue(evID, body []byte) []byte {
	v := make([]byte, 0, 1+idLen+len(body))
	v = append(v, fmtCaseFull)
	if evID == nil {
		evID = zeroID
	}
	v = append(v, evID...)
	return append(v, body...)
}

func encodeCaseBody(c *Case) ([]byte, error) {
	b := *c
	b.ID, b.SecurityEventID, b.SecurityEvent.SecurityEventID, b.CreatedAt = "", "", "", time.Time{}
	js, err := jsonPlain(&b)
	if err != nil {
		return nil, fmt.Errorf("encoding case: %w", err)
	}
	return compress(nil, js)
}

// caseFor is the case a newly stored event opens.
func caseFor(e *Event) Case {
	return Case{
		CustomerID:          e.CustomerID,
		IntegrationID:       e.IntegrationID,
		Status:              CaseNew,
		Severity:            NewSeverity(e.Severity.Value),
		Title:               e.Title,
		Description:         e.Description,
		Origin:              e.Origin,
		FirstClassification: e.Classification.Type,
		SecurityEvent:       EventRef{OriginalID: e.OriginalID},
		Tags:                []string{},
		Subscribers:         []string{},
		Mitre:               append([]string{}, e.MitreTags...),
		Annotations:         map[string]Annotation{},
	}
}

// caseEvent returns the id of a case's event (nil for none).
func caseEvent(id, v []byte) []byte {
	switch {
	case len(v) > 0 && v[0] == fmtCaseSeed:
		return eventOf(id)
	case len(v) > idLen && v[0] == fmtCaseFull && !bytes.Equal(v[1:1+idLen], zeroID):
		return bytes.Clone(v[1 : 1+idLen])
	}
	return nil
}

func decodeCase(pr *packReader, id, v []byte) (*Case, error) {
	if len(v) < 2 {
		return nil, fmt.Errorf("case %s: record truncated", idString(id))
	}
	var c Case
	switch v[0] {
	case fmtCaseSeed:
		ref, err := readPackRef(v[1:])
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", idString(id), err)
		}
		body, err := pr.body(ref)
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", idString(id), err)
		}
		ev, err := decodeSeed(body)
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", idString(id), err)
		}
		c = caseFor(ev)
		c.UpdatedAt = idTime(id)
	case fmtCaseFull:
		if len(v) < 1+idLen {
			return nil, fmt.Errorf("case %s: record truncated", idString(id))
		}
		js, err := decompress(v[1+idLen:])
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", idString(id), err)
		}
		if err := json.Unmarshal(js, &c); err != nil {
			return nil, fmt.Errorf("case %s: %w", idString(id), err)
		}
	default:
		return nil, fmt.Errorf("case %s: unknown record format", idString(id))
	}
	c.ID = idString(id)
	c.CreatedAt = idTime(id)
	if ev := caseEvent(id, v); ev != nil {
		c.SecurityEventID = idString(ev)
		c.SecurityEvent.SecurityEventID = c.SecurityEventID
	}
	normCase(&c)
	return &c, nil
}

func normCase(c *Case) {
	c.Tags = nonNil(c.Tags)
	c.Subscribers = nonNil(c.Subscribers)
	c.Mitre = nonNil(c.Mitre)
	if c.Annotations == nil {
		c.Annotations = map[string]Annotation{}
	}
	for _, t := range []*time.Time{&c.CreatedAt, &c.UpdatedAt, &c.ClosedAt} {
		if !t.IsZero() {
			*t = t.UTC()
		}
	}
}

// indexCase adds (delta 1) or removes (delta -1) a case's index entries
// and counts.
func indexCase(tx *bolt.Tx, caseID, custKey []byte, st, lv byte, assignee string, cnt counts, delta int64) error {
	var err error
	if delta > 0 {
		err = putCaseIndex(tx, caseID, custKey, st, lv, assignee)
	} else {
		err = deleteCaseIndex(tx, caseID, custKey, st, lv, assignee)
	}
	if err != nil {
		return err
	}
	countCase(cnt, custKey, st, lv, delta)
	return nil
}

func countCase(cnt counts, custKey []byte, st, lv byte, delta int64) {
	sl := []byte{st, lv}
	cnt.add(ckey(cCaseSL, sl), delta)
	cnt.add(ckey(cCaseCSL, custKey, sl), delta)
	cnt.add(ckey(cCaseTotal), delta)
}

func putCaseIndex(tx *bolt.Tx, caseID, custKey []byte, st, lv byte, assignee string) error {
	sl := []byte{st, lv}
	if err := bk(tx, bCaseSL).Put(cat(sl, caseID), nil); err != nil {
		return err
	}
	if err := bk(tx, bCaseCSL).Put(cat(custKey, sl, caseID), nil); err != nil {
		return err
	}
	if assignee != "" {
		return bk(tx, bCaseAsg).Put(cat([]byte(assignee), []byte{0}, caseID), cat(sl, custKey))
	}
	return nil
}

func deleteCaseIndex(tx *bolt.Tx, caseID, custKey []byte, st, lv byte, assignee string) error {
	sl := []byte{st, lv}
	if err := bk(tx, bCaseSL).Delete(cat(sl, caseID)); err != nil {
		return err
	}
	if err := bk(tx, bCaseCSL).Delete(cat(custKey, sl, caseID)); err != nil {
		return err
	}
	if assignee != "" {
		return bk(tx, bCaseAsg).Delete(cat([]byte(assignee), []byte{0}, caseID))
	}
	return nil
}

func getCase(tx *bolt.Tx, id string) (*Case, []byte, []byte, error) {
	key := idKey(id)
	if key != nil {
		if v := bk(tx, bCases).Get(key); v != nil {
			c, err := decodeCase(newPackReader(tx), key, v)
			if err != nil {
				return nil, nil, nil, err
			}
			return c, key, caseEvent(key, v), nil
		}
	}
	return nil, nil, nil, fmt.Errorf("case %q: %w", id, ErrNotFound)
}

// checkCase validates what a caller may set on a case.
func checkCase(c *Case) (byte, error) {
	st, ok := statusCode(c.Status)
	if !ok {
		return 0, fmt.Errorf("case status %q: %w", c.Status, ErrInvalid)
	}
	if strings.IndexByte(c.AssignedTo, 0) >= 0 {
		return 0, fmt.Errorf("assignee with a NUL byte: %w", ErrInvalid)
	}
	sev, err := normSeverity(c.Severity)
	if err != nil {
		return 0, err
	}
	c.Severity = sev
	normCase(c)
	return st, nil
}

// CreateCase stores a case made by hand (or by an automation). Its
// customer must exist, and so must its integration and event when they are
// set (the case then refers to the event). It sets ID, CreatedAt and
// UpdatedAt, and Status NEW when empty.
func (d *DB) CreateCase(ctx context.Context, c *Case) error {
	rec := *c
	if rec.Status == "" {
		rec.Status = CaseNew
	}
	st, err := checkCase(&rec)
	if err != nil {
		return err
	}
	return d.update(ctx, func(tx *bolt.Tx) error {
		_, custKey, err := getCustomer(tx, rec.CustomerID)
		if err != nil {
			return err
		}
		if rec.IntegrationID != "" {
			in, _, err := d.getInteg(tx, rec.IntegrationID)
			if err != nil {
				return err
			}
			if in.CustomerID != rec.CustomerID {
				return fmt.Errorf("integration %s is not of customer %s: %w", in.ID, rec.CustomerID, ErrInvalid)
			}
		}
		var evKey []byte
		rec.SecurityEvent = EventRef{}
		if rec.SecurityEventID != "" {
			evKey = idKey(rec.SecurityEventID)
			var v []byte
			if evKey != nil {
				v = bk(tx, bEvents).Get(evKey)
			}
			if v == nil {
				return fmt.Errorf("event %q: %w", rec.SecurityEventID, ErrNotFound)
			}
			ev, err := decodeEvent(newPackReader(tx), evKey, v)
			if err != nil {
				return err
			}
			rec.SecurityEvent.OriginalID = ev.OriginalID
		}
		now := d.clock()
		id, err := d.ids.at(now)
		if err != nil {
			return err
		}
		rec.UpdatedAt = idTime(id[:])
		body, err := encodeCaseBody(&rec)
		if err != nil {
			return err
		}
		if err := bk(tx, bCases).Put(id[:], caseValue(evKey, body)); err != nil {
			return err
		}
		if err := putCaseText(tx, id[:], &rec); err != nil {
			return err
		}
		cnt := counts{}
		if err := indexCase(tx, id[:], custKey, st, levelCode(rec.Severity.Level), rec.AssignedTo, cnt, 1); err != nil {
			return err
		}
		if err := cnt.flush(tx); err != nil {
			return err
		}
		out, err := decodeCase(nil, id[:], caseValue(evKey, body))
		if err != nil {
			return err
		}
		tx.OnCommit(func() { *c = *out })
		return nil
	})
}

// GetCase returns a case.
func (d *DB) GetCase(ctx context.Context, id string) (*Case, error) {
	var c *Case
	err := d.view(ctx, func(tx *bolt.Tx) (err error) {
		c, _, _, err = getCase(tx, id)
		return err
	})
	return c, err
}

// historyFields are the case fields whose changes UpdateCase records.
var historyFields = []struct {
	name string
	get  func(*Case) string
}{
	{"status", func(c *Case) string { return c.Status }},
	{"assigned_to", func(c *Case) string { return c.AssignedTo }},
	{"severity", func(c *Case) string { return c.Severity.Level }},
	{"tier", func(c *Case) string { return strconv.Itoa(c.Tier) }},
	{"final_classification", func(c *Case) string { return c.FinalClassification }},
	{"parent_id", func(c *Case) string { return c.ParentID }},
	{"category", func(c *Case) string { return c.Category }},
}

// UpdateCase reads a case, calls fn and writes it back in one transaction.
// fn cannot change ID, CreatedAt, CustomerID, IntegrationID or the event
// reference; UpdatedAt is set to now. Every change of status, assigned_to,
// severity (level), tier, final_classification, parent_id or category is
// appended to the case history with u.Actor; with u.Mirror set and
// mirroring on for the case's integration, a close, status change or
// assignment is queued in the mirror outbox. fn sets closed_at, closed_by
// and the like itself: the store keeps no rules about them.
func (d *DB) UpdateCase(ctx context.Context, id string, u CaseUpdate, fn func(*Case) error) (*Case, error) {
	var out *Case
	err := d.update(ctx, func(tx *bolt.Tx) error {
		old, key, evKey, err := getCase(tx, id)
		if err != nil {
			return err
		}
		c := *old
		c.Tags = append([]string{}, old.Tags...)
		c.Subscribers = append([]string{}, old.Subscribers...)
		c.Mitre = append([]string{}, old.Mitre...)
		c.Annotations = make(map[string]Annotation, len(old.Annotations))
		for k, v := range old.Annotations {
			c.Annotations[k] = v
		}
		if err := fn(&c); err != nil {
			return err
		}
		c.ID, c.CreatedAt, c.CustomerID, c.IntegrationID = old.ID, old.CreatedAt, old.CustomerID, old.IntegrationID
		c.SecurityEventID, c.SecurityEvent = old.SecurityEventID, old.SecurityEvent
		st, err := checkCase(&c)
		if err != nil {
			return err
		}
		now := d.clock()
		c.UpdatedAt = now
		body, err := encodeCaseBody(&c)
		if err != nil {
			return err
		}
		if err := bk(tx, bCases).Put(key, caseValue(evKey, body)); err != nil {
			return err
		}
		if old.Title != c.Title || old.Description != c.Description {
			if err := putCaseText(tx, key, &c); err != nil {
				return err
			}
		}
		oldSt, _ := statusCode(old.Status)
		oldLv, lv := levelCode(old.Severity.Level), levelCode(c.Severity.Level)
		cnt := counts{}
		if oldSt != st || oldLv != lv || old.AssignedTo != c.AssignedTo {
			custKey := idKey(c.CustomerID)
			if err := indexCase(tx, key, custKey, oldSt, oldLv, old.AssignedTo, cnt, -1); err != nil {
				return err
			}
			if err := indexCase(tx, key, custKey, st, lv, c.AssignedTo, cnt, 1); err != nil {
				return err
			}
		}
		hb := bk(tx, bCaseHist)
		for _, f := range historyFields {
			from, to := f.get(old), f.get(&c)
			if from == to {
				continue
			}
			hid, err := d.ids.at(now)
			if err != nil {
				return err
			}
			h := CaseHistory{Time: now, Actor: u.Actor, Field: f.name, From: from, To: to}
			if err := putJSON(hb, cat(key, hid[:]), &h); err != nil {
				return err
			}
		}
		if u.Mirror {
			if err := d.mirrorCaseChanges(tx, old, &c, u.Actor, now, cnt); err != nil {
				return err
			}
		}
		if err := cnt.flush(tx); err != nil {
			return err
		}
		out = &c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// mirroring returns the case's integration when it mirrors, else nil.
func (d *DB) mirroring(tx *bolt.Tx, c *Case) (*Integration, error) {
	if c.IntegrationID == "" {
		return nil, nil
	}
	key := idKey(c.IntegrationID)
	v := bk(tx, bInteg).Get(key)
	if v == nil {
		return nil, nil // deleted: nothing to mirror to
	}
	var in Integration
	if err := json.Unmarshal(v, &in); err != nil {
		return nil, fmt.Errorf("decoding integration: %w", err)
	}
	if !in.Mirroring {
		return nil, nil
	}
	return &in, nil
}

func (d *DB) mirrorCaseChanges(tx *bolt.Tx, old, c *Case, actor string, now time.Time, cnt counts) error {
	in, err := d.mirroring(tx, c)
	if err != nil || in == nil {
		return err
	}
	base := sdk.Change{CaseID: c.ID, OriginalID: c.SecurityEvent.OriginalID, Author: actor}
	var changes []sdk.Change
	if old.Status != c.Status {
		ch := base
		ch.Status = c.Status
		if c.Status == CaseClosed {
			ch.Kind, ch.CloseNotes, ch.FinalClassification = sdk.ChangeClose, c.CloseNotes, c.FinalClassification
		} else {
			ch.Kind = sdk.ChangeStatus
		}
		changes = append(changes, ch)
	}
	if old.AssignedTo != c.AssignedTo {
		ch := base
		ch.Kind, ch.AssignedTo = sdk.ChangeAssign, c.AssignedTo
		changes = append(changes, ch)
	}
	for _, ch := range changes {
		m := MirrorItem{CaseID: c.ID, IntegrationID: in.ID, Change: ch}
		if err := d.enqueue(tx, &m, now, cnt); err != nil {
			return err
		}
	}
	return nil
}

// ListCaseHistory lists the recorded field changes of a case, oldest
// first.
func (d *DB) ListCaseHistory(ctx context.Context, caseID string) ([]CaseHistory, error) {
	out := []CaseHistory{}
	err := d.view(ctx, func(tx *bolt.Tx) error {
		_, key, _, err := getCase(tx, caseID)
		if err != nil {
			return err
		}
		c := bk(tx, bCaseHist).Cursor()
		for k, v := c.Seek(key); k != nil && bytes.HasPrefix(k, key); k, v = c.Next() {
			var h CaseHistory
			if err := json.Unmarshal(v, &h); err != nil {
				return fmt.Errorf("decoding case history: %w", err)
			}
			out = append(out, h)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SearchCases lists the cases that match f, newest first (by id, that is
// by created_at). Filters by statuses, levels and customer walk indexes
// and take their total from counters; an assignee walks its own index; a
// created_at range bounds the id range; Text tests each candidate's search
// text (casetext.go), and alone walks the search texts themselves.
// Totals with Text, AssignedTo or a time range come from the walk.
func (d *DB) SearchCases(ctx context.Context, f CaseFilter, p Page) ([]Case, int, error) {
	var sts, lvs []byte
	for _, s := range f.Statuses {
		c, ok := statusCode(s)
		if !ok {
			return nil, 0, fmt.Errorf("case status %q: %w", s, ErrInvalid)
		}
		sts = append(sts, c)
	}
	for _, l := range f.Severities {
		c := levelCode(l)
		if levels[c] != l {
			return nil, 0, fmt.Errorf("severity level %q: %w", l, ErrInvalid)
		}
		lvs = append(lvs, c)
	}
	stSet, lvSet := byteSet(sts, len(caseStatuses)), byteSet(lvs, len(levels))
	needle := []byte(strings.ToLower(f.Text))
	var out []Case
	var total int
	err := d.view(ctx, func(tx *bolt.Tx) error {
		cb, tb := bk(tx, bCases), bk(tx, bCaseText)
		var custKey []byte
		if f.CustomerID != "" {
			if custKey = idKey(f.CustomerID); custKey == nil {
				return nil
			}
		}
		l := listing{counted: -1}
		if !f.From.IsZero() {
			l.lo = idFloor(f.From)
		}
		if !f.To.IsZero() {
			l.hi = idFloor(f.To)
		}
		counted := 0
		switch {
		case f.AssignedTo != "":
			l.sources = []source{{b: bk(tx, bCaseAsg), prefix: cat([]byte(f.AssignedTo), []byte{0})}}
		case custKey != nil || sts != nil || lvs != nil:
			for st := range stSet {
				for lv := range lvSet {
					if !stSet[st] || !lvSet[lv] {
						continue
					}
					sl := []byte{byte(st), byte(lv)}
					if custKey != nil {
						l.sources = append(l.sources, source{b: bk(tx, bCaseCSL), prefix: cat(custKey, sl)})
						counted += getCount(tx, ckey(cCaseCSL, custKey, sl))
					} else {
						l.sources = append(l.sources, source{b: bk(tx, bCaseSL), prefix: sl})
						counted += getCount(tx, ckey(cCaseSL, sl))
					}
				}
			}
			l.counted = counted
		case len(needle) > 0:
			// Every case has a search text: walk them, not the cases.
			l.sources = []source{{b: tb}}
		default:
			l.sources = []source{{b: cb}}
			l.counted = getCount(tx, ckey(cCaseTotal))
		}
		textOnly := len(needle) > 0 && l.sources[0].b == tb
		pr := newPackReader(tx)
		// The record of a candidate, read at most once.
		var lastID []byte
		var last *Case
		record := func(id []byte) (*Case, error) {
			if last != nil && bytes.Equal(lastID, id) {
				return last, nil
			}
			v := cb.Get(id)
			if v == nil {
				return nil, fmt.Errorf("case %s: index without record", idString(id))
			}
			c, err := decodeCase(pr, id, v)
			if err != nil {
				return nil, err
			}
			lastID, last = append(lastID[:0], id...), c
			return c, nil
		}
		// The search text of a candidate. Candidates come newest first,
		// and often close together (one customer's cases): stepping a
		// cursor back a few keys is cheaper than a lookup from the root.
		tc := tb.Cursor()
		var tk, tv []byte
		textOf := func(id []byte) []byte {
			for i := 0; i < 16 && tk != nil; i++ {
				c := bytes.Compare(tk, id)
				if c == 0 {
					return tv
				}
				if c < 0 {
					break
				}
				tk, tv = tc.Prev()
			}
			tk, tv = tc.Seek(id)
			if bytes.Equal(tk, id) {
				return tv
			}
			return nil
		}
		if f.AssignedTo != "" || len(needle) > 0 {
			asg := f.AssignedTo != ""
			l.match = func(id, v []byte) (bool, error) {
				if asg {
					if len(v) != 2+idLen || !stSet[v[0]] || !lvSet[v[1]] || (custKey != nil && !bytes.Equal(v[2:], custKey)) {
						return false, nil
					}
				}
				if len(needle) == 0 {
					return true, nil
				}
				if textOnly {
					return textMatch(v, needle), nil
				}
				if text := textOf(id); text != nil {
					return textMatch(text, needle), nil
				}
				// Only a file damaged outside the store lacks it.
				c, err := record(id)
				if err != nil {
					return false, err
				}
				return textMatch(caseText(c.Title, c.Description), needle), nil
			}
		}
		var err error
		total, err = l.page(p, func(id, _ []byte) error {
			c, err := record(id)
			if err != nil {
				return err
			}
			out = append(out, *c)
			return nil
		})
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return items(out, p), total, nil
}

// byteSet returns the set of codes in s, or every code when s is empty.
func byteSet(s []byte, n int) []bool {
	set := make([]bool, n)
	for _, c := range s {
		set[c] = true
	}
	if len(s) == 0 {
		for i := range set {
			set[i] = true
		}
	}
	return set
}
