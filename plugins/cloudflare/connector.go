package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/httpclient"
)

// Version is the plugin's version, reported in its manifest.
const Version = "0.1.0"

// Connector is the Cloudflare plugin. One process serves every Cloudflare
// integration, so everything per integration lives in the client cache. It
// polls and never mirrors: firewall events are read only, so the connector
// does not implement sdk.ConnectorWithMirror and the host sees no mirror
// capability.
type Connector struct {
	clients sdk.ClientCache[*client]

	// pageSize is the limit asked of each page (at most the dataset's
	// maxPageSize); tests lower it to cross page boundaries.
	pageSize int
	// settle is how far behind Cloudflare's clock an idle cursor stops:
	// the analytics pipeline may still be writing that span.
	settle time.Duration
	// maxPages bounds one Poll run; the rest comes on the next run.
	maxPages int
	// now is the plugin's clock: the upper end of a query window and the
	// retention clamp, never the cursor.
	now func() time.Time
}

var (
	_ sdk.ConnectorWithPoll      = (*Connector)(nil)
	_ sdk.ConnectorWithLostFound = (*Connector)(nil)
	_ sdk.ConnectorWithFallback  = (*Connector)(nil)
)

// New returns the connector main serves.
func New() *Connector {
	c := &Connector{pageSize: 2000, settle: time.Minute, maxPages: 500, now: time.Now}
	c.clients.New = newClient
	return c
}

// schema is the integration config, in Cloudflare's own words.
var schema = sdk.Schema{Fields: []sdk.Field{
	{Name: "api_url", Type: sdk.FieldURL, Default: "https://api.cloudflare.com",
		Help: "Root of the Cloudflare API; the plugin appends /client/v4/..."},
	{Name: "api_token", Type: sdk.FieldSecret, Required: true,
		Help: "API token (My Profile > API Tokens) with Zone > Analytics > Read on the zone; Zone > Zone > Read too for dashboard links"},
	{Name: "zone_tag", Type: sdk.FieldString, Required: true,
		Help: "The zone ID (32 hex digits, on the zone's Overview page)"},
	{Name: "account_tag", Type: sdk.FieldString,
		Help: "Optional account ID (32 hex digits): checks an account-owned token and builds dashboard links when the token cannot read the zone"},
}}

// Describe returns the manifest; it never contacts the vendor.
func (c *Connector) Describe(context.Context, sdk.DescribeRequest) (*sdk.DescribeResponse, error) {
	return &sdk.DescribeResponse{
		Name:     "cloudflare",
		Version:  Version,
		Vendor:   "Cloudflare",
		Category: sdk.CategorySecurity,
		Schema:   schema,
		// Fields left out take the host's defaults (API.md).
		DefaultSchedule: sdk.Schedule{
			LostFoundIntervalS: 600,
		},
	}, nil
}

// verifyResult is the result of GET /client/v4/user/tokens/verify.
type verifyResult struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	ExpiresOn string `json:"expires_on"`
}

// Test verifies the token (Cloudflare's cheapest authenticated call), then
// reads the zone's firewallEventsAdaptive settings, which proves what
// polling needs: Analytics Read on the zone and a plan with the dataset.
func (c *Connector) Test(ctx context.Context, req sdk.TestRequest) (*sdk.TestResponse, error) {
	cl, err := c.clients.Get(ctx, req.Integration)
	if err != nil {
		return nil, err
	}
	var v verifyResult
	_, err = cl.rest(ctx, "/client/v4/user/tokens/verify", &v)
	if sdk.IsCredentialError(err) && cl.account != "" {
		// An account-owned token is verified under its account.
		_, err = cl.rest(ctx, "/client/v4/accounts/"+cl.account+"/tokens/verify", &v)
	}
	if err != nil {
		return nil, fmt.Errorf("verifying the api token: %w", err)
	}
	if v.Status != "active" {
		return nil, sdk.Unauthenticated("the api token is %s, not active", v.Status)
	}
	lim, err := cl.limits(ctx)
	if err != nil {
		return nil, err
	}
	details := map[string]string{
		"token":                          "active",
		"permission:zone.analytics.read": "ok",
		"dataset:firewallEventsAdaptive": fmt.Sprintf("enabled, %s back, %s a query", days(lim.notOlderThan), days(lim.maxDuration)),
	}
	msg := "connected to zone " + cl.zone
	if name, _ := cl.dashboard(ctx); name != "" {
		details["permission:zone.zone.read"] = "ok"
		msg = "connected to zone " + name
	} else {
		details["permission:zone.zone.read"] = "missing: events link to the account's dashboard only"
	}
	return &sdk.TestResponse{OK: true, Message: msg + ": firewall events are readable", Details: details}, nil
}

func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}

// client is one integration's Cloudflare client.
type client struct {
	http          *httpclient.Client
	zone, account string

	mu      sync.Mutex
	lim     limits
	limAt   time.Time
	looked  bool
	zoneURL string // dashboard root of the zone, once looked up
	name    string
}

