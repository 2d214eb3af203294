package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// A pack is up to packSize event bodies of one integration compressed as
// one zstd frame:
//
//	packs: pack id → 1 | zstd(uvarint n | n × uvarint len | bodies)
//	body:  uvarint len(json) | json of the event | raw vendor JSON
//
// One alert compresses poorly alone (its field names and fixed text occur
// once in it) and costs a frame setup; 32 alerts of one integration share
// all of that: about 440 bytes per 1.5 KB alert instead of 1,270, in less
// CPU time (16 alerts: 480 bytes; reading one body decompresses its pack,
// about 60 KB). Packs are written once and never changed: an update
// writes a new body into a new pack, and a case that was never changed
// still reads the body of the event as it was when the case opened.
const packSize = 32

const fmtPackV1 = 1

// encodePack compresses bodies into one pack value.
func encodePack(bodies [][]byte) ([]byte, error) {
	n := binary.MaxVarintLen64 * (len(bodies) + 1)
	for _, b := range bodies {
		n += len(b)
	}
	plain := binary.AppendUvarint(make([]byte, 0, n), uint64(len(bodies)))
	for _, b := range bodies {
		plain = binary.AppendUvarint(plain, uint64(len(b)))
	}
	for _, b := range bodies {
		plain = append(plain, b...)
	}
	return compress([]byte{fmtPackV1}, plain)
}

func decodePack(v []byte) ([][]byte, error) {
	if len(v) < 1 || v[0] != fmtPackV1 {
		return nil, fmt.Errorf("pack record: unknown format")
	}
	plain, err := decompress(v[1:])
	if err != nil {
		return nil, err
	}
	r := bytes.NewReader(plain)
	n, err := binary.ReadUvarint(r)
	if err != nil || n > 1<<16 {
		return nil, fmt.Errorf("pack record: bad count")
	}
	lens := make([]uint64, n)
	for i := range lens {
		if lens[i], err = binary.ReadUvarint(r); err != nil {
			return nil, fmt.Errorf("pack record: bad length")
		}
	}
	off := len(plain) - r.Len()
	out := make([][]byte, n)
	for i, l := range lens {
		if uint64(len(plain)-off) < l {
			return nil, fmt.Errorf("pack record: truncated")
		}
		out[i] = plain[off : off+int(l) : off+int(l)]
		off += int(l)
	}
	return out, nil
}

// packRef names one body in a pack.
type packRef struct {
	pack []byte
	idx  int
}

func (r packRef) append(b []byte) []byte {
	return binary.AppendUvarint(append(b, r.pack...), uint64(r.idx))
}

func readPackRef(b []byte) (packRef, error) {
	if len(b) < idLen+1 {
		return packRef{}, fmt.Errorf("pack reference truncated")
	}
	idx, n := binary.Uvarint(b[idLen:])
	if n <= 0 || n != len(b)-idLen {
		return packRef{}, fmt.Errorf("bad pack reference")
	}
	return packRef{pack: b[:idLen], idx: int(idx)}, nil
}

// packReader reads bodies, keeping the packs of one transaction's reads
// decompressed, since neighbouring events share a pack.
type packReader struct {
	b     *bolt.Bucket
	cache map[string][][]byte
}

func newPackReader(tx *bolt.Tx) *packReader {
	return &packReader{b: bk(tx, bPacks), cache: map[string][][]byte{}}
}

func (p *packReader) body(r packRef) ([]byte, error) {
	bodies, ok := p.cache[string(r.pack)]
	if !ok {
		v := p.b.Get(r.pack)
		if v == nil {
			return nil, fmt.Errorf("pack %s: missing", idString(r.pack))
		}
		var err error
		if bodies, err = decodePack(v); err != nil {
			return nil, fmt.Errorf("pack %s: %w", idString(r.pack), err)
		}
		if len(p.cache) >= 64 { // a long scan: keep memory bounded
			clear(p.cache)
		}
		p.cache[string(r.pack)] = bodies
	}
	if r.idx >= len(bodies) {
		return nil, fmt.Errorf("pack %s has no body %d", idString(r.pack), r.idx)
	}
	return bodies[r.idx], nil
}
