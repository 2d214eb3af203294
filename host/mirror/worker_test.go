package mirror

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/host/store"
	"github.com/outpost-soc/outpost/sdk"
)

// fakeConnector is a mirroring connector made of function fields.
type fakeConnector struct {
	mirror func(sdk.MirrorRequest) (*sdk.MirrorResponse, error)
}

func (f *fakeConnector) Describe(context.Context, sdk.DescribeRequest) (*sdk.DescribeResponse, error) {
	return &sdk.DescribeResponse{Name: "fake"}, nil
}
func (f *fakeConnector) Test(context.Context, sdk.TestRequest) (*sdk.TestResponse, error) {
	return &sdk.TestResponse{OK: true}, nil
}
func (f *fakeConnector) Mirror(_ context.Context, r sdk.MirrorRequest) (*sdk.MirrorResponse, error) {
	return f.mirror(r)
}

var _ sdk.ConnectorWithMirror = (*fakeConnector)(nil)

type fixture struct {
	db     *store.DB
	in     *store.Integration
	caseID string
}

func setup(t *testing.T) fixture {
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
	in := &store.Integration{CustomerID: c.ID, Type: "fake", Name: "f", Mirroring: true, Status: store.StatusActive,
		Config: map[string]any{"url": "http://127.0.0.1:1"}, Secrets: map[string]string{"api_key": "s3cret-value"}}
	if err := db.CreateIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	res, err := db.Commit(ctx, store.CommitRequest{IntegrationID: in.ID, CustomerID: c.ID, Origin: "fake", Kind: "new",
		Events: []sdk.Event{{OriginalID: "A-1", Title: "t", Severity: 50, Raw: []byte(`{}`)}}, Now: time.Now()})
	if err != nil || len(res.CaseIDs) != 1 {
		t.Fatalf("commit: %v %+v", err, res)
	}
	return fixture{db: db, in: in, caseID: res.CaseIDs[0]}
}

func (f fixture) enqueue(t *testing.T, kinds ...sdk.ChangeKind) []string {
	t.Helper()
	var ids []string
	for _, k := range kinds {
		m := &store.MirrorItem{CaseID: f.caseID, Change: sdk.Change{Kind: k, Status: "CLOSED", Comment: "c"}}
		if err := f.db.EnqueueMirror(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	return ids
}

func (f fixture) state(t *testing.T) map[string]store.MirrorItem {
	t.Helper()
	items, _, err := f.db.ListMirror(context.Background(), f.caseID, store.Page{Take: 100})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.MirrorItem{}
	for _, it := range items {
		out[it.ID] = it
	}
	return out
}

func runWorker(t *testing.T, w *Worker, until func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for !until() {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatal("worker did not reach the expected state in 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
}

func TestWorkerDeliversInOrderWithSecretsAndRetries(t *testing.T) {
	f := setup(t)
	ids := f.enqueue(t, sdk.ChangeStatus, sdk.ChangeComment, sdk.ChangeClose)
	var mu sync.Mutex
	var got []sdk.ChangeKind
	calls := 0
	conn := &fakeConnector{mirror: func(r sdk.MirrorRequest) (*sdk.MirrorResponse, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if r.Integration.Config.String("api_key") != "s3cret-value" || r.Change.OriginalID != "A-1" || r.Change.ID == "" {
			t.Errorf("plugin got integration %v change %+v", r.Integration.ID, r.Change)
		}
		if calls == 2 { // the comment fails once: the close must wait for it
			return nil, errors.New("vendor hiccup")
		}
		got = append(got, r.Change.Kind)
		return &sdk.MirrorResponse{Applied: true}, nil
	}}
	w := New(Options{Store: f.db, Connector: func(string) (sdk.Connector, error) { return conn, nil },
		Poll: 5 * time.Millisecond, BaseBackoff: 20 * time.Millisecond})
	runWorker(t, w, func() bool {
		st := f.state(t)
		return st[ids[2]].State == store.MirrorDelivered
	})
	want := []sdk.ChangeKind{sdk.ChangeStatus, sdk.ChangeComment, sdk.ChangeClose}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("delivered %v, want %v", got, want)
	}
	if st := f.state(t); st[ids[1]].Attempts != 2 {
		t.Fatalf("comment attempts %d, want 2", st[ids[1]].Attempts)
	}
}

func TestWorkerHonoursRetryAfterAndGivesUp(t *testing.T) {
	f := setup(t)
	ids := f.enqueue(t, sdk.ChangeStatus)
	conn := &fakeConnector{mirror: func(sdk.MirrorRequest) (*sdk.MirrorResponse, error) {
		return nil, sdk.RetryAfter(time.Hour, errors.New("429"))
	}}
	w := New(Options{Store: f.db, Connector: func(string) (sdk.Connector, error) { return conn, nil }, Poll: 5 * time.Millisecond})
	runWorker(t, w, func() bool { return f.state(t)[ids[0]].Attempts == 1 })
	it := f.state(t)[ids[0]]
	if it.State != store.MirrorPending || time.Until(it.NextAt) < 50*time.Minute {
		t.Fatalf("after a retry-after of 1h: %+v", it)
	}

	f2 := setup(t)
	ids = f2.enqueue(t, sdk.ChangeStatus)
	failing := &fakeConnector{mirror: func(sdk.MirrorRequest) (*sdk.MirrorResponse, error) { return nil, errors.New("boom") }}
	w = New(Options{Store: f2.db, Connector: func(string) (sdk.Connector, error) { return failing, nil },
		Poll: 5 * time.Millisecond, BaseBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, MaxAttempts: 3})
	runWorker(t, w, func() bool { return f2.state(t)[ids[0]].State == store.MirrorFailed })
	if it := f2.state(t)[ids[0]]; it.Attempts != 3 || it.Error == "" {
		t.Fatalf("given up item: %+v", it)
	}
	logs, _, _ := f2.db.ListLogs(context.Background(), f2.in.ID, store.Page{Take: 10})
	if len(logs) == 0 {
		t.Fatal("giving up was not written to the activity log")
	}
}

func TestWorkerFailsAtOnceWhenThePluginCannotMirror(t *testing.T) {
	f := setup(t)
	ids := f.enqueue(t, sdk.ChangeAssign)
	w := New(Options{Store: f.db, Poll: 5 * time.Millisecond, Connector: func(string) (sdk.Connector, error) {
		return &pollOnly{}, nil
	}})
	runWorker(t, w, func() bool { return f.state(t)[ids[0]].State == store.MirrorFailed })
	if it := f.state(t)[ids[0]]; it.Attempts != 1 {
		t.Fatalf("attempts %d, want 1: a missing capability is not retried", it.Attempts)
	}
}

type pollOnly struct{}

func (pollOnly) Describe(context.Context, sdk.DescribeRequest) (*sdk.DescribeResponse, error) {
	return &sdk.DescribeResponse{}, nil
}
func (pollOnly) Test(context.Context, sdk.TestRequest) (*sdk.TestResponse, error) {
	return &sdk.TestResponse{OK: true}, nil
}
