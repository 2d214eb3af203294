package conformance

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/remote"
)

// cancelBound is how soon a cancelled query must stop.
const cancelBound = 2 * time.Second

// throttleRequests is how many vendor requests Throttled answers with the
// rate limit: more than any retry budget of sdk/httpclient.
const throttleRequests = 10

// kit is one run: the plugin, the vendor and what earlier subtests found.
type kit struct {
	opts     Options
	conn     *remote.Client
	manifest *sdk.DescribeResponse
	vendor   *served // nil without Options.Vendor

	// What Poll/FromStart found, for the subtests after it (they run in
	// order, never in parallel).
	polled []sdk.Event
	cursor string
}

// Run builds the plugin, launches it as the host does and runs the
// conformance subtests against it (see the package doc).
func Run(t *testing.T, opts Options) {
	t.Helper()
	if opts.Package == "" {
		opts.Package = "."
	}
	if opts.Name == "" {
		opts.Name = packageName(opts.Package)
		if opts.Binary != "" {
			opts.Name = strings.TrimPrefix(filepath.Base(opts.Binary), BinaryPrefix)
		}
	}
	k := &kit{}
	base := ""
	if opts.Vendor != nil {
		k.vendor = serve(t, opts.Vendor)
		base = k.vendor.base
	}
	bin := opts.Binary
	if bin == "" {
		bin = Build(t, opts.Package, opts.Name, opts.BuildFlags...)
	}
	k.conn = Launch(t, bin)

	ctx, cancel := context.WithTimeout(context.Background(), max(opts.Timeout, DefaultTimeout))
	defer cancel()
	m, err := k.conn.Describe(ctx, sdk.DescribeRequest{})
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	k.manifest = m
	if k.opts, err = withDefaults(opts, base, m.Schema); err != nil {
		t.Fatal(err)
	}

	t.Run("Manifest", k.testManifest)
	t.Run("Capabilities", k.testCapabilities)
	t.Run("Test", k.testTest)
	t.Run("Poll", k.testPoll)
	t.Run("Cancel", k.testCancel)
	t.Run("Throttled", k.testThrottled)
	t.Run("LostFound", func(t *testing.T) { k.testWindow(t, sdk.CapabilityLostFound) })
	t.Run("Fallback", func(t *testing.T) { k.testWindow(t, sdk.CapabilityFallback) })
	t.Run("Mirror", k.testMirror)
}

func (k *kit) has(c sdk.Capability) bool { return slices.Contains(k.manifest.Capabilities, c) }

func (k *kit) need(t *testing.T, c sdk.Capability) {
	t.Helper()
	if !k.has(c) {
		t.Skipf("the plugin does not claim %s", c)
	}
}

func (k *kit) ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), k.opts.Timeout)
	t.Cleanup(cancel)
	return ctx
}

func (k *kit) integration(cfg map[string]any) sdk.Integration {
	return sdk.Integration{ID: "conformance-" + k.opts.Name, Config: sdk.Config(maps.Clone(cfg))}
}

// collect runs a query and returns the batches it streamed.
func collect(run func(sdk.Stream) error) ([]sdk.Batch, error) {
	var out []sdk.Batch
	err := run(sdk.StreamFunc(func(b sdk.Batch) error {
		out = append(out, b)
		return nil
	}))
	return out, err
}

func (k *kit) poll(t *testing.T, cfg map[string]any, cur string) ([]sdk.Batch, error) {
	ctx := k.ctx(t)
	req := sdk.PollRequest{Integration: k.integration(cfg), Cursor: cur, StartTime: k.opts.Start}
	return collect(func(s sdk.Stream) error { return k.conn.Poll(ctx, req, s) })
}

func (k *kit) testManifest(t *testing.T) {
	for _, err := range checkManifest(k.manifest, k.opts.Name, k.opts.Config) {
		t.Error(err)
	}
}

