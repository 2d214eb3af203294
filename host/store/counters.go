package store

import (
	"sort"

	bolt "go.etcd.io/bbolt"
)

// Counter keys: a short tag and the ids it counts for. They change in the
// transaction that changes what they count, so a total is one Get, never a
// scan.
const (
	cCustomers = "cu" // customers
	cInteg     = "in" // integrations; + customer id: of that customer
	cTokens    = "tk" // tokens
	cLogs      = "lg" // + integration id
	cRuns      = "rn" // + integration id
	cEvents    = "ev" // events
	cEvCust    = "ec" // + customer id
	cEvInteg   = "ei" // + integration id
	cCaseSL    = "cs" // + status + level
	cCaseCSL   = "cc" // + customer id + status + level
	cNotes     = "nt" // + case id
	cComments  = "cm" // + case id
	cReports   = "rp" // + case id
	cIOC       = "io" // iocs; + type: of that type
	cIOCCust   = "ic" // + customer id: iocs of that customer
	cMirCase   = "mc" // + case id
	cCaseTotal = "ca" // cases
)

func ckey(tag string, parts ...[]byte) []byte {
	return cat(append([][]byte{[]byte(tag)}, parts...)...)
}

func getCount(tx *bolt.Tx, key []byte) int {
	v := bk(tx, bCounters).Get(key)
	if len(v) != 8 {
		return 0
	}
	return int(int64(getU64(v)))
}

// counts gathers the counter changes of a transaction and writes each key
// once at the end.
type counts map[string]int64

func (c counts) add(key []byte, n int64) { c[string(key)] += n }

func (c counts) flush(tx *bolt.Tx) error {
	b := bk(tx, bCounters)
	keys := make([]string, 0, len(c))
	for k, n := range c {
		if n != 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys) // sorted puts touch each page once
	for _, k := range keys {
		var cur int64
		if v := b.Get([]byte(k)); len(v) == 8 {
			cur = int64(getU64(v))
		}
		cur += c[k]
		if cur <= 0 {
			if err := b.Delete([]byte(k)); err != nil {
				return err
			}
			continue
		}
		if err := b.Put([]byte(k), putU64(nil, uint64(cur))); err != nil {
			return err
		}
	}
	return nil
}

// addNow changes one counter at once.
func addNow(tx *bolt.Tx, key []byte, n int64) error {
	c := counts{}
	c.add(key, n)
	return c.flush(tx)
}
