package main

import (
	"fmt"
	"strings"

	hello "github.com/outpost-soc/outpost/examples/hello/fake"
	cloudflare "github.com/outpost-soc/outpost/plugins/cloudflare/fake"
	crowdstrike "github.com/outpost-soc/outpost/plugins/crowdstrike/fake"
	okta "github.com/outpost-soc/outpost/plugins/okta/fake"
	sentinel "github.com/outpost-soc/outpost/plugins/sentinel/fake"
	splunk "github.com/outpost-soc/outpost/plugins/splunk/fake"
	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// registry lists every fake vendor; a new vendor plugin adds its fake here.
var registry = []struct {
	name string
	new  func(fakevendor.Options) fakevendor.Vendor
}{
	{"hello", func(o fakevendor.Options) fakevendor.Vendor { return hello.New(o) }},
	{"okta", func(o fakevendor.Options) fakevendor.Vendor { return okta.New(o) }},
	{"cloudflare", func(o fakevendor.Options) fakevendor.Vendor { return cloudflare.New(o) }},
	{"sentinel", func(o fakevendor.Options) fakevendor.Vendor { return sentinel.New(o) }},
	{"splunk", func(o fakevendor.Options) fakevendor.Vendor { return splunk.New(o) }},
	{"crowdstrike", func(o fakevendor.Options) fakevendor.Vendor { return crowdstrike.New(o) }},
}

func select_(only string, o fakevendor.Options) ([]fakevendor.Vendor, error) {
	want := map[string]bool{}
	for _, n := range strings.Split(only, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	var out []fakevendor.Vendor
	for _, r := range registry {
		if len(want) == 0 || want[r.name] {
			out = append(out, r.new(o))
			delete(want, r.name)
		}
	}
	for n := range want {
		return nil, fmt.Errorf("unknown vendor %q", n)
	}
	return out, nil
}