// testCapabilities checks that the manifest tells the truth: an rpc it does
// not claim answers NotSupported. The claimed ones are the later subtests.
func (k *kit) testCapabilities(t *testing.T) {
	in := k.integration(k.opts.Config)
	calls := map[sdk.Capability]func(context.Context) error{
		sdk.CapabilityPoll: func(ctx context.Context) error {
			return k.conn.Poll(ctx, sdk.PollRequest{Integration: in, StartTime: k.opts.Start}, sdk.StreamFunc(func(sdk.Batch) error { return nil }))
		},
		sdk.CapabilityLostFound: func(ctx context.Context) error {
			return k.conn.LostFound(ctx, sdk.WindowRequest{Integration: in, From: k.opts.From, To: time.Now()}, sdk.StreamFunc(func(sdk.Batch) error { return nil }))
		},
		sdk.CapabilityFallback: func(ctx context.Context) error {
			return k.conn.Fallback(ctx, sdk.WindowRequest{Integration: in, From: k.opts.From, To: time.Now()}, sdk.StreamFunc(func(sdk.Batch) error { return nil }))
		},
		sdk.CapabilityMirror: func(ctx context.Context) error {
			_, err := k.conn.Mirror(ctx, sdk.MirrorRequest{Integration: in, Change: sdk.Change{ID: "conformance-unclaimed", Kind: sdk.ChangeComment, Comment: "x"}})
			return err
		},
	}
	for _, c := range capabilities {
		if k.has(c) {
			continue
		}
		var ns *sdk.NotSupportedError
		if err := calls[c](k.ctx(t)); !errors.As(err, &ns) {
			t.Errorf("%s is not claimed, but calling it answered %v, want *sdk.NotSupportedError", c, err)
		}
	}
}

func (k *kit) testTest(t *testing.T) {
	test := func(t *testing.T, cfg map[string]any) (*sdk.TestResponse, error) {
		return k.conn.Test(k.ctx(t), sdk.TestRequest{Integration: k.integration(cfg)})
	}
	t.Run("OK", func(t *testing.T) {
		r, err := test(t, k.opts.Config)
		if err != nil {
			t.Fatalf("Test with the working config: %v", err)
		}
		if !r.OK {
			t.Fatalf("Test with the working config answered not ok: %s", r.Message)
		}
	})
	t.Run("BadCredentials", func(t *testing.T) {
		if k.opts.BadCredentials == nil {
			t.Skip("no BadCredentials and no secret field to spoil")
		}
		r, err := test(t, k.opts.BadCredentials)
		var ua *sdk.UnauthenticatedError
		if !errors.As(err, &ua) {
			t.Fatalf("Test with bad credentials answered (%+v, %v), want *sdk.UnauthenticatedError", r, err)
		}
	})
	t.Run("BadConfig", func(t *testing.T) {
		cases := map[string]map[string]any{"unknown field": withField(k.opts.Config, unknownField, true)}
		if k.opts.BadConfig != nil {
			cases["Options.BadConfig"] = k.opts.BadConfig
		}
		for name, cfg := range cases {
			r, err := test(t, cfg)
			var ic *sdk.InvalidConfigError
			if !errors.As(err, &ic) {
				t.Errorf("Test with %s answered (%+v, %v), want *sdk.InvalidConfigError", name, r, err)
			}
		}
	})
	t.Run("MissingRequired", func(t *testing.T) {
		n := 0
		for _, f := range k.manifest.Schema.Fields {
			if !f.Required || f.Default != nil {
				continue
			}
			n++
			cfg := maps.Clone(k.opts.Config)
			delete(cfg, f.Name)
			r, err := test(t, cfg)
			var ic *sdk.InvalidConfigError
			if !errors.As(err, &ic) {
				t.Errorf("Test without required field %q answered (%+v, %v), want *sdk.InvalidConfigError", f.Name, r, err)
			}
		}
		if n == 0 {
			t.Skip("the schema has no required field without a default")
		}
	})
}

func withField(cfg map[string]any, k string, v any) map[string]any {
	out := maps.Clone(cfg)
	out[k] = v
	return out
}

