package paging

import (
	"net/http"
	"testing"
)

func TestNextLink(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   string
		ok     bool
	}{
		{"okta", []string{
			`<https://acme.okta.com/api/v1/logs?limit=100&since=2026-03-01T00%3A00%3A00Z>; rel="self"`,
			`<https://acme.okta.com/api/v1/logs?after=1709251200000_1&limit=100>; rel="next"`,
		}, "https://acme.okta.com/api/v1/logs?after=1709251200000_1&limit=100", true},
		{"one header, comma-separated", []string{
			`<https://x/p?page=1>; rel="prev", <https://x/p?page=3>; rel="next"`,
		}, "https://x/p?page=3", true},
		{"comma inside uri and quoted param", []string{
			`<https://x/p?ids=a,b>; title="a, b; c"; rel="next"`,
		}, "https://x/p?ids=a,b", true},
		{"unquoted rel, odd case, spaces", []string{
			`  < /rest/issues?starting_after=abc >;REL=Next`,
		}, "/rest/issues?starting_after=abc", true},
		{"several rel types", []string{
			`<https://x/2>; rel="last next"`,
		}, "https://x/2", true},
		{"no next", []string{`<https://x/1>; rel="self"`}, "", false},
		{"no header", nil, "", false},
		{"garbage", []string{`not a link, <unterminated`}, "", false},
		{"rel in another param's quotes", []string{`<https://x/1>; title="rel=next"`}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.values {
				h.Add("Link", v)
			}
			got, ok := NextLink(h)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("NextLink = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	h := http.Header{"Link": {`<https://x/1>; rel="self", <https://x/2>; rel="next"`}}
	if got, ok := LinkRel(h, "self"); !ok || got != "https://x/1" {
		t.Fatalf("LinkRel(self) = %q, %v", got, ok)
	}
}
