package main

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/httpclient"
)

// Version is the plugin's version, reported in its manifest.
const Version = "0.1.0"

// Connector is the hello vendor plugin. One process serves every hello
// integration, so everything per integration lives in the client cache.
type Connector struct {
	clients sdk.ClientCache[*client]

	// pageSize is the limit asked of each alerts page; tests lower it to
	// cross page boundaries with few alerts.
	pageSize int
	// settle is how far behind the vendor's clock an idle cursor stops:
	// alerts the vendor is still indexing may yet appear in that span.
	settle time.Duration
}

var (
	_ sdk.ConnectorWithPoll      = (*Connector)(nil)
	_ sdk.ConnectorWithLostFound = (*Connector)(nil)
	_ sdk.ConnectorWithFallback  = (*Connector)(nil)
	_ sdk.ConnectorWithMirror    = (*Connector)(nil)
)

// New returns the connector main serves.
func New() *Connector {
	c := &Connector{pageSize: 500, settle: 5 * time.Second}
	c.clients.New = newClient
	return c
}

// schema is the integration config: the vendor's root URL (a fake stands in
// for it in tests and the demo) and the API key, a secret.
var schema = sdk.Schema{Fields: []sdk.Field{
	{Name: "url", Type: sdk.FieldURL, Required: true,
		Help: "Root of the Hello Vendor API, e.g. https://api.hello.example; the plugin appends /api/v1/..."},
	{Name: "api_key", Type: sdk.FieldSecret, Required: true,
		Help: "API key from Settings > API keys, with the alerts:read scope (alerts:write to mirror case changes)"},
}}

// Describe returns the manifest; it never contacts the vendor.
func (c *Connector) Describe(context.Context, sdk.DescribeRequest) (*sdk.DescribeResponse, error) {
	return &sdk.DescribeResponse{
		Name:     "hello",
		Version:  Version,
		Vendor:   "Hello Vendor",
		Category: sdk.CategorySecurity,
		Schema:   schema,
	}, nil
}

// me is the answer of GET /api/v1/me.
type me struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Org    string   `json:"org"`
	Scopes []string `json:"scopes"`
}

// Test calls GET /api/v1/me, the vendor's cheapest authenticated call. A
// wrong key comes back from httpclient as *sdk.UnauthenticatedError with
// the vendor's message; a key without alerts:read cannot poll.
func (c *Connector) Test(ctx context.Context, req sdk.TestRequest) (*sdk.TestResponse, error) {
	cl, err := c.clients.Get(ctx, req.Integration)
	if err != nil {
		return nil, err
	}
	var who me
	if _, err := cl.http.DoJSON(ctx, http.MethodGet, "/api/v1/me", nil, nil, &who); err != nil {
		return nil, err
	}
	if !slices.Contains(who.Scopes, "alerts:read") {
		return nil, sdk.PermissionDenied("alerts:read", "the api key of %s cannot read alerts", who.Name)
	}
	details := map[string]string{"scope:alerts:read": "ok", "scope:alerts:write": "missing"}
	if slices.Contains(who.Scopes, "alerts:write") {
		details["scope:alerts:write"] = "ok"
	}
	return &sdk.TestResponse{OK: true, Message: "connected to " + who.Org + " as " + who.Name, Details: details}, nil
}

// client is one integration's vendor client.
type client struct {
	http *httpclient.Client
}

// Close releases the idle connections of a client the cache replaced.
func (c *client) Close() error { return c.http.Close() }

func newClient(_ context.Context, in sdk.Integration) (*client, error) {
	key := in.Config.String("api_key")
	h, err := httpclient.New(httpclient.Options{
		BaseURL: in.Config.String("url"),
		Authorize: func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+key)
			return nil
		},
		Logger: sdk.Logger().Named("hello"),
	})
	if err != nil {
		return nil, err
	}
	return &client{http: h}, nil
}
