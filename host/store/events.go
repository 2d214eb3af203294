package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	pb "github.com/outpost-soc/outpost/proto/outpost/connector/v1"
	"github.com/outpost-soc/outpost/sdk"
)

// maxOrigin bounds an origin's length (it is kept in index values).
const maxOrigin = 200

// zeroID stands for "no id" in fixed-width record headers.
var zeroID = make([]byte, idLen)

// An event at rest:
//
//	events:   id → 1 | meta len (1) | meta | pack ref
//	          id → 2 | u64 ingested_updated_time | meta len (1) | meta | pack ref
//	meta:     u64 detection_time | severity value (1) | origin
//	ev_integ: source + event id → meta (source: the integration, or the
//	          customer for API events without one)
//	ev_src:   customer id + source → nil
//	ev_orig:  integration id + 16 bytes of SHA-256(original id) → event id | u64 vendor update_time
//
// The body (packs.go) leaves out what the key and header hold: the id and
// the ingested times (ingested_time is the time of the id). The case id is
// the event id plus one (caseOf). Index values carry the meta, so a
// filtered listing reads no record it does not return. The hashed original
// id keeps the de-duplication key at 32 bytes whatever the vendor's ids;
// 128 bits make a collision as likely as a random id repeating.

const fmtEventUpdated = 2

func eventMeta(e *Event) []byte {
	m := putU64(make([]byte, 0, 9+len(e.Origin)), uint64(tNs(e.DetectionTime)))
	m = append(m, byte(e.Severity.Value))
	return append(m, e.Origin...)
}

type evMeta struct {
	det    int64
	sev    int
	origin []byte
}

func parseMeta(m []byte) (evMeta, bool) {
	if len(m) < 9 {
		return evMeta{}, false
	}
	return evMeta{det: int64(getU64(m)), sev: int(m[8]), origin: m[9:]}, true
}

func eventValue(updated int64, meta []byte, ref packRef) []byte {
	v := make([]byte, 0, 1+8+1+len(meta)+idLen+3)
	if updated == never {
		v = append(v, fmtEventV1)
	} else {
		v = putU64(append(v, fmtEventUpdated), uint64(updated))
	}
	v = append(v, byte(len(meta)))
	v = append(v, meta...)
	return ref.append(v)
}

type evParts struct {
	updated int64
	meta    []byte
	ref     packRef
}

func splitEventValue(v []byte) (evParts, error) {
	p := evParts{updated: never}
	switch {
	case len(v) > 1 && v[0] == fmtEventV1:
		v = v[1:]
	case len(v) > 9 && v[0] == fmtEventUpdated:
		p.updated = int64(getU64(v[1:]))
		v = v[9:]
	default:
		return p, fmt.Errorf("event record: unknown format")
	}
	n := int(v[0])
	if len(v) < 1+n {
		return p, fmt.Errorf("event record: truncated")
	}
	p.meta = v[1 : 1+n]
	ref, err := readPackRef(v[1+n:])
	if err != nil {
		return p, fmt.Errorf("event record: %w", err)
	}
	p.ref = ref
	return p, nil
}

// A body is the event as the connector protocol carries it (sdk.Event as
// a connectorv1.Event message, raw payload included, byte for byte) after
// a short head with what the store adds:
//
//	uvarint len(head) | customer id | integration id or 16 zeros | origin | proto
//
// Protobuf encodes several times faster than JSON and without field
// names, and the proto's compatibility rules (buf breaking) are the ones
// a storage format needs.

func toSDK(e *Event) sdk.Event {
	se := sdk.Event{
		OriginalID: e.OriginalID, Title: e.Title, Description: e.Description, Severity: e.Severity.Value,
		Classification: e.Classification, URL: e.SecurityEventURL,
		DetectionTime: e.DetectionTime, CreationTime: e.CreationTime, UpdateTime: e.UpdateTime,
		MitreTags: e.MitreTags, Actions: e.Actions, DetectionEngines: e.DetectionEngines,
		Observables: e.Observables, Raw: e.Raw,
	}
	for _, i := range e.IOCs {
		se.IOCs = append(se.IOCs, sdk.IOC{Indicator: i.Indicator, Type: i.Type, ExpiresAt: i.ExpiresAt})
	}
	return se
}

