package main

import (
	"os"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/examples/hello/fake"
	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/conformance"
	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// TestBroken runs the kit once per mode of the broken plugin; the kit's own
// test (../../kit_test.go) reads which subtests failed. Run on its own it
// fails by design.
func TestBroken(t *testing.T) {
	bin := conformance.Build(t, ".", "broken")
	modes := []string{"ok", "name", "auth", "resume", "ctx", "throttle", "lostfound", "mirror"}
	if only := os.Getenv("CONFORMANCE_MODES"); only != "" {
		modes = []string{only}
	}
	comment := []sdk.Change{{Kind: sdk.ChangeComment, Comment: "from the kit's test"}}
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			t.Setenv("CONFORMANCE_BREAK", mode)
			f := fake.New(fakevendor.Options{Alerts: 60, Seed: 1})
			conformance.Run(t, conformance.Options{Binary: bin, Vendor: f, Changes: comment})
		})
	}
	// Without Vendor the kit checks what it can through the plugin alone.
	t.Run("ok-without-vendor", func(t *testing.T) {
		t.Setenv("CONFORMANCE_BREAK", "ok")
		f := fake.New(fakevendor.Options{Alerts: 60, Seed: 1})
		conformance.Run(t, conformance.Options{
			Binary:   bin,
			Config:   f.Config(fakevendor.Serve(t, f)),
			Throttle: func(n int) { f.Store().ForceThrottle(n, 30*time.Second) },
			Changes:  comment,
		})
	})
}
