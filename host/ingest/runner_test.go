package ingest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/host/scheduler"
	"github.com/outpost-soc/outpost/host/store"
	"github.com/outpost-soc/outpost/sdk"
)

// pollFunc is a polling connector made of a function field.
type pollFunc func(ctx context.Context, req sdk.PollRequest, out sdk.Stream) error

func (pollFunc) Describe(context.Context, sdk.DescribeRequest) (*sdk.DescribeResponse, error) {
	return &sdk.DescribeResponse{Name: "fake"}, nil
}
func (pollFunc) Test(context.Context, sdk.TestRequest) (*sdk.TestResponse, error) {
	return &sdk.TestResponse{OK: true}, nil
}
func (f pollFunc) Poll(ctx context.Context, req sdk.PollRequest, out sdk.Stream) error {
	return f(ctx, req, out)
}
func (f pollFunc) LostFound(ctx context.Context, req sdk.WindowRequest, out sdk.Stream) error {
	return f(ctx, sdk.PollRequest{Integration: req.Integration}, out)
}

func setup(t *testing.T) (*store.DB, *store.Integration) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "outpost.db"), store.Options{Key: make([]byte, 32), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	c := &store.Customer{Name: "acme"}
	if err := db.CreateCustomer(ctx, c); err != nil {
		t.Fatal(err)
	}
	in := &store.Integration{CustomerID: c.ID, Type: "fake", Name: "f", Status: store.StatusActive, Health: store.HealthHealthy,
		Config: map[string]any{"url": "http://127.0.0.1:1"}, Secrets: map[string]string{"api_key": "k"},
		Schedule: sdk.Schedule{InitialLookbackS: 3600}}
	if err := db.CreateIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	return db, in
}

func events(from, n int) []sdk.Event {
	out := make([]sdk.Event, n)
	for i := range out {
		out[i] = sdk.Event{OriginalID: fmt.Sprintf("e-%05d", from+i), Title: "t", Severity: 50, Raw: []byte(`{"a":1}`)}
	}
	return out
}

// batches streams total events in batches of size, cursor "pos:<n>" after
// each, failing with failErr after failAfter batches (0: never).
func batches(total, size, failAfter int, failErr error) pollFunc {
	return func(ctx context.Context, req sdk.PollRequest, out sdk.Stream) error {
		start := 0
		fmt.Sscanf(req.Cursor, "pos:%d", &start)
		sent := 0
		for i := start; i < total; i += size {
			if failAfter > 0 && sent == failAfter {
				return failErr
			}
			n := min(size, total-i)
			if err := out.Send(sdk.Batch{Events: events(i, n), Cursor: fmt.Sprintf("pos:%d", i+n)}); err != nil {
				return err
			}
			sent++
		}
		return nil
	}
}

func runner(db store.Store, c sdk.Connector, maxEvents int) *Runner {
	return New(Options{Store: db, MaxEvents: maxEvents, FlushEvery: time.Hour,
		Connector: func(string) (sdk.Connector, error) { return c, nil }})
}

func TestRunCommitsBatchesWithTheirCursorAndResumes(t *testing.T) {
	db, in := setup(t)
	ctx := context.Background()
	boom := errors.New("vendor page 4 failed")
	r := runner(db, batches(1000, 100, 4, boom), 250)
	err := r.Run(ctx, scheduler.Job{IntegrationID: in.ID, Kind: scheduler.KindNew})
	if !errors.Is(err, boom) {
		t.Fatalf("run error %v, want the vendor's", err)
	}
	// The four batches before the failure are stored with their cursor.
	if cur, _ := db.Cursor(ctx, in.ID); cur != "pos:400" {
		t.Fatalf("cursor %q after a failure at batch 5, want pos:400", cur)
	}
	if _, n, _ := db.ListEvents(ctx, store.EventFilter{IntegrationID: in.ID}, store.Page{}); n != 400 {
		t.Fatalf("%d events stored, want 400", n)
	}
	got, _ := db.GetIntegration(ctx, in.ID)
	if got.LastError == "" || got.Health != store.HealthHealthy {
		t.Fatalf("after a vendor failure: last_error %q health %s", got.LastError, got.Health)
	}
	// The next run resumes from the cursor: nothing is fetched twice.
	r = runner(db, batches(1000, 100, 0, nil), 250)
	if err := r.Run(ctx, scheduler.Job{IntegrationID: in.ID, Kind: scheduler.KindNew}); err != nil {
		t.Fatal(err)
	}
	runs, _, _ := db.ListRuns(ctx, in.ID, store.Page{Take: 10})
	if len(runs) != 2 || runs[0].Fetched != 600 || runs[0].Stored != 600 || runs[0].Duplicates != 0 || runs[1].Stored != 400 || runs[1].Error == "" {
		t.Fatalf("runs %+v", runs)
	}
	if cur, _ := db.Cursor(ctx, in.ID); cur != "pos:1000" {
		t.Fatalf("final cursor %q", cur)
	}
	got, _ = db.GetIntegration(ctx, in.ID)
	if got.LastError != "" || got.LastSuccessAt.IsZero() {
		t.Fatalf("after a good run: %+v", got)
	}
}

