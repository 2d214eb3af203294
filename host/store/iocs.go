package store

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/outpost-soc/outpost/sdk"
)

// An IOC at rest:
//
//	iocs:    ioc id → 1 | type code | u64 created | u64 expires | indicator
//	ioc_key: u64 FNV-1a of the indicator + ioc id → nil
//
// The id (made at first sight) orders the newest-first listing; the hash
// index finds an indicator with a short key whatever its length, a
// collision costing one more record read.

// maxIndicator bounds an indicator's length.
const maxIndicator = 4096

var iocTypes = []sdk.IOCType{sdk.IOCUnspecified, sdk.IOCDomain, sdk.IOCIPAddress, sdk.IOCEmail, sdk.IOCHash}

func iocTypeCode(t sdk.IOCType) (byte, bool) {
	for i, x := range iocTypes {
		if x == t {
			return byte(i), true
		}
	}
	return 0, false
}

// never is the stored form of a zero time: "no detection time", "never
// expires".
const never = math.MinInt64

// tNs is the stored form of a time: nanoseconds since 1970, never for zero.
func tNs(t time.Time) int64 {
	if t.IsZero() {
		return never
	}
	switch {
	case t.Year() < 1678:
		return never + 1
	case t.Year() > 2261:
		return math.MaxInt64
	}
	return t.UnixNano()
}

func nsT(v int64) time.Time {
	if v == never {
		return time.Time{}
	}
	return time.Unix(0, v).UTC()
}

// laterExpiry keeps the later of two expiries; never is the latest.
func laterExpiry(a, b int64) int64 {
	if a == never || b == never {
		return never
	}
	return max(a, b)
}

// seenIOC is an IOC as a transaction left it.
type seenIOC struct {
	ioc IOC
	id  []byte
}

type iocRec struct {
	typ       byte
	created   int64
	expires   int64
	indicator string
}

func (r iocRec) encode() []byte {
	b := make([]byte, 0, 18+len(r.indicator))
	b = append(b, 1, r.typ)
	b = putU64(b, uint64(r.created))
	b = putU64(b, uint64(r.expires))
	return append(b, r.indicator...)
}

func decodeIOCRec(v []byte) (iocRec, error) {
	if len(v) < 18 || v[0] != 1 {
		return iocRec{}, fmt.Errorf("ioc record: unknown format")
	}
	return iocRec{typ: v[1], created: int64(getU64(v[2:])), expires: int64(getU64(v[10:])), indicator: string(v[18:])}, nil
}

func (r iocRec) ioc() IOC {
	return IOC{Indicator: r.indicator, Type: iocTypes[min(int(r.typ), len(iocTypes)-1)], CreatedAt: nsT(r.created), ExpiresAt: nsT(r.expires)}
}

func iocHash(indicator string) []byte {
	h := fnv.New64a()
	_, _ = h.Write([]byte(indicator))
	return h.Sum(nil)
}

// normIOC cleans an IOC for storage; ok is false for one that cannot be
// stored (empty or over-long indicator), which ingest skips.
func normIOC(i IOC) (IOC, bool) {
	i.Indicator = strings.TrimSpace(i.Indicator)
	if i.Indicator == "" || len(i.Indicator) > maxIndicator {
		return i, false
	}
	if _, ok := iocTypeCode(i.Type); !ok {
		i.Type = sdk.IOCUnspecified
	}
	return i, true
}

// lookupIOC finds an indicator: its IOC, record and id.
func lookupIOC(tx *bolt.Tx, indicator string) (IOC, []byte, bool, error) {
	h := iocHash(indicator)
	prim := bk(tx, bIOCs)
	c := bk(tx, bIOCKey).Cursor()
	for k, _ := c.Seek(h); k != nil && bytes.HasPrefix(k, h); k, _ = c.Next() {
		v := prim.Get(k[8:])
		if v == nil {
			continue
		}
		r, err := decodeIOCRec(v)
		if err != nil {
			return IOC{}, nil, false, err
		}
		if r.indicator == indicator {
			return r.ioc(), bytes.Clone(k[8:]), true, nil
		}
	}
	return IOC{}, nil, false, nil
}