// encodeBody is the part of an event that goes into a pack.
func encodeBody(e *Event) ([]byte, error) {
	head := make([]byte, 0, 2*idLen+len(e.Origin))
	head = append(head, orZero(idKey(e.CustomerID))...)
	head = append(head, orZero(idKey(e.IntegrationID))...)
	head = append(head, e.Origin...)
	se := toSDK(e)
	pb, err := proto.Marshal(sdk.EventToProto(se))
	if err != nil {
		// Strings must be UTF-8 on the wire; a plugin's broken bytes
		// are kept as replacement characters rather than refused.
		pb, err = proto.Marshal(sdk.EventToProto(validUTF8(se)))
		if err != nil {
			return nil, fmt.Errorf("encoding event %q: %w", e.OriginalID, err)
		}
	}
	body := binary.AppendUvarint(make([]byte, 0, 2+len(head)+len(pb)), uint64(len(head)))
	body = append(body, head...)
	return append(body, pb...), nil
}

func orZero(key []byte) []byte {
	if key == nil {
		return zeroID
	}
	return key
}

func validUTF8(e sdk.Event) sdk.Event {
	fix := func(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
	fixAll := func(ss []string) []string {
		out := make([]string, len(ss))
		for i, s := range ss {
			out[i] = fix(s)
		}
		return out
	}
	e.OriginalID, e.Title, e.Description, e.URL = fix(e.OriginalID), fix(e.Title), fix(e.Description), fix(e.URL)
	e.Classification = sdk.Classification{Type: fix(e.Classification.Type), Subtype: fix(e.Classification.Subtype), Vendor: fix(e.Classification.Vendor)}
	e.MitreTags, e.Actions, e.DetectionEngines = fixAll(e.MitreTags), fixAll(e.Actions), fixAll(e.DetectionEngines)
	b, err := json.Marshal(e.Observables) // observables: through JSON, which replaces bad bytes
	if err == nil {
		var obs []sdk.Observable
		if json.Unmarshal(b, &obs) == nil {
			e.Observables = obs
		}
	}
	iocs := make([]sdk.IOC, len(e.IOCs))
	for i, x := range e.IOCs {
		iocs[i] = sdk.IOC{Indicator: fix(x.Indicator), Type: x.Type, ExpiresAt: x.ExpiresAt}
	}
	e.IOCs = iocs
	return e
}

// decodeBody reads a body into an event without the fields of its key
// and record header.
func decodeBody(body []byte) (*Event, error) {
	head, rest, err := splitHead(body)
	if err != nil {
		return nil, err
	}
	var pe pb.Event
	if err := proto.Unmarshal(rest, &pe); err != nil {
		return nil, fmt.Errorf("decoding event body: %w", err)
	}
	se := sdk.EventFromProto(&pe)
	e := &Event{
		OriginalID: se.OriginalID, Origin: string(head[2*idLen:]),
		Classification: se.Classification, SecurityEventURL: se.URL, Title: se.Title, Description: se.Description,
		DetectionTime: se.DetectionTime, CreationTime: se.CreationTime, UpdateTime: se.UpdateTime,
		MitreTags: se.MitreTags, Actions: se.Actions, DetectionEngines: se.DetectionEngines,
		Severity: NewSeverity(se.Severity), Observables: se.Observables,
	}
	if c := head[:idLen]; !bytes.Equal(c, zeroID) {
		e.CustomerID = idString(c)
	}
	if i := head[idLen : 2*idLen]; !bytes.Equal(i, zeroID) {
		e.IntegrationID = idString(i)
	}
	for _, i := range se.IOCs {
		e.IOCs = append(e.IOCs, IOC{Indicator: i.Indicator, Type: i.Type, ExpiresAt: i.ExpiresAt})
	}
	if len(se.Raw) > 0 {
		e.Raw = rawJSON(se.Raw)
	}
	return e, nil
}

// splitHead returns the head of a body and its proto message.
func splitHead(body []byte) (head, msg []byte, err error) {
	n, w := binary.Uvarint(body)
	if w <= 0 || uint64(len(body)-w) < n || n < 2*idLen {
		return nil, nil, fmt.Errorf("bad event body")
	}
	return body[w : w+int(n)], body[w+int(n):], nil
}

// decodeSeed reads from a body only what a case takes from its event
// (caseFor), walking the proto fields: a case page decodes no raw payload
// and no observables. Field numbers are those of connectorv1.Event.
func decodeSeed(body []byte) (*Event, error) {
	head, b, err := splitHead(body)
	if err != nil {
		return nil, err
	}
	e := &Event{Origin: string(head[2*idLen:])}
	if c := head[:idLen]; !bytes.Equal(c, zeroID) {
		e.CustomerID = idString(c)
	}
	if i := head[idLen : 2*idLen]; !bytes.Equal(i, zeroID) {
		e.IntegrationID = idString(i)
	}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, fmt.Errorf("decoding event body: %w", protowire.ParseError(n))
		}
		b = b[n:]
		var v []byte
		switch {
		case typ == protowire.BytesType && (num == 1 || num == 2 || num == 3 || num == 5 || num == 10):
			v, n = protowire.ConsumeBytes(b)
		case typ == protowire.VarintType && num == 4:
			var x uint64
			x, n = protowire.ConsumeVarint(b)
			e.Severity = NewSeverity(int(int32(x)))
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return nil, fmt.Errorf("decoding event body: %w", protowire.ParseError(n))
		}
		b = b[n:]
		switch num {
		case 1:
			e.OriginalID = string(v)
		case 2:
			e.Title = string(v)
		case 3:
			e.Description = string(v)
		case 5:
			var cl pb.Classification
			if err := proto.Unmarshal(v, &cl); err != nil {
				return nil, fmt.Errorf("decoding event body: %w", err)
			}
			e.Classification.Type = cl.GetType()
		case 10:
			if v != nil {
				e.MitreTags = append(e.MitreTags, string(v))
			}
		}
	}
	return e, nil
}

