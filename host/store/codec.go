package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Record formats: the first byte of every binary record. A new format
// gets a new number; old ones stay readable.
const (
	fmtEventV1  = 1 // events.go
	fmtReportV1 = 1 // notes.go
)

var (
	zOnce sync.Once
	zEnc  *zstd.Encoder
	zDec  *zstd.Decoder
	zErr  error
)

func codecs() (*zstd.Encoder, *zstd.Decoder, error) {
	zOnce.Do(func() {
		zEnc, zErr = zstd.NewWriter(nil,
			zstd.WithEncoderLevel(zstd.SpeedDefault),
			zstd.WithEncoderCRC(false), // bbolt pages carry no checksum either; a record is small
			zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)),
			// A pack is about 60 KB: a 128 KB window holds it, and the
			// smaller tables stay in cache (about 7 % faster).
			zstd.WithWindowSize(1<<17),
			zstd.WithLowerEncoderMem(true),
		)
		if zErr != nil {
			return
		}
		zDec, zErr = zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(0),
			zstd.WithDecoderMaxMemory(256<<20),
		)
	})
	return zEnc, zDec, zErr
}

// compress appends the zstd frame of src to dst.
func compress(dst, src []byte) ([]byte, error) {
	enc, _, err := codecs()
	if err != nil {
		return nil, fmt.Errorf("zstd: %w", err)
	}
	return enc.EncodeAll(src, dst), nil
}

func decompress(src []byte) ([]byte, error) {
	_, dec, err := codecs()
	if err != nil {
		return nil, fmt.Errorf("zstd: %w", err)
	}
	out, err := dec.DecodeAll(src, nil)
	if err != nil {
		return nil, fmt.Errorf("decompressing record: %w", err)
	}
	return out, nil
}

// Fixed-width integers in keys and values are big-endian, so that keys
// sort by number.
func putU64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }
func putU32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }
func getU64(b []byte) uint64           { return binary.BigEndian.Uint64(b) }
func getU32(b []byte) uint32           { return binary.BigEndian.Uint32(b) }

// jsonPlain encodes v without escaping <, > and & (descriptions are full of
// them and the escapes cost bytes).
func jsonPlain(v any) ([]byte, error) {
	var b jsonBuf
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	out := b.b
	if n := len(out); n > 0 && out[n-1] == '\n' {
		out = out[:n-1]
	}
	return out, nil
}

type jsonBuf struct{ b []byte }

func (j *jsonBuf) Write(p []byte) (int, error) {
	j.b = append(j.b, p...)
	return len(p), nil
}
