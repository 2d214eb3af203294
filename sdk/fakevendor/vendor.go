package fakevendor

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Vendor is one fake vendor.
type Vendor interface {
	// Name is the plugin name and the vendorsim path (/<name>/).
	Name() string
	// Handler answers the vendor's API with paths relative to its root.
	Handler() http.Handler
	// Config is a working integration config for the vendor's plugin when
	// the fake is served at baseURL.
	Config(baseURL string) map[string]any
	// Store holds its alerts.
	Store() *Store
}

// Mux serves vendors the way cmd/vendorsim does: each under /<name>/, and its
// state at GET /_sim/<name>/state.
func Mux(vendors ...Vendor) *http.ServeMux {
	mux := http.NewServeMux()
	for _, v := range vendors {
		v := v
		prefix := "/" + v.Name()
		mux.Handle(prefix+"/", http.StripPrefix(prefix, v.Handler()))
		mux.HandleFunc("GET /_sim/"+v.Name()+"/state", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(v.Store().State())
		})
	}
	return mux
}

// Serve starts v on a loopback test server for the length of the test and
// returns the vendor's base URL (http://127.0.0.1:port/<name>).
func Serve(t testing.TB, v Vendor) string {
	t.Helper()
	srv := httptest.NewServer(Mux(v))
	t.Cleanup(srv.Close)
	return srv.URL + "/" + v.Name()
}

// BaseURL rebuilds the absolute root of the vendor from a request it
// received, for the absolute next-page links some vendors return. The fake
// is mounted under /<name>, which StripPrefix removed from r.URL.
func BaseURL(r *http.Request, name string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/" + strings.Trim(name, "/")
}

// WriteJSON writes v as JSON with status code.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