// Close releases the idle connections of a client the cache replaced.
func (c *client) Close() error { return c.http.Close() }

var cfID = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)

func newClient(_ context.Context, in sdk.Integration) (*client, error) {
	zone := strings.TrimSpace(in.Config.String("zone_tag"))
	if !cfID.MatchString(zone) {
		return nil, sdk.InvalidConfig("zone_tag", "zone_tag %q is not a Cloudflare zone id (32 hex digits)", zone)
	}
	account := strings.TrimSpace(in.Config.String("account_tag"))
	if account != "" && !cfID.MatchString(account) {
		return nil, sdk.InvalidConfig("account_tag", "account_tag %q is not a Cloudflare account id (32 hex digits)", account)
	}
	token := strings.TrimSpace(in.Config.String("api_token"))
	if token == "" {
		return nil, sdk.InvalidConfig("api_token", "api_token is empty")
	}
	base := in.Config.String("api_url")
	if base == "" {
		base = "https://api.cloudflare.com"
	}
	h, err := httpclient.New(httpclient.Options{
		BaseURL: base,
		Authorize: func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+token)
			return nil
		},
		// The GraphQL API allows a query a second with bursts of 300 in
		// five minutes, per user.
		RateLimit: 1,
		Burst:     300,
		Logger:    sdk.Logger().Named("cloudflare"),
	})
	if err != nil {
		return nil, err
	}
	return &client{http: h, zone: strings.ToLower(zone), account: strings.ToLower(account)}, nil
}

// restEnvelope is Cloudflare's REST answer.
type restEnvelope[T any] struct {
	Result   T           `json:"result"`
	Success  bool        `json:"success"`
	Errors   []restError `json:"errors"`
	Messages []restError `json:"messages"`
}

type restError struct {
	Code       int         `json:"code"`
	Message    string      `json:"message"`
	ErrorChain []restError `json:"error_chain"`
}

// rest GETs a REST path into the result of out.
func (cl *client) rest(ctx context.Context, path string, out any) (*http.Response, error) {
	env := restEnvelope[any]{Result: out}
	resp, err := cl.http.DoJSON(ctx, http.MethodGet, path, nil, nil, &env)
	if err != nil {
		return resp, restErr(err)
	}
	if !env.Success {
		return resp, fmt.Errorf("cloudflare %s: %s", path, joinREST(env.Errors))
	}
	return resp, nil
}

// restErr maps Cloudflare's REST error codes: a malformed Authorization
// header (6003, 6111) is a credential problem, not a bad request.
func restErr(err error) error {
	var se *httpclient.StatusError
	if errors.As(err, &se) && se.StatusCode == http.StatusBadRequest {
		var env restEnvelope[any]
		if decodeJSON(se.Body, &env) == nil {
			for _, e := range env.Errors {
				for _, c := range append([]restError{e}, e.ErrorChain...) {
					if c.Code == 6003 || c.Code == 6111 || c.Code == 6103 {
						return sdk.Unauthenticated("cloudflare refused the api token: %s", joinREST(env.Errors))
					}
				}
			}
		}
	}
	return err
}

func joinREST(errs []restError) string {
	var parts []string
	for _, e := range errs {
		s := fmt.Sprintf("%s (code %d)", e.Message, e.Code)
		for _, c := range e.ErrorChain {
			s += fmt.Sprintf(": %s (code %d)", c.Message, c.Code)
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "no error given"
	}
	return strings.Join(parts, "; ")
}

// zoneInfo is the part of GET /client/v4/zones/{id} the plugin reads.
type zoneInfo struct {
	Name    string `json:"name"`
	Account struct {
		ID string `json:"id"`
	} `json:"account"`
}

// dashboard returns the zone's name and the root of its dashboard pages,
// looked up once (it needs Zone Read, which the token may lack: then the
// links go to the account, or to the dashboard's zone picker).
func (cl *client) dashboard(ctx context.Context) (string, string) {
	cl.mu.Lock()
	looked, name, root := cl.looked, cl.name, cl.zoneURL
	cl.mu.Unlock()
	if looked {
		return name, root
	}
	var z zoneInfo
	_, err := cl.rest(ctx, "/client/v4/zones/"+cl.zone, &z)
	if ctx.Err() != nil {
		return "", cl.fallbackURL()
	}
	account := cl.account
	if err == nil && z.Account.ID != "" {
		account = z.Account.ID
	}
	switch {
	case err == nil && z.Name != "" && account != "":
		name, root = z.Name, "https://dash.cloudflare.com/"+account+"/"+z.Name
	default:
		root = cl.fallbackURL()
	}
	cl.mu.Lock()
	cl.looked, cl.name, cl.zoneURL = true, name, root
	cl.mu.Unlock()
	return name, root
}

func (cl *client) fallbackURL() string {
	if cl.account != "" {
		return "https://dash.cloudflare.com/" + cl.account
	}
	return "https://dash.cloudflare.com/?to=/:account/:zone"
}