func TestRunStartsFromInitialLookbackAndCountsReplays(t *testing.T) {
	db, in := setup(t)
	ctx := context.Background()
	var start time.Time
	c := pollFunc(func(ctx context.Context, req sdk.PollRequest, out sdk.Stream) error {
		start = req.StartTime
		if req.Integration.Config.String("api_key") != "k" {
			t.Error("secrets not joined into the plugin's config")
		}
		return out.Send(sdk.Batch{Events: events(0, 10), Cursor: "c"})
	})
	r := runner(db, c, 1000)
	if err := r.Run(ctx, scheduler.Job{IntegrationID: in.ID, Kind: scheduler.KindNew}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 59*time.Minute || d > 61*time.Minute {
		t.Fatalf("empty cursor started %s ago, want initial_lookback_s (1h)", d)
	}
	// A lost-found re-read of the same events stores none and moves no cursor.
	if _, err := db.Commit(ctx, store.CommitRequest{IntegrationID: in.ID, CustomerID: in.CustomerID, Origin: "fake", Cursor: ptr("keep"), Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := r.Run(ctx, scheduler.Job{IntegrationID: in.ID, Kind: scheduler.KindLostFound, From: time.Now().Add(-time.Hour), To: time.Now()}); err != nil {
		t.Fatal(err)
	}
	runs, _, _ := db.ListRuns(ctx, in.ID, store.Page{Take: 1})
	if runs[0].Kind != "lost_found" || runs[0].Duplicates != 10 || runs[0].Stored != 0 {
		t.Fatalf("lost-found run %+v", runs[0])
	}
	if cur, _ := db.Cursor(ctx, in.ID); cur != "keep" {
		t.Fatalf("lost-found moved the cursor to %q", cur)
	}
}

func ptr(s string) *string { return &s }

func TestRunMarksCredentialsAndRateLimits(t *testing.T) {
	for _, tc := range []struct {
		name    string
		err     error
		health  string
		held    bool
		logKind string
	}{
		{"unauthenticated", sdk.Unauthenticated("token revoked"), store.HealthUnhealthy, false, store.LevelError},
		{"permission", sdk.PermissionDenied("alerts.read", "no"), store.HealthUnhealthy, false, store.LevelError},
		{"rate limit", sdk.RetryAfter(90*time.Second, errors.New("429")), store.HealthHealthy, true, store.LevelWarning},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, in := setup(t)
			ctx := context.Background()
			r := runner(db, batches(300, 100, 2, tc.err), 1000)
			err := r.Run(ctx, scheduler.Job{IntegrationID: in.ID, Kind: scheduler.KindNew})
			if err == nil {
				t.Fatal("run succeeded")
			}
			got, _ := db.GetIntegration(ctx, in.ID)
			if got.Health != tc.health {
				t.Fatalf("health %s, want %s", got.Health, tc.health)
			}
			if held := time.Until(got.HoldUntil) > time.Minute; held != tc.held {
				t.Fatalf("hold_until %s, held=%v want %v", got.HoldUntil, held, tc.held)
			}
			if _, n, _ := db.ListEvents(ctx, store.EventFilter{IntegrationID: in.ID}, store.Page{}); n != 200 {
				t.Fatalf("%d events stored before the error, want 200", n)
			}
			logs, _, _ := db.ListLogs(ctx, in.ID, store.Page{Take: 5})
			if len(logs) != 1 || logs[0].Level != tc.logKind || logs[0].Kind != store.LogQuery {
				t.Fatalf("activity log %+v", logs)
			}
		})
	}
}

// A commit that fails (the integration was deleted mid-run) stops the
// stream: the plugin's next Send sees the error.
func TestRunStopsTheStreamWhenACommitFails(t *testing.T) {
	db, in := setup(t)
	ctx := context.Background()
	sends := 0
	c := pollFunc(func(ctx context.Context, req sdk.PollRequest, out sdk.Stream) error {
		for i := 0; i < 50; i++ {
			if i == 2 {
				if err := db.DeleteIntegration(ctx, in.ID); err != nil {
					return err
				}
			}
			if err := out.Send(sdk.Batch{Events: events(i*10, 10), Cursor: fmt.Sprint(i)}); err != nil {
				return err
			}
			sends++
		}
		return nil
	})
	r := runner(db, c, 10)
	if err := r.Run(ctx, scheduler.Job{IntegrationID: in.ID, Kind: scheduler.KindNew}); err == nil {
		t.Fatal("a run whose commits fail reported success")
	}
	if sends > 6 {
		t.Fatalf("the plugin kept sending %d batches after commits failed", sends)
	}
}
