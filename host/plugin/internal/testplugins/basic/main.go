// Command basic is the manager's test plugin, built as outpost-plugin-basic:
// a connector whose behaviour each call's config chooses (how many events,
// crash after some batches, sleep, rate-limit).
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/outpost-soc/outpost/sdk"
)

// name and version are set with -ldflags "-X main.name=... -X
// main.version=..." to build other binaries from this source: another
// plugin, or a new version of this one.
var (
	name    = "basic"
	version = "1.0.0"
)

type connector struct{}

var (
	_ sdk.ConnectorWithPoll      = connector{}
	_ sdk.ConnectorWithLostFound = connector{}
	_ sdk.ConnectorWithFallback  = connector{}
	_ sdk.ConnectorWithMirror    = connector{}
)

func intField(field, help string, def int64) sdk.Field {
	return sdk.Field{Name: field, Type: sdk.FieldInt, Default: def, Help: help}
}

func (connector) Describe(context.Context, sdk.DescribeRequest) (*sdk.DescribeResponse, error) {
	return &sdk.DescribeResponse{
		Name: name, Version: version, Vendor: "Outpost tests", Category: sdk.CategorySecurity,
		Schema: sdk.Schema{Fields: []sdk.Field{
			intField("events", "events a poll returns in all", 10),
			intField("batch", "events per batch", 5),
			intField("crash_after", "exit the process after this many batches (0: never)", 0),
			intField("sleep_ms", "sleep before each batch and in Test", 0),
			intField("payload_bytes", "size of each event's raw JSON (0: small)", 0),
			intField("retry_after_s", "answer every call with a rate limit of this many seconds", 0),
			{Name: "token", Type: sdk.FieldSecret, Help: "unused credential"},
		}},
		DefaultSchedule: sdk.Schedule{NewIntervalS: 30},
	}, nil
}

func sleep(ctx context.Context, cfg sdk.Config) error {
	d := time.Duration(cfg.Int("sleep_ms")) * time.Millisecond
	if d <= 0 {
		return nil
	}
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (connector) Test(ctx context.Context, req sdk.TestRequest) (*sdk.TestResponse, error) {
	cfg := req.Integration.Config
	sdk.Logger().Warn("test called", "integration_id", req.Integration.ID)
	if s := cfg.Int("retry_after_s"); s > 0 {
		return nil, sdk.RetryAfter(time.Duration(s)*time.Second, fmt.Errorf("slow down"))
	}
	if err := sleep(ctx, cfg); err != nil {
		return nil, err
	}
	return &sdk.TestResponse{OK: true, Message: "ok " + version,
		Details: map[string]string{"pid": strconv.Itoa(os.Getpid()), "version": version}}, nil
}

// template returns a raw JSON object of about size bytes whose id, at
// bytes 7 to 17, is ten characters wide.
func template(size int) []byte {
	const head = `{"id":"0000000000","pad":"`
	n := max(size-len(head)-2, 0)
	b := make([]byte, 0, len(head)+n+2)
	b = append(b, head...)
	for range n {
		b = append(b, 'x')
	}
	return append(b, '"', '}')
}

func events(prefix string, from, to, size int) []sdk.Event {
	evs := make([]sdk.Event, 0, to-from)
	var tmpl []byte
	if size > 0 {
		tmpl = template(size)
	}
	for i := from; i < to; i++ {
		id := fmt.Sprintf("%s%d", prefix, i)
		var raw []byte
		if size > 0 {
			raw = append([]byte(nil), tmpl...)
			copy(raw[7:17], fmt.Sprintf("%s%09d", prefix[:1], i))
		} else {
			raw = []byte(`{"id":"` + id + `"}`)
		}
		evs = append(evs, sdk.Event{OriginalID: id, Title: "test event", Severity: 50, Raw: raw})
	}
	return evs
}

// Poll sends events [cursor, events) in batches; the cursor is the next
// event's number.
func (connector) Poll(ctx context.Context, req sdk.PollRequest, out sdk.Stream) error {
	cfg := req.Integration.Config
	sdk.Logger().Info("poll starting", "cursor", req.Cursor)
	if s := cfg.Int("retry_after_s"); s > 0 {
		return sdk.RetryAfter(time.Duration(s)*time.Second, fmt.Errorf("slow down"))
	}
	start := 0
	if req.Cursor != "" {
		n, err := strconv.Atoi(req.Cursor)
		if err != nil {
			return fmt.Errorf("unparsable cursor %q", req.Cursor)
		}
		start = n
	}
	total, batch := int(cfg.Int("events")), max(int(cfg.Int("batch")), 1)
	crashAfter, size := int(cfg.Int("crash_after")), int(cfg.Int("payload_bytes"))
	sent := 0
	for i := start; i < total; {
		if err := sleep(ctx, cfg); err != nil {
			return err
		}
		j := min(i+batch, total)
		if err := out.Send(sdk.Batch{Events: events("e", i, j, size), Cursor: strconv.Itoa(j)}); err != nil {
			return err
		}
		sent++
		if crashAfter > 0 && sent >= crashAfter {
			sdk.Logger().Error("crashing as configured", "batches", sent)
			// Give gRPC a moment to flush what was sent, so that the host
			// has a cursor to resume from; a real crash may lose the tail,
			// which only means a longer replay.
			time.Sleep(200 * time.Millisecond)
			os.Exit(3)
		}
		i = j
	}
	return nil
}

func (connector) LostFound(ctx context.Context, req sdk.WindowRequest, out sdk.Stream) error {
	return out.Send(sdk.Batch{Events: events("lf", 0, int(req.Integration.Config.Int("events")), 0)})
}

func (connector) Fallback(ctx context.Context, req sdk.WindowRequest, out sdk.Stream) error {
	return out.Send(sdk.Batch{Events: events("fb", 0, int(req.Integration.Config.Int("events")), 0)})
}

func (connector) Mirror(ctx context.Context, req sdk.MirrorRequest) (*sdk.MirrorResponse, error) {
	return &sdk.MirrorResponse{Applied: true, Message: "applied " + req.Change.ID}, nil
}

func main() { sdk.Serve(connector{}) }
