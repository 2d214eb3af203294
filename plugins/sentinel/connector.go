package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/httpclient"
	"github.com/outpost-soc/outpost/sdk/oauth"
)

// Version is the plugin's version, reported in its manifest.
const Version = "0.1.0"

// apiVersion is the Microsoft.SecurityInsights api-version the plugin
// speaks: the stable one whose incident shapes it was written from.
const apiVersion = "2024-03-01"

// The actions the plugin needs, in Azure RBAC's words: Microsoft Sentinel
// Reader grants the reads, Microsoft Sentinel Responder all four.
const (
	permRead          = "Microsoft.SecurityInsights/incidents/read"
	permWrite         = "Microsoft.SecurityInsights/incidents/write"
	permCommentsRead  = "Microsoft.SecurityInsights/incidents/comments/read"
	permCommentsWrite = "Microsoft.SecurityInsights/incidents/comments/write"
)

// Connector is the Microsoft Sentinel plugin. One process serves every
// Sentinel integration, so everything per integration lives in the client
// cache.
type Connector struct {
	clients sdk.ClientCache[*client]

	// pageSize is the $top of each incidents page (Sentinel takes at most
	// 1000); tests lower it to cross page boundaries with few incidents.
	pageSize int
	// settle is how far behind Sentinel's clock an idle cursor stops: an
	// incident written just before a list may not be listed yet.
	settle time.Duration
	// entityWorkers bounds the entity look-ups of one page in flight.
	entityWorkers int
}

var (
	_ sdk.ConnectorWithPoll      = (*Connector)(nil)
	_ sdk.ConnectorWithLostFound = (*Connector)(nil)
	_ sdk.ConnectorWithFallback  = (*Connector)(nil)
	_ sdk.ConnectorWithMirror    = (*Connector)(nil)
)

// New returns the connector main serves.
func New() *Connector {
	c := &Connector{pageSize: 200, settle: 30 * time.Second, entityWorkers: 4}
	c.clients.New = newClient
	return c
}

// schema is the integration config, in Azure's own words.
var schema = sdk.Schema{Fields: []sdk.Field{
	{Name: "tenant_id", Type: sdk.FieldString, Required: true,
		Help: "Directory (tenant) ID of the Azure AD tenant of the app registration"},
	{Name: "client_id", Type: sdk.FieldString, Required: true,
		Help: "Application (client) ID of the app registration"},
	{Name: "client_secret", Type: sdk.FieldSecret, Required: true,
		Help: "Client secret value (not its ID) of the app registration"},
	{Name: "subscription_id", Type: sdk.FieldString, Required: true,
		Help: "Azure subscription ID of the Log Analytics workspace Microsoft Sentinel runs on"},
	{Name: "resource_group", Type: sdk.FieldString, Required: true,
		Help: "Resource group of the workspace"},
	{Name: "workspace_name", Type: sdk.FieldString, Required: true,
		Help: "Name of the Log Analytics workspace (not its ID). The app needs Microsoft Sentinel Reader on it to poll, Microsoft Sentinel Responder to mirror"},
	{Name: "login_url", Type: sdk.FieldURL, Default: "https://login.microsoftonline.com",
		Help: "Azure AD authority host; the plugin appends /{tenant_id}/oauth2/v2.0/token (https://login.microsoftonline.us for Azure Government)"},
	{Name: "management_url", Type: sdk.FieldURL, Default: "https://management.azure.com",
		Help: "Azure Resource Manager endpoint; the plugin appends /subscriptions/... (https://management.usgovcloudapi.net for Azure Government)"},
	{Name: "fetch_entities", Type: sdk.FieldBool, Default: true,
		Help: "Read each incident's entities (one POST .../incidents/{id}/entities per incident) to fill observables and IOCs"},
}}

// Describe returns the manifest; it never contacts the vendor.
func (c *Connector) Describe(context.Context, sdk.DescribeRequest) (*sdk.DescribeResponse, error) {
	return &sdk.DescribeResponse{
		Name:     "sentinel",
		Version:  Version,
		Vendor:   "Microsoft Sentinel",
		Category: sdk.CategoryCloud,
		Schema:   schema,
		// Fields left out take the host's defaults (API.md).
		DefaultSchedule: sdk.Schedule{
			FallbackLookbackS: 7 * 86400,
		},
	}, nil
}

// Test lists one incident: the cheapest call that proves both the token and
// the incidents/read permission on the workspace. A wrong secret comes back
// from the token endpoint as *sdk.UnauthenticatedError with Azure AD's own
// description (AADSTS7000215 ...); a missing role as
// *sdk.PermissionDeniedError naming the action; a workspace, resource group
// or subscription ARM cannot find as *sdk.InvalidConfigError naming the
// field.
func (c *Connector) Test(ctx context.Context, req sdk.TestRequest) (*sdk.TestResponse, error) {
	cl, err := c.clients.Get(ctx, req.Integration)
	if err != nil {
		return nil, err
	}
	q := url.Values{"api-version": {apiVersion}, "$top": {"1"}}
	var page incidentPage
	if _, err := cl.http.DoJSON(ctx, http.MethodGet, cl.incidentsURL(q), nil, nil, &page); err != nil {
		return nil, vendorError("listing incidents", permRead, err)
	}
	return &sdk.TestResponse{
		OK:      true,
		Message: "connected to Microsoft Sentinel workspace " + req.Integration.Config.String("workspace_name"),
		Details: map[string]string{
			"permission:" + permRead: "ok",
			// Proving a write permission takes a write; mirroring reports a
			// missing one when it first needs it.
			"permission:" + permWrite: "not checked (needed to mirror)",
		},
	}, nil
}