func (k *kit) testPoll(t *testing.T) {
	k.need(t, sdk.CapabilityPoll)
	t.Run("FromStart", func(t *testing.T) {
		batches, err := k.poll(t, k.opts.Config, "")
		if err != nil {
			t.Fatalf("Poll from an empty cursor (start %s): %v", k.opts.Start.Format(time.RFC3339), err)
		}
		evs := eventsOf(batches)
		for _, err := range checkEvents(evs) {
			t.Error(err)
		}
		if len(evs) == 0 {
			t.Fatalf("Poll from %s returned no events: the vendor must hold some after Options.Start", k.opts.Start.Format(time.RFC3339))
		}
		cur := lastCursor(batches)
		if cur == "" {
			t.Fatal("Poll returned events but no cursor: the host would read them again forever")
		}
		k.polled, k.cursor = evs, cur
		t.Logf("%d events in %d batches", len(evs), len(batches))
	})
	t.Run("Resume", func(t *testing.T) {
		if k.cursor == "" {
			t.Skip("needs Poll/FromStart")
		}
		batches, err := k.poll(t, k.opts.Config, k.cursor)
		if err != nil {
			t.Fatalf("Poll from the cursor of the first poll: %v", err)
		}
		evs := eventsOf(batches)
		for _, err := range checkEvents(evs) {
			t.Error(err)
		}
		if dup := overlap(ids(k.polled), evs); len(dup) > 0 {
			t.Errorf("a poll resumed from the cursor returned %d events the first poll had already returned: %s",
				len(dup), firstN(dup, 5))
		}
	})
	t.Run("BadCursor", func(t *testing.T) {
		batches, err := k.poll(t, k.opts.Config, "conformance: not a cursor {")
		if err == nil {
			t.Error("Poll accepted an unreadable cursor: it must fail visibly, never restart silently")
		}
		if n := len(eventsOf(batches)); n > 0 {
			t.Errorf("Poll with an unreadable cursor streamed %d events: a silent restart", n)
		}
	})
	t.Run("BadCredentials", func(t *testing.T) {
		if k.opts.BadCredentials == nil {
			t.Skip("no BadCredentials and no secret field to spoil")
		}
		_, err := k.poll(t, k.opts.BadCredentials, "")
		if !sdk.IsCredentialError(err) {
			t.Errorf("Poll with bad credentials answered %v, want *sdk.UnauthenticatedError or *sdk.PermissionDeniedError", err)
		}
	})
}

// query starts the first query rpc the plugin claims, for the subtests that
// need any one.
func (k *kit) query(ctx context.Context, out sdk.Stream) (string, func() error) {
	in := k.integration(k.opts.Config)
	w := sdk.WindowRequest{Integration: in, From: k.opts.From, To: k.windowEnd()}
	switch {
	case k.has(sdk.CapabilityPoll):
		return "Poll", func() error {
			return k.conn.Poll(ctx, sdk.PollRequest{Integration: in, StartTime: k.opts.Start}, out)
		}
	case k.has(sdk.CapabilityLostFound):
		return "LostFound", func() error { return k.conn.LostFound(ctx, w, out) }
	case k.has(sdk.CapabilityFallback):
		return "Fallback", func() error { return k.conn.Fallback(ctx, w, out) }
	}
	return "", nil
}

func (k *kit) windowEnd() time.Time {
	if !k.opts.To.IsZero() {
		return k.opts.To
	}
	return time.Now()
}

// testCancel checks that a cancelled query stops promptly. With a served
// vendor it holds the plugin's first vendor request, cancels the query and
// requires both the rpc and that request to end: a plugin that does not
// pass its context to the vendor call would keep working for nobody.
func (k *kit) testCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := make(chan struct{})
	var once sync.Once
	name, run := k.query(ctx, sdk.StreamFunc(func(sdk.Batch) error {
		once.Do(func() { close(first) })
		return nil
	}))
	if run == nil {
		t.Skip("the plugin claims no query")
	}
	var held <-chan *http.Request
	if k.vendor != nil {
		held = k.vendor.gate.close()
		defer k.vendor.gate.open()
	}
	done := make(chan error, 1)
	go func() { done <- run() }()

	var pending *http.Request
	select {
	case pending = <-held: // nil channel without a vendor: never
	case <-first:
	case err := <-done:
		t.Fatalf("%s ended before it could be cancelled: %v", name, err)
	case <-time.After(k.opts.Timeout):
		t.Fatalf("%s neither called the vendor nor sent a batch within %s", name, k.opts.Timeout)
	}
	cancel()
	deadline := time.After(cancelBound)
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("a cancelled %s returned no error", name)
		}
	case <-deadline:
		t.Fatalf("%s did not stop within %s of its context being cancelled", name, cancelBound)
	}
	if pending != nil {
		select {
		case <-pending.Context().Done():
		case <-deadline:
			t.Errorf("%s was cancelled, but its vendor request %s %s still ran %s later: pass ctx to every vendor call",
				name, pending.Method, pending.URL.Path, cancelBound)
		}
	}
}

