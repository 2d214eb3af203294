// Command broken is a plugin for the hello fake that breaks one protocol
// rule on demand (CONFORMANCE_BREAK=<mode>), so that the conformance kit's
// own test can prove each subtest catches what it should. With no mode it
// is a correct, minimal plugin.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/cursor"
)

func main() { sdk.Serve(&conn{mode: os.Getenv("CONFORMANCE_BREAK")}) }

type conn struct{ mode string }

var (
	_ sdk.ConnectorWithPoll      = (*conn)(nil)
	_ sdk.ConnectorWithLostFound = (*conn)(nil)
	_ sdk.ConnectorWithFallback  = (*conn)(nil)
	_ sdk.ConnectorWithMirror    = (*conn)(nil)
)

func (c *conn) Describe(context.Context, sdk.DescribeRequest) (*sdk.DescribeResponse, error) {
	name := "broken"
	if c.mode == "name" {
		name = "other"
	}
	return &sdk.DescribeResponse{Name: name, Version: "0.0.1", Vendor: "Hello Vendor", Category: sdk.CategorySecurity,
		Schema: sdk.Schema{Fields: []sdk.Field{
			{Name: "url", Type: sdk.FieldURL, Required: true, Help: "vendor root"},
			{Name: "api_key", Type: sdk.FieldSecret, Required: true, Help: "api key"},
		}}}, nil
}

// do calls the vendor and maps its errors, unless the mode breaks that.
func (c *conn) do(ctx context.Context, in sdk.Integration, method, path string, q url.Values, body, out any) error {
	if c.mode == "ctx" {
		ctx = context.Background()
	}
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	u := in.Config.String("url") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+in.Config.String("api_key"))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized && c.mode != "auth":
		return sdk.Unauthenticated("vendor refused the api key")
	case resp.StatusCode == http.StatusTooManyRequests && c.mode != "throttle":
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return sdk.RetryAfter(time.Duration(secs)*time.Second, errors.New("vendor rate limit"))
	case resp.StatusCode >= 300:
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func (c *conn) Test(ctx context.Context, req sdk.TestRequest) (*sdk.TestResponse, error) {
	if err := c.do(ctx, req.Integration, "GET", "/api/v1/me", nil, nil, nil); err != nil {
		return nil, err
	}
	return &sdk.TestResponse{OK: true}, nil
}

type alert struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	Title     string    `json:"title"`
}

type page struct {
	Alerts     []alert   `json:"alerts"`
	NextCursor string    `json:"next_cursor"`
	Until      time.Time `json:"until"`
}

func event(a alert) sdk.Event {
	return sdk.Event{OriginalID: a.ID, Title: a.Title, Severity: 50, DetectionTime: a.CreatedAt}
}

func (c *conn) pages(ctx context.Context, in sdk.Integration, since, until time.Time, fn func(page, bool) error) error {
	q := url.Values{"since": {since.Format(time.RFC3339Nano)}, "limit": {"50"}}
	if !until.IsZero() {
		q.Set("until", until.Format(time.RFC3339Nano))
	}
	for {
		var p page
		if err := c.do(ctx, in, "GET", "/api/v1/alerts", q, nil, &p); err != nil {
			return err
		}
		if err := fn(p, p.NextCursor == ""); err != nil || p.NextCursor == "" {
			return err
		}
		q = url.Values{"cursor": {p.NextCursor}, "limit": {"50"}}
	}
}

func (c *conn) Poll(ctx context.Context, req sdk.PollRequest, out sdk.Stream) error {
	cur, err := cursor.Decode(req.Cursor)
	if err != nil && c.mode != "resume" {
		return err
	}
	if c.mode == "resume" || cur.IsZero() {
		cur = cursor.TimeID{Time: req.StartTime}
	}
	return c.pages(ctx, req.Integration, cur.Time, time.Time{}, func(p page, last bool) error {
		var evs []sdk.Event
		for _, a := range p.Alerts {
			if cur.After(a.CreatedAt, a.ID) {
				cur.Advance(a.CreatedAt, a.ID)
				evs = append(evs, event(a))
			}
		}
		if last {
			cur.AdvanceTo(p.Until.Add(-5 * time.Second))
		}
		return out.Send(sdk.Batch{Events: evs, Cursor: cur.Encode()})
	})
}

func (c *conn) window(ctx context.Context, req sdk.WindowRequest, out sdk.Stream) error {
	if c.mode == "lostfound" {
		return nil
	}
	return c.pages(ctx, req.Integration, req.From, req.To, func(p page, _ bool) error {
		var evs []sdk.Event
		for _, a := range p.Alerts {
			evs = append(evs, event(a))
		}
		return out.Send(sdk.Batch{Events: evs})
	})
}

func (c *conn) LostFound(ctx context.Context, req sdk.WindowRequest, out sdk.Stream) error {
	return c.window(ctx, req, out)
}

func (c *conn) Fallback(ctx context.Context, req sdk.WindowRequest, out sdk.Stream) error {
	return c.window(ctx, req, out)
}

// Mirror handles comments only; the kit's test asks for nothing else.
func (c *conn) Mirror(ctx context.Context, req sdk.MirrorRequest) (*sdk.MirrorResponse, error) {
	ch := req.Change
	if ch.Kind != sdk.ChangeComment {
		return nil, sdk.NotSupported(string(ch.Kind))
	}
	path := "/api/v1/alerts/" + url.PathEscape(ch.OriginalID) + "/comments"
	if c.mode != "mirror" {
		var list struct {
			Comments []struct {
				Text string `json:"text"`
			} `json:"comments"`
		}
		if err := c.do(ctx, req.Integration, "GET", path, nil, nil, &list); err != nil {
			return nil, err
		}
		for _, cm := range list.Comments {
			if strings.Contains(cm.Text, ch.Marker()) {
				return &sdk.MirrorResponse{Applied: false}, nil
			}
		}
	}
	body := map[string]string{"text": ch.Comment + " " + ch.Marker()}
	if err := c.do(ctx, req.Integration, "POST", path, nil, body, nil); err != nil {
		return nil, err
	}
	return &sdk.MirrorResponse{Applied: true}, nil
}
