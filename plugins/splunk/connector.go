package main

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/outpost-soc/outpost/sdk"
)

// Version is the plugin's version, reported in its manifest.
const Version = "0.1.0"

// The capabilities the plugin needs at Splunk.
const (
	capSearch = "search"
	capEdit   = "edit_notable_events"
)

// Connector is the Splunk ES plugin. One process serves every Splunk
// integration, so everything per integration lives in the client cache.
type Connector struct {
	clients sdk.ClientCache[*client]

	// pageSize is the count asked of each results page.
	pageSize int
	// settle is how far behind splunkd's clock a poll stops: an event is
	// searchable a little after it was stamped with its _indextime.
	settle time.Duration
	// chunk is the longest _indextime span one search job covers, so that
	// a long first poll or window is many bounded jobs, not one huge one.
	chunk time.Duration
	// maxLag is how much older than its _indextime a notable's _time may
	// be and still be found: earliest_time must bound _time, and a search
	// over all time would scan every bucket.
	maxLag time.Duration
	// backoff is the httpclient's first backoff and jobPoll the first wait
	// between job status checks; tests make them small.
	backoff time.Duration
	jobPoll time.Duration
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
		pageSize: 1000,
		settle:   15 * time.Second,
		chunk:    6 * time.Hour,
		maxLag:   24 * time.Hour,
		jobPoll:  250 * time.Millisecond,
		log:      sdk.Logger().Named("splunk"),
	}
	c.clients.New = c.newClient
	return c
}

// schema is the integration config, in Splunk's own words.
var schema = sdk.Schema{Fields: []sdk.Field{
	{Name: "url", Type: sdk.FieldURL, Required: true,
		Help: "Root of splunkd's REST API on the management port, e.g. https://splunk.example.com:8089 (Splunk Cloud: https://<stack>.splunkcloud.com:8089)"},
	{Name: "token", Type: sdk.FieldSecret,
		Help: "A Splunk authentication token (Settings > Tokens), sent as a Bearer token; leave empty to log in with username and password"},
	{Name: "username", Type: sdk.FieldString,
		Help: "Splunk user to log in as when no token is given; needs the search and edit_notable_events capabilities (the ess_analyst role)"},
	{Name: "password", Type: sdk.FieldSecret,
		Help: "Password of username, exchanged for a session key at /services/auth/login"},
	{Name: "verify_tls", Type: sdk.FieldBool, Default: true,
		Help: "Verify splunkd's TLS certificate; turn off only for a self-signed management port"},
	{Name: "index", Type: sdk.FieldString, Default: "notable",
		Help: "Index that holds the notable events (Enterprise Security writes them to notable)"},
}}

// indexName is what an index name may be: it goes into a search string.
var indexName = regexp.MustCompile(`^[a-z0-9_][a-z0-9_-]*$`)

// settings are the parts of a config the plugin reads.
type settings struct {
	url, token, username, password, index string
	verifyTLS                             bool
}

func readSettings(cfg sdk.Config) (settings, error) {
	s := settings{
		url: cfg.String("url"), token: cfg.String("token"),
		username: cfg.String("username"), password: cfg.String("password"),
		index: cfg.String("index"), verifyTLS: true,
	}
	if v, ok := cfg["verify_tls"].(bool); ok {
		s.verifyTLS = v
	}
	if s.index == "" {
		s.index = "notable"
	}
	if !indexName.MatchString(s.index) {
		return s, sdk.InvalidConfig("index", "index %q is not a Splunk index name (lowercase letters, digits, _ and -)", s.index)
	}
	switch {
	case s.token != "" && (s.username != "" || s.password != ""):
		return s, sdk.InvalidConfig("token", "give either token or username and password, not both")
	case s.token == "" && (s.username == "" || s.password == ""):
		return s, sdk.InvalidConfig("token", "give a token, or a username and a password")
	}
	return s, nil
}

// Describe returns the manifest; it never contacts the vendor.
func (c *Connector) Describe(context.Context, sdk.DescribeRequest) (*sdk.DescribeResponse, error) {
	return &sdk.DescribeResponse{
		Name:     "splunk",
		Version:  Version,
		Vendor:   "Splunk Enterprise Security",
		Category: sdk.CategoryMonitoring,
		Schema:   schema,
	}, nil
}

// Test asks splunkd for its server info (the cheapest authenticated call)
// and for the caller's capabilities: search to poll, edit_notable_events
// to mirror. A wrong token or password is an *sdk.UnauthenticatedError
// with splunkd's message.
func (c *Connector) Test(ctx context.Context, req sdk.TestRequest) (*sdk.TestResponse, error) {
	cl, err := c.clients.Get(ctx, req.Integration)
	if err != nil {
		return nil, err
	}
	info, err := cl.serverInfo(ctx)
	if err != nil {
		return nil, err
	}
	who, err := cl.currentContext(ctx)
	if err != nil {
		return nil, err
	}
	details := map[string]string{
		"server":  fmt.Sprintf("%s %s", info.ServerName, info.Version),
		"user":    who.Username,
		"roles":   strings.Join(who.Roles, ","),
		"index":   cl.index,
		"auth":    cl.authKind(),
		"version": info.Version,
	}
	for _, need := range []string{capSearch, capEdit} {
		if !slices.Contains(who.Capabilities, need) {
			return nil, sdk.PermissionDenied(need, "splunk user %s lacks the %s capability (roles %s)", who.Username, need, strings.Join(who.Roles, ", "))
		}
		details["capability:"+need] = "ok"
	}
	return &sdk.TestResponse{
		OK:      true,
		Message: fmt.Sprintf("connected to %s (Splunk %s) as %s", info.ServerName, info.Version, who.Username),
		Details: details,
	}, nil
}
