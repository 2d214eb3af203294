package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/httpclient"
)

// Version is the plugin's version, reported in its manifest.
const Version = "0.1.0"

// Connector is the Okta plugin. One process serves every Okta integration,
// so everything per integration lives in the client cache. It polls and
// never mirrors: the System Log is read only, so the connector does not
// implement sdk.ConnectorWithMirror and the host sees no mirror capability.
type Connector struct {
	clients sdk.ClientCache[*client]

	// pageSize is the limit asked of each System Log page (Okta's most is
	// 1000); tests lower it to cross page boundaries with few events.
	pageSize int
	// settle is how far behind Okta's clock an idle cursor stops: events
	// Okta is still persisting may yet appear in that span.
	settle time.Duration
	// maxPages bounds one Poll run; the rest comes on the next run, from
	// the cursor the last page committed.
	maxPages int
	// now is the plugin's clock, used only to keep a start inside Okta's
	// retention before any answer has told the vendor's time.
	now func() time.Time
}

var (
	_ sdk.ConnectorWithPoll      = (*Connector)(nil)
	_ sdk.ConnectorWithLostFound = (*Connector)(nil)
	_ sdk.ConnectorWithFallback  = (*Connector)(nil)
)

// New returns the connector main serves.
func New() *Connector {
	c := &Connector{pageSize: 1000, settle: 15 * time.Second, maxPages: 500, now: time.Now}
	c.clients.New = newClient
	return c
}

// schema is the integration config, in Okta's own words.
var schema = sdk.Schema{Fields: []sdk.Field{
	{Name: "org_url", Type: sdk.FieldURL, Required: true,
		Help: "Your Okta org, e.g. https://acme.okta.com (not the -admin host); the plugin appends /api/v1/logs"},
	{Name: "api_token", Type: sdk.FieldSecret, Required: true,
		Help: "API token (Security > API > Tokens) of an admin who may read the System Log: Read-Only Administrator or higher"},
	{Name: "filter", Type: sdk.FieldString,
		Help: `Optional System Log filter (SCIM expression) passed to Okta as is, e.g. eventType sw "security" or eventType eq "user.session.start" and outcome.result eq "FAILURE"; empty collects every event`},
}}

// Describe returns the manifest; it never contacts the vendor.
func (c *Connector) Describe(context.Context, sdk.DescribeRequest) (*sdk.DescribeResponse, error) {
	return &sdk.DescribeResponse{
		Name:     "okta",
		Version:  Version,
		Vendor:   "Okta",
		Category: sdk.CategoryAuthentication,
		Schema:   schema,
	}, nil
}

// Test reads one System Log event, Okta's cheapest authenticated call that
// proves what polling needs; the configured filter goes with it, so that a
// filter Okta refuses fails the test rather than every poll.
func (c *Connector) Test(ctx context.Context, req sdk.TestRequest) (*sdk.TestResponse, error) {
	cl, err := c.clients.Get(ctx, req.Integration)
	if err != nil {
		return nil, err
	}
	q := url.Values{"limit": {"1"}}
	if cl.filter != "" {
		q.Set("filter", cl.filter)
	}
	var page []*logEvent
	if _, err := cl.http.DoJSON(ctx, http.MethodGet, "/api/v1/logs", q, nil, &page); err != nil {
		return nil, vendorError("reading the system log", err, cl.filter)
	}
	details := map[string]string{"permission:okta.logs.read": "ok"}
	if cl.filter != "" {
		details["filter"] = "accepted"
	}
	return &sdk.TestResponse{OK: true, Message: "connected to " + cl.host + ": the System Log is readable", Details: details}, nil
}

// client is one integration's Okta client.
type client struct {
	http   *httpclient.Client
	filter string
	host   string
	// admin is the root of the org's admin console, for event URLs.
	admin string
}

// Close releases the idle connections of a client the cache replaced.
func (c *client) Close() error { return c.http.Close() }

func newClient(_ context.Context, in sdk.Integration) (*client, error) {
	org := in.Config.String("org_url")
	u, err := url.Parse(org)
	if err != nil || u.Host == "" {
		return nil, sdk.InvalidConfig("org_url", "org_url %q is not a URL", org)
	}
	token := strings.TrimSpace(in.Config.String("api_token"))
	if token == "" {
		return nil, sdk.InvalidConfig("api_token", "api_token is empty")
	}
	h, err := httpclient.New(httpclient.Options{
		BaseURL: org,
		Authorize: func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "SSWS "+token)
			return nil
		},
		Logger: sdk.Logger().Named("okta"),
	})
	if err != nil {
		return nil, err
	}
	return &client{
		http:   h,
		filter: strings.TrimSpace(in.Config.String("filter")),
		host:   u.Host,
		admin:  adminURL(u),
	}, nil
}

// adminURL is the org's admin console: Okta serves it on <org>-admin.<domain>
// for its own domains (acme.okta.com → acme-admin.okta.com). A custom
// domain, or anything else, is used as it is.
func adminURL(u *url.URL) string {
	host := u.Hostname()
	for _, d := range []string{".okta.com", ".oktapreview.com", ".okta-emea.com", ".okta-gov.com", ".okta.mil"} {
		org, ok := strings.CutSuffix(host, d)
		if ok && org != "" && !strings.Contains(org, ".") && !strings.HasSuffix(org, "-admin") {
			host = org + "-admin" + d
			if p := u.Port(); p != "" {
				host += ":" + p
			}
			return u.Scheme + "://" + host
		}
	}
	return strings.TrimRight(u.Scheme+"://"+u.Host+u.Path, "/")
}
