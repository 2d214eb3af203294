package plugin

import (
	"context"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/sdk"
)

// countStream counts events and raw bytes, as cheaply as a stream can.
type countStream struct{ events, bytes int }

func (c *countStream) Send(b sdk.Batch) error {
	c.events += len(b.Events)
	for _, e := range b.Events {
		c.bytes += len(e.Raw)
	}
	return nil
}

// BenchmarkPollStream streams b.N events of ~1.5 KB raw JSON from a real
// plugin process through Conn.Poll: the plugin → host ceiling of the ingest
// pipeline (DESIGN.md measured 180,000–350,000 events/s for the bare stream).
func BenchmarkPollStream(b *testing.B) {
	dir := b.TempDir()
	place(b, dir, bins.basic, "outpost-plugin-basic")
	m, _ := newManager(b, dir, Options{})
	scan(b, m)
	mustReady(b, m, "basic")
	c := conn(b, m, "basic")
	cfg := sdk.Config{"events": b.N, "batch": 500, "payload_bytes": 1500}
	var got countStream
	b.SetBytes(1500)
	b.ResetTimer()
	start := time.Now()
	if err := c.Poll(context.Background(), sdk.PollRequest{Integration: integ(cfg)}, &got); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if got.events != b.N {
		b.Fatalf("got %d events, want %d", got.events, b.N)
	}
	if b.N > 0 && got.bytes/b.N < 1400 {
		b.Fatalf("raw payloads average %d bytes", got.bytes/b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
}
