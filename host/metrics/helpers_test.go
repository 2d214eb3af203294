package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/outpost-soc/outpost/host/plugin"
	"github.com/outpost-soc/outpost/host/scheduler"
)

// pluginsFunc and statsFunc are fakes from function fields.
type pluginsFunc func() []plugin.Info

func (f pluginsFunc) List() []plugin.Info { return f() }

type statsFunc func() scheduler.Stats

func (f statsFunc) Stats() scheduler.Stats { return f() }

// scrape GETs the handler as Prometheus does, and returns the exposition.
func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: status %d: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Fatalf("scrape: content type %q, want the Prometheus text format", ct)
	}
	b, err := io.ReadAll(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wantLines fails unless every line is a whole line of the exposition.
func wantLines(t *testing.T, body string, lines ...string) {
	t.Helper()
	have := map[string]bool{}
	for _, l := range strings.Split(body, "\n") {
		have[l] = true
	}
	for _, l := range lines {
		if !have[l] {
			t.Errorf("exposition lacks line %q", l)
		}
	}
	if t.Failed() {
		t.Logf("exposition:\n%s", outpostOnly(body))
	}
}

// outpostOnly keeps the outpost_ lines, for readable failures.
func outpostOnly(body string) string {
	var b strings.Builder
	for _, l := range strings.Split(body, "\n") {
		if strings.Contains(l, "outpost_") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}
