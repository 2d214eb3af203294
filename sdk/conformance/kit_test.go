package conformance

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestKitCatchesBrokenPlugins runs the kit, in a child go test, against a
// plugin (testdata/broken) that breaks one rule per mode, and checks that
// exactly the subtests meant to catch each break fail: no more (the kit
// passes a correct plugin, with or without a served vendor), no fewer.
func TestKitCatchesBrokenPlugins(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a plugin in a child go test")
	}
	want := map[string][]string{
		"ok":                nil,
		"ok-without-vendor": nil,
		"name":              {"Manifest"},
		"auth":              {"Poll/BadCredentials", "Test/BadCredentials"},
		"resume":            {"Poll/BadCursor", "Poll/Resume"},
		"ctx":               {"Cancel"},
		"throttle":          {"Throttled"},
		"lostfound":         {"Fallback", "LostFound"},
		"mirror":            {"Mirror/comment"},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool(), "test", "-count=1", "-json", "-run", "^TestBroken$", "./testdata/broken")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err == nil {
		t.Fatal("the broken plugin passed the kit")
	}

	ran := map[string]bool{}
	var failed []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e struct{ Action, Test string }
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.Test == "" {
			continue
		}
		switch e.Action {
		case "run":
			ran[e.Test] = true
		case "fail":
			failed = append(failed, e.Test)
		}
	}
	if len(ran) == 0 {
		t.Fatalf("the child go test ran nothing: %v\n%s", err, stderr.String())
	}
	// Only the innermost failures count: their parents fail with them.
	got := map[string][]string{}
	for _, f := range failed {
		leaf := !slices.ContainsFunc(failed, func(g string) bool { return strings.HasPrefix(g, f+"/") })
		mode, sub, ok := strings.Cut(strings.TrimPrefix(f, "TestBroken/"), "/")
		if leaf && ok {
			got[mode] = append(got[mode], sub)
		} else if leaf {
			t.Errorf("%s failed outside the kit's subtests", f)
		}
	}
	for mode, subs := range want {
		if !ran["TestBroken/"+mode] {
			t.Errorf("mode %s did not run", mode)
			continue
		}
		slices.Sort(got[mode])
		if !slices.Equal(got[mode], subs) {
			t.Errorf("mode %s: failed subtests %v, want %v", mode, got[mode], subs)
		}
	}
	if t.Failed() {
		t.Logf("child go test output:\n%s", failureLines(out))
	}
}

// failureLines keeps the kit's messages from a go test -json stream.
func failureLines(out []byte) string {
	var b strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e struct{ Action, Output string }
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Action == "output" &&
			(strings.Contains(e.Output, ".go:") || strings.HasPrefix(strings.TrimSpace(e.Output), "--- FAIL")) {
			b.WriteString(e.Output)
		}
	}
	return b.String()
}