// upsertIOC records an indicator: created on first sight; then, when
// replace is false (ingest), the later expiry is kept and an UNSPECIFIED
// type gives way to a known one; when replace is true (PutIOC), type and
// expiry become those given. It returns the stored IOC, its id and whether
// it was new.
//
// seen, when not nil, remembers the IOCs of the transaction: a batch
// names the same indicators again and again.
func (d *DB) upsertIOC(tx *bolt.Tx, in IOC, now time.Time, replace bool, cnt counts, seen map[string]seenIOC) (out IOC, id []byte, created bool, err error) {
	code, _ := iocTypeCode(in.Type)
	exp := tNs(in.ExpiresAt)
	var prev IOC
	var found bool
	if s, ok := seen[in.Indicator]; ok {
		prev, id, found = s.ioc, s.id, true
	} else if prev, id, found, err = lookupIOC(tx, in.Indicator); err != nil {
		return IOC{}, nil, false, err
	}
	if seen != nil {
		defer func() {
			if err == nil {
				seen[in.Indicator] = seenIOC{ioc: out, id: id}
			}
		}()
	}
	prim := bk(tx, bIOCs)
	if !found {
		nid, err := d.ids.at(now)
		if err != nil {
			return IOC{}, nil, false, err
		}
		r := iocRec{typ: code, created: tNs(now), expires: exp, indicator: in.Indicator}
		id = nid[:]
		if err := prim.Put(id, r.encode()); err != nil {
			return IOC{}, nil, false, err
		}
		if err := bk(tx, bIOCKey).Put(cat(iocHash(in.Indicator), id), nil); err != nil {
			return IOC{}, nil, false, err
		}
		cnt.add(ckey(cIOC), 1)
		cnt.add(ckey(cIOC, []byte{code}), 1)
		return r.ioc(), id, true, nil
	}
	prevCode, _ := iocTypeCode(prev.Type)
	r := iocRec{typ: prevCode, created: tNs(prev.CreatedAt), expires: tNs(prev.ExpiresAt), indicator: in.Indicator}
	if replace {
		r.typ, r.expires = code, exp
	} else {
		r.expires = laterExpiry(r.expires, exp)
		if prevCode == 0 && code != 0 {
			r.typ = code
		}
	}
	if r.typ == prevCode && r.expires == tNs(prev.ExpiresAt) {
		return prev, id, false, nil
	}
	if r.typ != prevCode {
		cnt.add(ckey(cIOC, []byte{prevCode}), -1)
		cnt.add(ckey(cIOC, []byte{r.typ}), 1)
	}
	return r.ioc(), id, false, prim.Put(id, r.encode())
}

// PutIOC records an indicator given through the API: created (CreatedAt
// now) when it is new, else its type and expiry replaced. It fills in in
// and returns whether the indicator was new.
func (d *DB) PutIOC(ctx context.Context, in *IOC) (bool, error) {
	return d.putIOC(ctx, "", in)
}

// PutCustomerIOC is PutIOC for a customer, which must exist: the
// indicator is also listed among the customer's IOCs.
func (d *DB) PutCustomerIOC(ctx context.Context, customerID string, in *IOC) (bool, error) {
	return d.putIOC(ctx, customerID, in)
}

func (d *DB) putIOC(ctx context.Context, customerID string, in *IOC) (bool, error) {
	n, ok := normIOC(*in)
	if !ok {
		return false, fmt.Errorf("indicator empty or longer than %d bytes: %w", maxIndicator, ErrInvalid)
	}
	if _, known := iocTypeCode(in.Type); !known && in.Type != "" {
		return false, fmt.Errorf("ioc type %q: %w", in.Type, ErrInvalid)
	}
	var out IOC
	var created bool
	err := d.update(ctx, func(tx *bolt.Tx) (err error) {
		var custKey []byte
		if customerID != "" {
			if _, custKey, err = getCustomer(tx, customerID); err != nil {
				return err
			}
		}
		cnt := counts{}
		var id []byte
		out, id, created, err = d.upsertIOC(tx, n, d.clock(), true, cnt, nil)
		if err != nil {
			return err
		}
		if custKey != nil {
			if err := linkIOC(tx, custKey, id, cnt); err != nil {
				return err
			}
		}
		return cnt.flush(tx)
	})
	if err != nil {
		return false, err
	}
	*in = out
	return created, nil
}

// GetIOC returns the IOC of an indicator.
func (d *DB) GetIOC(ctx context.Context, indicator string) (*IOC, error) {
	var out IOC
	err := d.view(ctx, func(tx *bolt.Tx) error {
		i, _, ok, err := lookupIOC(tx, indicator)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("ioc %q: %w", indicator, ErrNotFound)
		}
		out = i
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ListIOCs lists IOCs of a type ("" for all) newest first (by first
// sight), leaving out expired ones unless includeExpired. Page.ToID is an
// indicator: the list is pinned at the IOCs first seen no later than it.
// Totals come from counters when includeExpired is set, else from a scan;
// a type filter walks all IOCs and keeps that type.
func (d *DB) ListIOCs(ctx context.Context, typ sdk.IOCType, includeExpired bool, p Page) ([]IOC, int, error) {
	code, ok := iocTypeCode(typ)
	if !ok && typ != "" {
		return nil, 0, fmt.Errorf("ioc type %q: %w", typ, ErrInvalid)
	}
	var out []IOC
	var total int
	err := d.view(ctx, func(tx *bolt.Tx) (err error) {
		if p.ToID != "" {
			_, id, found, err := lookupIOC(tx, p.ToID)
			if err != nil {
				return err
			}
			if !found {
				return fmt.Errorf("paging ioc %q: %w", p.ToID, ErrInvalid)
			}
			p.ToID = idString(id)
		}
		l := listing{sources: []source{{b: bk(tx, bIOCs)}}, counted: -1}
		nowNs := tNs(d.clock())
		if typ != "" || !includeExpired {
			l.match = func(_, v []byte) (bool, error) {
				if len(v) < 18 {
					return false, nil
				}
				if typ != "" && v[1] != code {
					return false, nil
				}
				exp := int64(getU64(v[10:]))
				return includeExpired || exp == never || exp > nowNs, nil
			}
		}
		if includeExpired {
			if typ == "" {
				l.counted = getCount(tx, ckey(cIOC))
			} else {
				l.counted, l.exact = getCount(tx, ckey(cIOC, []byte{code})), true
			}
		}
		total, err = l.page(p, func(_, v []byte) error {
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
