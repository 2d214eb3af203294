package paging

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestGuard(t *testing.T) {
	type page struct {
		next  string
		items int
	}
	tests := []struct {
		name    string
		guard   Guard
		first   string
		pages   []page
		fetched int // pages Next allowed, plus the first
		err     error
	}{
		{"natural end", Guard{}, "", []page{{"t1", 10}, {"t2", 10}, {"", 3}}, 3, nil},
		{"repeated token", Guard{}, "", []page{{"t1", 10}, {"t2", 10}, {"t1", 10}}, 3, ErrLoop},
		{"next link to the page just fetched", Guard{}, "/api/v1/logs?limit=2&since=x",
			[]page{{"/api/v1/logs?since=x&limit=2", 2}}, 1, ErrLoop},
		{"absolute next link to itself", Guard{}, "",
			[]page{{"https://acme.okta.com/api/v1/logs?after=1&limit=2", 2}, {"HTTPS://ACME.okta.com/api/v1/logs?limit=2&after=1#x", 2}}, 2, ErrLoop},
		{"okta: next link on an empty page", Guard{}, "", []page{{"/l?after=1", 100}, {"/l?after=2", 0}}, 2, nil},
		{"empty pages tolerated", Guard{MaxEmpty: 2}, "", []page{{"a", 0}, {"b", 0}, {"c", 5}, {"d", 0}, {"e", 0}, {"f", 0}}, 6, nil},
		{"max pages", Guard{MaxPages: 3}, "", []page{{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}}, 3, ErrMaxPages},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := tt.guard
			g.Begin(tt.first)
			fetched := 1
			var err error
			for _, p := range tt.pages {
				var more bool
				more, err = g.Next(p.next, p.items)
				if !more {
					break
				}
				fetched++
			}
			if fetched != tt.fetched {
				t.Fatalf("fetched %d pages, want %d", fetched, tt.fetched)
			}
			if tt.err == nil && err != nil || tt.err != nil && !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
		})
	}
}

func TestGuardDefaultBound(t *testing.T) {
	var g Guard
	n := 1
	for ; n < 2*DefaultMaxPages; n++ {
		more, err := g.Next(fmt.Sprintf("token-%d", n), 1)
		if err != nil {
			if !errors.Is(err, ErrMaxPages) {
				t.Fatal(err)
			}
			break
		}
		if !more {
			t.Fatal("stopped early")
		}
	}
	if n != DefaultMaxPages || g.Pages() != DefaultMaxPages {
		t.Fatalf("stopped at %d (Pages %d), want %d", n, g.Pages(), DefaultMaxPages)
	}
}

func TestGuardErrorHidesQuery(t *testing.T) {
	var g Guard
	g.Begin("https://x/p?api_key=secret123&page=1")
	_, err := g.Next("https://x/p?page=1&api_key=secret123", 5)
	if !errors.Is(err, ErrLoop) || strings.Contains(err.Error(), "secret123") {
		t.Fatalf("err = %v", err)
	}
}