func (k *kit) testThrottled(t *testing.T) {
	if k.opts.Throttle == nil {
		t.Skip("no Options.Throttle and no Options.Vendor")
	}
	k.opts.Throttle(throttleRequests)
	defer k.opts.Throttle(0)
	ctx := k.ctx(t)
	name, run := k.query(ctx, sdk.StreamFunc(func(sdk.Batch) error { return nil }))
	var err error
	if run != nil {
		err = run()
	} else {
		name = "Test"
		_, err = k.conn.Test(ctx, sdk.TestRequest{Integration: k.integration(k.opts.Config)})
	}
	var ra *sdk.RetryAfterError
	if !errors.As(err, &ra) {
		t.Fatalf("%s against a vendor answering its rate limit returned %v, want *sdk.RetryAfterError", name, err)
	}
	if ra.Wait <= 0 {
		t.Errorf("%s returned a RetryAfterError with wait %s, want the vendor's positive wait", name, ra.Wait)
	}
}

func (k *kit) testWindow(t *testing.T, c sdk.Capability) {
	k.need(t, c)
	if len(k.polled) == 0 {
		t.Skip("needs Poll/FromStart's events")
	}
	ctx := k.ctx(t)
	req := sdk.WindowRequest{Integration: k.integration(k.opts.Config), From: k.opts.From, To: k.windowEnd()}
	batches, err := collect(func(s sdk.Stream) error {
		if c == sdk.CapabilityLostFound {
			return k.conn.LostFound(ctx, req, s)
		}
		return k.conn.Fallback(ctx, req, s)
	})
	if err != nil {
		t.Fatalf("%s over [%s, %s): %v", c, req.From.Format(time.RFC3339), req.To.Format(time.RFC3339), err)
	}
	evs := eventsOf(batches)
	for _, err := range checkEvents(evs) {
		t.Error(err)
	}
	if len(overlap(ids(k.polled), evs)) == 0 {
		t.Errorf("%s over [%s, %s) returned %d events, none of them among the %d Poll returned from the same start",
			c, req.From.Format(time.RFC3339), req.To.Format(time.RFC3339), len(evs), len(k.polled))
	}
}

func (k *kit) testMirror(t *testing.T) {
	k.need(t, sdk.CapabilityMirror)
	changes := k.opts.Changes
	if changes == nil {
		changes = defaultChanges(k.manifest.Category)
	}
	stamp := time.Now().UnixNano()
	for i, ch := range changes {
		if ch.ID == "" {
			ch.ID = fmt.Sprintf("conformance-%d-%d", stamp, i)
		}
		t.Run(string(ch.Kind), func(t *testing.T) {
			if ch.OriginalID == "" && ch.Kind != sdk.ChangeNotify {
				if len(k.polled) == 0 {
					t.Skip("the change names no event and Poll/FromStart found none")
				}
				ch.OriginalID = k.polled[0].OriginalID
			}
			k.mirrorTwice(t, ch)
		})
	}
}

func (k *kit) mirrorTwice(t *testing.T, ch sdk.Change) {
	req := sdk.MirrorRequest{Integration: k.integration(k.opts.Config), Change: ch}
	before := 0
	if k.vendor != nil {
		before = k.vendor.mirrored()
	}
	r, err := k.conn.Mirror(k.ctx(t), req)
	if err != nil {
		t.Fatalf("Mirror %s change %s: %v", ch.Kind, ch.ID, err)
	}
	if !r.Applied {
		t.Errorf("Mirror of a new %s change answered Applied=false (%s)", ch.Kind, r.Message)
	}
	once := before
	if k.vendor != nil {
		if once = k.vendor.mirrored(); once == before {
			t.Errorf("Mirror %s answered %+v, but no write-back reached the vendor", ch.Kind, r)
		}
	}
	r, err = k.conn.Mirror(k.ctx(t), req)
	if err != nil {
		t.Fatalf("Mirror %s applied again (a redelivery): %v", ch.Kind, err)
	}
	if k.vendor != nil {
		if twice := k.vendor.mirrored(); twice != once {
			t.Errorf("the same %s change applied twice wrote to the vendor %d more times: it must be effectively once per change id",
				ch.Kind, twice-once)
		}
	}
	if k.opts.MirrorCheck != nil {
		k.opts.MirrorCheck(t, ch)
	}
}