func decodeEvent(pr *packReader, id, v []byte) (*Event, error) {
	p, err := splitEventValue(v)
	if err != nil {
		return nil, fmt.Errorf("event %s: %w", idString(id), err)
	}
	body, err := pr.body(p.ref)
	if err != nil {
		return nil, fmt.Errorf("event %s: %w", idString(id), err)
	}
	e, err := decodeBody(body)
	if err != nil {
		return nil, fmt.Errorf("event %s: %w", idString(id), err)
	}
	e.ID = idString(id)
	e.IngestedTime = idTime(id)
	e.IngestedUpdatedTime = nsT(p.updated)
	e.CaseID = idString(caseOf(id))
	normEvent(e)
	return e, nil
}

// normEvent gives an event the shape the API promises: arrays, never null;
// times in UTC; the level that follows from the score.
func normEvent(e *Event) {
	e.MitreTags = nonNil(e.MitreTags)
	e.Actions = nonNil(e.Actions)
	e.DetectionEngines = nonNil(e.DetectionEngines)
	e.Observables = nonNil(e.Observables)
	e.IOCs = nonNil(e.IOCs)
	e.Severity = NewSeverity(e.Severity.Value)
	for _, t := range []*time.Time{&e.DetectionTime, &e.CreationTime, &e.UpdateTime, &e.IngestedTime, &e.IngestedUpdatedTime} {
		if !t.IsZero() {
			*t = t.UTC()
		}
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// rawJSON returns raw as it is when it is JSON, else as a JSON string, so
// that a plugin's malformed payload is kept and never breaks a listing. It
// runs on reads, which are rare next to writes.
func rawJSON(raw []byte) json.RawMessage {
	if len(raw) == 0 || json.Valid(raw) {
		return raw
	}
	s, _ := json.Marshal(string(raw))
	return s
}

// origKey is the de-duplication key of an ingested event.
func origKey(integKey []byte, originalID string) []byte {
	sum := sha256.Sum256([]byte(originalID))
	return cat(integKey, sum[:16])
}

// batchEvent is one event of a batch on its way into the store.
type batchEvent struct {
	ev      Event
	key     []byte // ev_orig key; nil without an original id
	updated int64
	meta    []byte
	iocs    []IOC
	// needsBody: a read before the write transaction found the event new
	// or updated. pack and idx place its body.
	needsBody bool
	pack      int
	idx       int
}

// pendingPack is a pack being encoded while the write transaction runs:
// value and err are set before done is closed.
type pendingPack struct {
	members []int
	value   []byte
	err     error
	done    chan struct{}
}

// classify marks the events that need a body: new ones and newer
// versions, as the store and the batch itself (earlier events of it)
// stand.
func classify(tx *bolt.Tx, bes []batchEvent) {
	orig := bk(tx, bEvOrig)
	seen := map[string]int64{}
	for i := range bes {
		be := &bes[i]
		if be.key == nil {
			be.needsBody = true
			continue
		}
		prev, inBatch := seen[string(be.key)]
		if !inBatch {
			v := orig.Get(be.key)
			if v == nil || len(v) != idLen+8 {
				be.needsBody = true
				seen[string(be.key)] = be.updated
				continue
			}
			prev = int64(getU64(v[idLen:]))
		}
		if be.updated > prev {
			be.needsBody = true
			seen[string(be.key)] = be.updated
		} else {
			seen[string(be.key)] = prev
		}
	}
}

// packer encodes the bodies a batch needs into packs of up to packSize,
// in parallel, while the write transaction writes everything else: the
// transaction needs the packs' ids, not their contents, until its end.
type packer struct {
	packs []pendingPack
	stop  atomic.Bool
	wg    sync.WaitGroup
}

func startPacker(bes []batchEvent) *packer {
	pk := &packer{}
	for i := range bes {
		if !bes[i].needsBody {
			continue
		}
		if len(pk.packs) == 0 || len(pk.packs[len(pk.packs)-1].members) == packSize {
			pk.packs = append(pk.packs, pendingPack{done: make(chan struct{})})
		}
		p := &pk.packs[len(pk.packs)-1]
		bes[i].pack, bes[i].idx = len(pk.packs)-1, len(p.members)
		p.members = append(p.members, i)
	}
	workers := min(runtime.GOMAXPROCS(0), len(pk.packs))
	for w := range workers {
		pk.wg.Add(1)
		go func() {
			defer pk.wg.Done()
			for pi := w; pi < len(pk.packs); pi += workers {
				p := &pk.packs[pi]
				if !pk.stop.Load() {
					p.value, p.err = encodeMembers(bes, p.members)
				}
				close(p.done)
			}
		}()
	}
	return pk
}

func encodeMembers(bes []batchEvent, members []int) ([]byte, error) {
	bodies := make([][]byte, len(members))
	for j, i := range members {
		b, err := encodeBody(&bes[i].ev)
		if err != nil {
			return nil, err
		}
		bodies[j] = b
	}
	return encodePack(bodies)
}

// wait returns pack i once it is encoded.
func (pk *packer) wait(i int) ([]byte, error) {
	<-pk.packs[i].done
	if pk.stop.Load() && pk.packs[i].value == nil && pk.packs[i].err == nil {
		return nil, fmt.Errorf("commit abandoned")
	}
	return pk.packs[i].value, pk.packs[i].err
}

// close stops the workers (when the transaction failed early) and waits
// for them.
func (pk *packer) close() {
	pk.stop.Store(true)
	pk.wg.Wait()
}

func newBatchEvent(e Event, integKey []byte) batchEvent {
	normEvent(&e)
	be := batchEvent{ev: e, updated: tNs(e.UpdateTime), meta: eventMeta(&e)}
	if e.OriginalID != "" && integKey != nil {
		be.key = origKey(integKey, e.OriginalID)
	}
	for _, i := range e.IOCs {
		if n, ok := normIOC(i); ok {
			be.iocs = append(be.iocs, n)
		}
	}
	return be
}

func fromSDK(se *sdk.Event, cust, integ, origin string) Event {
	e := Event{
		OriginalID:       se.OriginalID,
		CustomerID:       cust,
		IntegrationID:    integ,
		Origin:           origin,
		Classification:   se.Classification,
		SecurityEventURL: se.URL,
		Title:            se.Title,
		Description:      se.Description,
		DetectionTime:    se.DetectionTime,
		CreationTime:     se.CreationTime,
		UpdateTime:       se.UpdateTime,
		MitreTags:        se.MitreTags,
		Actions:          se.Actions,
		DetectionEngines: se.DetectionEngines,
		Severity:         NewSeverity(se.Severity),
		Observables:      se.Observables,
		Raw:              se.Raw,
	}
	for _, i := range se.IOCs {
		e.IOCs = append(e.IOCs, IOC{Indicator: i.Indicator, Type: i.Type, ExpiresAt: i.ExpiresAt})
	}
	return e
}

// Commit stores a batch of a query run and its cursor in one transaction
// (see CommitRequest). A new event (by integration and original id, within
// the batch too) gets an id and opens a NEW case; its IOCs are recorded.
// A known one whose UpdateTime is later than the stored one's replaces it,
// keeping its id, case and ingested_time, with ingested_updated_time set
// to req.Now; any other is a duplicate. The integration's stats slot of
// req.Now counts the stored events. When the integration no longer exists
// nothing is written and the error wraps ErrNotFound. Events without an
// original id cannot be de-duplicated and are always stored.
//
// A read transaction first finds which events are new or newer; their
// bodies are then encoded and compressed in parallel while the write
// transaction checks again and writes everything else, and the
// transaction ends by writing the packs as they are ready.
func (d *DB) Commit(ctx context.Context, req CommitRequest) (CommitResult, error) {
	now := req.Now
	if now.IsZero() {
		now = d.clock()
	}
	now = now.UTC().Truncate(time.Millisecond)
	in, err := d.GetIntegration(ctx, req.IntegrationID)
	if err != nil {
		return CommitResult{}, err
	}
	if req.CustomerID != "" && req.CustomerID != in.CustomerID {
		return CommitResult{}, fmt.Errorf("integration %s belongs to customer %s, not %s: %w", in.ID, in.CustomerID, req.CustomerID, ErrConflict)
	}
	origin := req.Origin
	if origin == "" {
		origin = in.Type
	}
	if len(origin) > maxOrigin {
		return CommitResult{}, fmt.Errorf("origin longer than %d bytes: %w", maxOrigin, ErrInvalid)
	}
	integKey, custKey := idKey(in.ID), idKey(in.CustomerID)
	bes := make([]batchEvent, len(req.Events))
	for i := range req.Events {
		bes[i] = newBatchEvent(fromSDK(&req.Events[i], in.CustomerID, in.ID, origin), integKey)
	}
	if err := d.view(ctx, func(tx *bolt.Tx) error { classify(tx, bes); return nil }); err != nil {
		return CommitResult{}, err
	}
	pk := startPacker(bes)
	defer pk.close()
	var res CommitResult
	err = d.update(ctx, func(tx *bolt.Tx) error {
		res = CommitResult{}
		if bk(tx, bInteg).Get(integKey) == nil {
			return fmt.Errorf("integration %s: %w", req.IntegrationID, ErrNotFound)
		}
		w := d.eventWriter(tx, now)
		packIDs := make([][]byte, len(pk.packs))
		for i := range pk.packs {
			id, err := d.ids.at(now)
			if err != nil {
				return err
			}
			packIDs[i] = id[:]
		}
		for i := range bes {
			be := &bes[i]
			var known []byte
			if be.key != nil {
				known = w.orig.Get(be.key)
			}
			isNew := known == nil
			newer := !isNew && len(known) == idLen+8 && be.updated > int64(getU64(known[idLen:]))
			if !isNew && !newer {
				res.Duplicates++
				continue
			}
			if !be.needsBody {
				// Only a concurrent writer deleting what the read
				// saw could get here, and nothing deletes events.
				return fmt.Errorf("event %q changed during commit: %w", be.ev.OriginalID, ErrConflict)
			}
			ref := packRef{pack: packIDs[be.pack], idx: be.idx}
			if isNew {
				evID, caseID, err := w.insert(be, ref, custKey, integKey)
				if err != nil {
					return err
				}
				if be.key != nil {
					if err := w.orig.Put(be.key, cat(evID, putU64(nil, uint64(be.updated)))); err != nil {
						return err
					}
				}
				res.Stored++
				res.EventIDs = append(res.EventIDs, idString(evID))
				res.CaseIDs = append(res.CaseIDs, idString(caseID))
				if d.commitHook != nil {
					if err := d.commitHook(res.Stored); err != nil {
						return err
					}
				}
				continue
			}
			evID := bytes.Clone(known[:idLen])
			if err := w.replace(be, ref, evID, integKey); err != nil {
				return err
			}
			if err := w.orig.Put(be.key, cat(evID, putU64(nil, uint64(be.updated)))); err != nil {
				return err
			}
			res.Updated++
		}
		if res.Stored > 0 {
			if err := w.source(custKey, integKey); err != nil {
				return err
			}
			if err := addStat(tx, integKey, now, statEvents, res.Stored); err != nil {
				return err
			}
		}
		if req.Cursor != nil {
			if err := bk(tx, bCursors).Put(integKey, []byte(*req.Cursor)); err != nil {
				return err
			}
		}
		for i := range pk.packs {
			v, err := pk.wait(i)
			if err != nil {
				return err
			}
			if err := w.packs.Put(packIDs[i], v); err != nil {
				return err
			}
		}
		return w.flush()
	})
	if err != nil {
		return CommitResult{}, err
	}
	return res, nil
}

// eventWriter holds the buckets a transaction writes events with.
type eventWriter struct {
	d                                           *DB
	tx                                          *bolt.Tx
	now                                         time.Time
	events, bySource, sources, orig, api, packs *bolt.Bucket
	cases, caseSL, caseCSL, caseText            *bolt.Bucket
	cnt                                         counts
	// stored counts new events by customer+source; newCases new cases
	// by customer+level.
	stored, newCases map[string]int64
	seenIOC          map[string]seenIOC
}

// flush writes the counters of the transaction.
func (w *eventWriter) flush() error {
	for k, n := range w.stored {
		cust, src := []byte(k[:idLen]), []byte(k[idLen:])
		w.cnt.add(ckey(cEvents), n)
		w.cnt.add(ckey(cEvCust, cust), n)
		w.cnt.add(ckey(cEvInteg, src), n)
	}
	for k, n := range w.newCases {
		countCase(w.cnt, []byte(k[:idLen]), caseNewCode, k[idLen], n)
	}
	return w.cnt.flush(w.tx)
}

func (d *DB) eventWriter(tx *bolt.Tx, now time.Time) *eventWriter {
	return &eventWriter{
		d: d, tx: tx, now: now,
		events: bk(tx, bEvents), bySource: bk(tx, bEvInteg), sources: bk(tx, bEvSrc), orig: bk(tx, bEvOrig),
		api: bk(tx, bEvAPI), packs: bk(tx, bPacks), cases: bk(tx, bCases), caseSL: bk(tx, bCaseSL), caseCSL: bk(tx, bCaseCSL),
		caseText: bk(tx, bCaseText),
		cnt:      counts{}, stored: map[string]int64{}, newCases: map[string]int64{}, seenIOC: map[string]seenIOC{},
	}
}

// source records that a customer has events under a source (integration,
// or the customer itself for API events without one).
func (w *eventWriter) source(custKey, srcKey []byte) error {
	k := cat(custKey, srcKey)
	if w.sources.Get(k) != nil {
		return nil
	}
	return w.sources.Put(k, nil)
}

// insert stores a new event and the case it opens: a case that reads its
// fields from the event body until it is first changed.
func (w *eventWriter) insert(be *batchEvent, ref packRef, custKey, srcKey []byte) (evID, caseID []byte, err error) {
	eid, cid, err := w.d.ids.pair(w.now)
	if err != nil {
		return nil, nil, err
	}
	evID, caseID = eid[:], cid[:]
	if err := w.events.Put(evID, eventValue(never, be.meta, ref)); err != nil {
		return nil, nil, err
	}
	if err := w.bySource.Put(cat(srcKey, evID), be.meta); err != nil {
		return nil, nil, err
	}
	if err := w.cases.Put(caseID, seedCaseValue(ref)); err != nil {
		return nil, nil, err
	}
	if err := w.caseText.Put(caseID, caseText(be.ev.Title, be.ev.Description)); err != nil {
		return nil, nil, err
	}
	lv := levelCode(be.ev.Severity.Level)
	sl := []byte{caseNewCode, lv}
	if err := w.caseSL.Put(cat(sl, caseID), nil); err != nil {
		return nil, nil, err
	}
	if err := w.caseCSL.Put(cat(custKey, sl, caseID), nil); err != nil {
		return nil, nil, err
	}
	// Counted once per transaction in flush: the counter keys of one
	// batch are few.
	w.stored[string(custKey)+string(srcKey)]++
	w.newCases[string(custKey)+string([]byte{lv})]++
	return evID, caseID, w.iocs(be)
}

// replace points a stored event at a newer body.
func (w *eventWriter) replace(be *batchEvent, ref packRef, evID, srcKey []byte) error {
	if w.events.Get(evID) == nil {
		return fmt.Errorf("event %s: index without record", idString(evID))
	}
	if err := w.events.Put(evID, eventValue(tNs(w.now), be.meta, ref)); err != nil {
		return err
	}
	if err := w.bySource.Put(cat(srcKey, evID), be.meta); err != nil {
		return err
	}
	return w.iocs(be)
}

// iocs records the IOCs of an event and lists them among its customer's.
func (w *eventWriter) iocs(be *batchEvent) error {
	custKey := idKey(be.ev.CustomerID)
	for _, i := range be.iocs {
		_, id, _, err := w.d.upsertIOC(w.tx, i, w.now, false, w.cnt, w.seenIOC)
		if err != nil {
			return err
		}
		if custKey != nil {
			if err := linkIOC(w.tx, custKey, id, w.cnt); err != nil {
				return err
			}
		}
	}
	return nil
}

// fillIOCs shows an event's IOCs as the store knows them now (first seen,
// latest expiry).
func fillIOCs(tx *bolt.Tx, e *Event) error {
	for i, x := range e.IOCs {
		cur, _, ok, err := lookupIOC(tx, x.Indicator)
		if err != nil {
			return err
		}
		if ok {
			e.IOCs[i] = cur
		}
	}
	return nil
}

// GetEvent returns a security event with its raw payload.
func (d *DB) GetEvent(ctx context.Context, id string) (*Event, error) {
	var e *Event
	err := d.view(ctx, func(tx *bolt.Tx) error {
		key := idKey(id)
		var v []byte
		if key != nil {
			v = bk(tx, bEvents).Get(key)
		}
		if v == nil {
			return fmt.Errorf("event %q: %w", id, ErrNotFound)
		}
		var err error
		if e, err = decodeEvent(newPackReader(tx), key, v); err != nil {
			return err
		}
		return fillIOCs(tx, e)
	})
	return e, err
}

// minSeverityValue is the lowest score of a level.
func minSeverityValue(level string) (int, error) {
	switch level {
	case "", sdk.LevelNotValid:
		return 0, nil
	case sdk.LevelLow:
		return 1, nil
	case sdk.LevelMedium:
		return 40, nil
	case sdk.LevelHigh:
		return 70, nil
	case sdk.LevelCritical:
		return 90, nil
	}
	return 0, fmt.Errorf("severity level %q: %w", level, ErrInvalid)
}

// ListEvents lists events newest first (by id, that is by ingestion). It
// walks the narrowest index the filter allows: one integration, the
// sources of one customer (merged), or all events; it filters on index
// values alone and reads only the records of the page. The total comes
// from a counter when the filter is an integration, a customer or
// nothing; otherwise from the walk.
func (d *DB) ListEvents(ctx context.Context, f EventFilter, p Page) ([]Event, int, error) {
	minSev, err := minSeverityValue(f.MinSeverity)
	if err != nil {
		return nil, 0, err
	}
	var out []Event
	var total int
	err = d.view(ctx, func(tx *bolt.Tx) error {
		evB, srcB := bk(tx, bEvents), bk(tx, bEvSrc)
		var custKey, integKey []byte
		if f.CustomerID != "" {
			if custKey = idKey(f.CustomerID); custKey == nil {
				return nil
			}
		}
		if f.IntegrationID != "" {
			if integKey = idKey(f.IntegrationID); integKey == nil {
				return nil
			}
		}
		metaFilter := f.Origin != "" || minSev > 0 || !f.From.IsZero() || !f.To.IsZero()
		from, to := tNs(f.From), tNs(f.To)
		matchMeta := func(_, m []byte) (bool, error) {
			em, ok := parseMeta(m)
			switch {
			case !ok:
				return false, nil
			case f.Origin != "" && string(em.origin) != f.Origin:
				return false, nil
			case em.sev < minSev:
				return false, nil
			case !f.From.IsZero() && (em.det == never || em.det < from):
				return false, nil
			case !f.To.IsZero() && (em.det == never || em.det >= to):
				return false, nil
			}
			return true, nil
		}
		l := listing{counted: -1}
		switch {
		case integKey != nil:
			if custKey != nil && srcB.Get(cat(custKey, integKey)) == nil {
				return nil
			}
			l.sources = []source{{b: bk(tx, bEvInteg), prefix: integKey}}
			l.counted = getCount(tx, ckey(cEvInteg, integKey))
		case custKey != nil:
			c := srcB.Cursor()
			for k, _ := c.Seek(custKey); k != nil && bytes.HasPrefix(k, custKey); k, _ = c.Next() {
				l.sources = append(l.sources, source{b: bk(tx, bEvInteg), prefix: bytes.Clone(k[idLen:])})
			}
			l.counted = getCount(tx, ckey(cEvCust, custKey))
		default:
			l.sources = []source{{b: evB}}
			l.counted = getCount(tx, ckey(cEvents))
		}
		if metaFilter {
			l.counted = -1
			l.match = matchMeta
			if integKey == nil && custKey == nil {
				l.match = func(id, v []byte) (bool, error) {
					parts, err := splitEventValue(v)
					if err != nil {
						return false, err
					}
					return matchMeta(id, parts.meta)
				}
			}
		}
		pr := newPackReader(tx)
		total, err = l.page(p, func(id, v []byte) error {
			if integKey != nil || custKey != nil {
				if v = evB.Get(id); v == nil {
					return fmt.Errorf("event %s: index without record", idString(id))
				}
			}
			e, err := decodeEvent(pr, id, v)
			if err != nil {
				return err
			}
			if err := fillIOCs(tx, e); err != nil {
				return err
			}
			out = append(out, *e)
			return nil
		})
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return items(out, p), total, nil
}
