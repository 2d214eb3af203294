package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/outpost-soc/outpost/sdk"
)

// Version is the plugin's version, reported in its manifest.
const Version = "0.1.0"

// The API client scopes the plugin needs, as the Falcon console names them.
const (
	scopeRead  = "Alerts: Read"
	scopeWrite = "Alerts: Write"
)

// Connector is the CrowdStrike Falcon plugin. One process serves every
// CrowdStrike integration, so everything per integration lives in the
// client cache.
type Connector struct {
	clients sdk.ClientCache[*client]

	// pageSize is the limit asked of each query page (the entities call
	// takes up to 1000 ids).
	pageSize int
	// maxOffset is the query API's cap on offset + limit.
	maxOffset int
	// settle is how far behind Falcon's clock a poll stops: an alert may
	// become searchable a little after its updated_timestamp.
	settle time.Duration
	// chunk is the longest created_timestamp span one Fallback query
	// covers.
	chunk time.Duration
	// backoff is the httpclient's first backoff; tests make it small.
	backoff time.Duration
	// log gets the httpclient's debug lines (never a secret).
	log hclog.Logger
}

var (
	_ sdk.ConnectorWithPoll      = (*Connector)(nil)
	_ sdk.ConnectorWithLostFound = (*Connector)(nil)
	_ sdk.ConnectorWithFallback  = (*Connector)(nil)
	_ sdk.ConnectorWithMirror    = (*Connector)(nil)
)

// New returns the connector main serves.
func New() *Connector {
	c := &Connector{
		pageSize:  500,
		maxOffset: 10000,
		settle:    15 * time.Second,
		chunk:     24 * time.Hour,
		log:       sdk.Logger().Named("crowdstrike"),
	}
	c.clients.New = c.newClient
	return c
}

// schema is the integration config, in CrowdStrike's own words.
var schema = sdk.Schema{Fields: []sdk.Field{
	{Name: "base_url", Type: sdk.FieldURL, Default: "https://api.crowdstrike.com",
		Help: "Root of the Falcon API of your cloud: https://api.crowdstrike.com (US-1), https://api.us-2.crowdstrike.com, https://api.eu-1.crowdstrike.com or https://api.laggar.gcw.crowdstrike.com (US-GOV-1)"},
	{Name: "client_id", Type: sdk.FieldString, Required: true,
		Help: "Client ID of a Falcon API client (Support and resources > API clients and keys) with the Alerts: Read scope, and Alerts: Write to mirror case changes"},
	{Name: "client_secret", Type: sdk.FieldSecret, Required: true,
		Help: "Secret of that API client, shown once when the client is created"},
	{Name: "member_cid", Type: sdk.FieldString,
		Help: "For a Falcon Flight Control (MSSP) parent API client: the CID of the child tenant to read; leave empty otherwise"},
}}

// Describe returns the manifest; it never contacts the vendor.
func (c *Connector) Describe(context.Context, sdk.DescribeRequest) (*sdk.DescribeResponse, error) {
	return &sdk.DescribeResponse{
		Name:     "crowdstrike",
		Version:  Version,
		Vendor:   "CrowdStrike Falcon",
		Category: sdk.CategorySecurity,
		Schema:   schema,
	}, nil
}

// Test fetches a token (the vendor's own health check: a wrong client id
// or secret fails here) and asks for one alert id, which needs the Alerts:
// Read scope.
func (c *Connector) Test(ctx context.Context, req sdk.TestRequest) (*sdk.TestResponse, error) {
	cl, err := c.clients.Get(ctx, req.Integration)
	if err != nil {
		return nil, err
	}
	page, err := cl.queryIDs(ctx, "", "updated_timestamp|desc", 1, 0)
	if err != nil {
		var pd *sdk.PermissionDeniedError
		if errors.As(err, &pd) {
			return nil, err
		}
		return nil, fmt.Errorf("crowdstrike test: %w", err)
	}
	details := map[string]string{
		"token":              "ok",
		"scope:" + scopeRead: "ok",
		// Alerts: Write cannot be checked without writing: a mirror
		// without it fails with PermissionDenied naming it.
		"scope:" + scopeWrite: "not checked",
		"alerts":              fmt.Sprint(page.total),
	}
	if m := req.Integration.Config.String("member_cid"); m != "" {
		details["member_cid"] = m
	}
	return &sdk.TestResponse{
		OK:      true,
		Message: fmt.Sprintf("connected to %s; the API client can read alerts (%d held)", cl.base, page.total),
		Details: details,
	}, nil
}
