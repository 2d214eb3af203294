package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/outpost-soc/outpost/plugins/splunk/fake"
	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

func TestTest(t *testing.T) {
	f := fake.New(fakevendor.Options{Alerts: 10, Seed: 3})
	base, _ := serve(t, f, nil)
	token := f.Config(base)
	password := map[string]any{"url": base, "username": fake.Username, "password": f.Password()}

	t.Run("token", func(t *testing.T) {
		r, err := testConnector().Test(ctx(t), sdk.TestRequest{Integration: integration(t, "tok", token)})
		if err != nil || !r.OK {
			t.Fatalf("Test = %+v, %v", r, err)
		}
		for _, k := range []string{"capability:search", "capability:edit_notable_events"} {
			if r.Details[k] != "ok" {
				t.Errorf("details[%s] = %q, want ok (details %v)", k, r.Details[k], r.Details)
			}
		}
		if r.Details["auth"] != "authentication token" || r.Details["version"] != fake.Version {
			t.Errorf("details %v", r.Details)
		}
	})
	t.Run("username and password", func(t *testing.T) {
		r, err := testConnector().Test(ctx(t), sdk.TestRequest{Integration: integration(t, "pw", password)})
		if err != nil || !r.OK || r.Details["auth"] != "session key" {
			t.Fatalf("Test = %+v, %v", r, err)
		}
	})

	unauth := []struct {
		name, want string
		cfg        map[string]any
	}{
		{"wrong token", "call not properly authenticated", with(token, "token", "not-the-token-0123456789")},
		{"wrong password", "Login failed", with(password, "password", "not-the-password-0123")},
		{"unknown user", "Login failed", with(password, "username", "mallory")},
	}
	for _, tc := range unauth {
		t.Run(tc.name, func(t *testing.T) {
			_, err := testConnector().Test(ctx(t), sdk.TestRequest{Integration: integration(t, tc.name, tc.cfg)})
			var ua *sdk.UnauthenticatedError
			if !errors.As(err, &ua) {
				t.Fatalf("Test = %v, want *sdk.UnauthenticatedError", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not carry splunkd's message %q", err, tc.want)
			}
			for _, secret := range []string{f.Token(), f.Password()} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q carries a secret", err)
				}
			}
		})
	}

	invalid := []struct {
		name, field string
		cfg         map[string]any
	}{
		{"no credentials", "token", map[string]any{"url": base}},
		{"password without user", "token", map[string]any{"url": base, "password": "x"}},
		{"token and password", "token", with(token, "username", "u", "password", "p")},
		{"index with a search in it", "index", with(token, "index", "notable | delete")},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			_, err := testConnector().Test(ctx(t), sdk.TestRequest{Integration: integration(t, tc.name, tc.cfg)})
			var ic *sdk.InvalidConfigError
			if !errors.As(err, &ic) || ic.Field != tc.field {
				t.Fatalf("Test = %v, want *sdk.InvalidConfigError on %s", err, tc.field)
			}
		})
	}

	t.Run("missing capability", func(t *testing.T) {
		g := fake.New(fakevendor.Options{Alerts: 1, Seed: 3})
		g.SetCapabilities("search", "list_settings")
		gb, _ := serve(t, g, nil)
		_, err := testConnector().Test(ctx(t), sdk.TestRequest{Integration: integration(t, "nocap", g.Config(gb))})
		var pd *sdk.PermissionDeniedError
		if !errors.As(err, &pd) || pd.Permission != "edit_notable_events" {
			t.Fatalf("Test = %v, want *sdk.PermissionDeniedError naming edit_notable_events", err)
		}
	})
}

func TestDescribe(t *testing.T) {
	d, err := New().Describe(ctx(t), sdk.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "splunk" || d.Category != sdk.CategoryMonitoring {
		t.Errorf("manifest %+v", d)
	}
	if err := d.Schema.Check(); err != nil {
		t.Error(err)
	}
	for _, name := range []string{"token", "password"} {
		if f, ok := d.Schema.Field(name); !ok || !f.IsSecret() {
			t.Errorf("field %s is not a secret", name)
		}
	}
}

func TestWebRoot(t *testing.T) {
	for in, want := range map[string]string{
		"https://splunk.example.com:8089":         "https://splunk.example.com:8000",
		"https://acme.splunkcloud.com:8089":       "https://acme.splunkcloud.com",
		"https://splunk.example.com/splunkd/prox": "https://splunk.example.com",
		"http://127.0.0.1:5555/splunk":            "http://127.0.0.1:5555",
	} {
		if got := webRoot(in); got != want {
			t.Errorf("webRoot(%s) = %s, want %s", in, got, want)
		}
	}
}