// client is one integration's Sentinel client.
type client struct {
	http *httpclient.Client
	// mgmt is the management root and workspace the Microsoft.SecurityInsights
	// path under it.
	mgmt, workspace string
	entities        bool
}

// Close releases the idle connections of a client the cache replaced.
func (c *client) Close() error { return c.http.Close() }

// scopes are the token scopes of the Azure clouds' management endpoints;
// any other endpoint (a proxy, a fake) is taken to be Azure's public cloud.
var scopes = map[string]string{
	"management.usgovcloudapi.net": "https://management.usgovcloudapi.net/.default",
	"management.chinacloudapi.cn":  "https://management.chinacloudapi.cn/.default",
}

const defaultScope = "https://management.azure.com/.default"

func scopeFor(mgmt string) string {
	if u, err := url.Parse(mgmt); err == nil {
		if s, ok := scopes[strings.ToLower(u.Hostname())]; ok {
			return s
		}
	}
	return defaultScope
}

func newClient(_ context.Context, in sdk.Integration) (*client, error) {
	cfg := in.Config
	for _, f := range []string{"tenant_id", "client_id", "subscription_id", "resource_group", "workspace_name"} {
		if v := cfg.String(f); strings.TrimSpace(v) != v || strings.ContainsAny(v, "/?#") {
			return nil, sdk.InvalidConfig(f, "%s %q must not contain spaces, '/', '?' or '#'", f, v)
		}
	}
	login, mgmt := cfg.String("login_url"), cfg.String("management_url")
	rt, err := httpclient.NewTransport(httpclient.Options{})
	if err != nil {
		return nil, err
	}
	src, err := oauth.New(oauth.Config{
		TokenURL:     login + "/" + url.PathEscape(cfg.String("tenant_id")) + "/oauth2/v2.0/token",
		ClientID:     cfg.String("client_id"),
		ClientSecret: cfg.String("client_secret"),
		Scopes:       []string{scopeFor(mgmt)},
		AuthStyle:    oauth.AuthInParams,
		Transport:    rt,
	})
	if err != nil {
		return nil, err
	}
	h, err := httpclient.New(httpclient.Options{
		BaseURL:    mgmt,
		Transport:  rt,
		Authorize:  src.Authorize,
		Invalidate: src.Invalidate,
		Logger:     sdk.Logger().Named("sentinel"),
	})
	if err != nil {
		return nil, err
	}
	entities := true
	if v, ok := cfg["fetch_entities"].(bool); ok {
		entities = v
	}
	return &client{
		http: h,
		mgmt: mgmt,
		workspace: "/subscriptions/" + url.PathEscape(cfg.String("subscription_id")) +
			"/resourceGroups/" + url.PathEscape(cfg.String("resource_group")) +
			"/providers/Microsoft.OperationalInsights/workspaces/" + url.PathEscape(cfg.String("workspace_name")) +
			"/providers/Microsoft.SecurityInsights",
		entities: entities,
	}, nil
}

// incidentsURL is the absolute URL of the incident list with query q.
// Spaces in $filter go as %20, as the Azure SDKs send them.
func (c *client) incidentsURL(q url.Values) string {
	return c.mgmt + c.workspace + "/incidents?" + strings.ReplaceAll(q.Encode(), "+", "%20")
}

// incidentPath is the path of one incident, or of something under it.
func (c *client) incidentPath(name string, sub ...string) string {
	p := c.workspace + "/incidents/" + url.PathEscape(name)
	for _, s := range sub {
		p += "/" + url.PathEscape(s)
	}
	return p
}

func versionQuery() url.Values { return url.Values{"api-version": {apiVersion}} }

// cloudError is ARM's error body.
type cloudError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// configFields names the config field an ARM "not found" code points at.
var configFields = map[string]string{
	"SubscriptionNotFound":  "subscription_id",
	"ResourceGroupNotFound": "resource_group",
	"ResourceNotFound":      "workspace_name",
	"WorkspaceNotFound":     "workspace_name",
}

// vendorError wraps err from a call that needs permission perm: a 403 names
// the action ARM refused (its message says which, else perm), and a 404 for
// the subscription, resource group or workspace names the config field.
func vendorError(what, perm string, err error) error {
	var pd *sdk.PermissionDeniedError
	if errors.As(err, &pd) && pd.Permission == "" {
		return fmt.Errorf("%s: %w", what, sdk.PermissionDenied(refusedAction(pd.Message, perm), "%s", pd.Message))
	}
	var se *httpclient.StatusError
	if errors.As(err, &se) && se.StatusCode == http.StatusNotFound {
		code, msg := armError(se.Body)
		if field, ok := configFields[code]; ok {
			return fmt.Errorf("%s: %w", what, sdk.InvalidConfig(field, "%s", msg))
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// refusedAction finds the action in ARM's AuthorizationFailed message
// ("... does not have authorization to perform action 'X' over scope ...").
func refusedAction(msg, fallback string) string {
	const marker = "perform action '"
	if i := strings.Index(msg, marker); i >= 0 {
		rest := msg[i+len(marker):]
		if j := strings.IndexByte(rest, '\''); j > 0 {
			return rest[:j]
		}
	}
	return fallback
}

// armError reads the code and message of a CloudError body.
func armError(body string) (code, msg string) {
	var ce cloudError
	if err := decodeJSON([]byte(body), &ce); err != nil || ce.Error.Code == "" {
		return "", httpclient.VendorMessage([]byte(body))
	}
	return ce.Error.Code, ce.Error.Message
}
