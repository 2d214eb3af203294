package store

import (
	"bytes"
	"strings"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// The search text of a case:
//
//	case_text: case id → lower(title) | 0 | lower(description)
//
// CaseFilter.Text tests this small uncompressed value instead of the case,
// which would mean decompressing a pack (a case opened by an event) or a
// zstd record (a changed case), about 11 µs a case. Title and description
// are each cut at a rune boundary (maxTextTitle, maxTextDesc bytes, after
// lowercasing), so a search does not find words past the first 160 bytes
// of each: that is where the words analysts search for are, and it keeps
// the index within DESIGN.md's 1 KB on disk per alert, case included.
// Every write of a case writes its text in the same transaction; schema
// version 2 filled it in for the cases of older files.

const (
	maxTextTitle = 160
	maxTextDesc  = 160
)

// caseText is the search text of a case with title and description.
func caseText(title, desc string) []byte {
	t, d := cutRunes(strings.ToLower(title), maxTextTitle), cutRunes(strings.ToLower(desc), maxTextDesc)
	v := make([]byte, 0, len(t)+1+len(d))
	v = append(v, t...)
	v = append(v, 0)
	return append(v, d...)
}

// cutRunes returns at most n bytes of s, not splitting a rune.
func cutRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func putCaseText(tx *bolt.Tx, caseID []byte, c *Case) error {
	return bk(tx, bCaseText).Put(caseID, caseText(c.Title, c.Description))
}

// textMatch reports whether a search text holds needle (lowercased, so
// without the NUL that separates title from description).
func textMatch(text, needle []byte) bool {
	return bytes.Contains(text, needle)
}

// backfillCaseText is migration 2: the search text of every case.
func backfillCaseText(tx *bolt.Tx) error {
	tb, err := tx.CreateBucketIfNotExists(bCaseText)
	if err != nil {
		return err
	}
	tb.FillPercent = 0.95
	pr := newPackReader(tx)
	return tx.Bucket(bCases).ForEach(func(k, v []byte) error {
		c, err := decodeCase(pr, k, v)
		if err != nil {
			return err
		}
		return tb.Put(bytes.Clone(k), caseText(c.Title, c.Description))
	})
}
