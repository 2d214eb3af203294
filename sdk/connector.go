package sdk

import (
	"context"
	"time"
)

// Connector is what every plugin implements.
type Connector interface {
	// Describe returns the static manifest. It must not contact the vendor.
	Describe(ctx context.Context, req DescribeRequest) (*DescribeResponse, error)
	// Test makes the vendor's cheapest authenticated call.
	Test(ctx context.Context, req TestRequest) (*TestResponse, error)
}

// ConnectorWithPoll is a Connector that runs the "new" query.
type ConnectorWithPoll interface {
	Connector
	// Poll fetches events after req.Cursor (or from req.StartTime when the
	// cursor is empty), following the vendor's paging to the end, and sends
	// them in batches, each with the cursor that holds after it.
	Poll(ctx context.Context, req PollRequest, out Stream) error
}

// ConnectorWithLostFound is a Connector that re-reads a recent window.
type ConnectorWithLostFound interface {
	Connector
	// LostFound re-queries [req.From, req.To) through the Poll API.
	LostFound(ctx context.Context, req WindowRequest, out Stream) error
}

// ConnectorWithFallback is a Connector with a long-window recovery query.
type ConnectorWithFallback interface {
	Connector
	// Fallback queries [req.From, req.To), through a second vendor API where
	// the vendor has one.
	Fallback(ctx context.Context, req WindowRequest, out Stream) error
}

// ConnectorWithMirror is a Connector that writes case changes back.
type ConnectorWithMirror interface {
	Connector
	// Mirror applies one change, effectively once per req.Change.ID.
	Mirror(ctx context.Context, req MirrorRequest) (*MirrorResponse, error)
}

// Stream receives the batches of a query. Send blocks while the host is
// behind and fails once the host has gone or the call was cancelled; return
// its error.
type Stream interface {
	Send(Batch) error
}

// Batch is a group of events and, for Poll, the cursor that holds after them.
// An empty Cursor leaves the stored cursor unchanged; a batch with no events
// and a new cursor advances the position over an empty page.
type Batch struct {
	Events []Event
	Cursor string
}

// StreamFunc adapts a function to Stream.
type StreamFunc func(Batch) error

// Send calls f.
func (f StreamFunc) Send(b Batch) error { return f(b) }

// Integration identifies the integration a call is for.
type Integration struct {
	ID     string
	Config Config
}

// DescribeRequest is empty today; fields may be added.
type DescribeRequest struct{}

// DescribeResponse is the plugin's manifest.
type DescribeResponse struct {
	// Name must equal the suffix of the binary's name (outpost-plugin-<Name>).
	Name     string
	Version  string
	Vendor   string
	Category Category
	// Capabilities is filled in by Serve from the interfaces the connector
	// implements; what the connector sets is ignored.
	Capabilities    []Capability
	Schema          Schema
	DefaultSchedule Schedule
	// SDKVersion is filled in by Serve.
	SDKVersion string
}

// TestRequest asks for a health check of one integration's config.
type TestRequest struct {
	Integration Integration
}

// TestResponse is the result of a health check. A failed check may be a
// response with OK false, or one of the errors of errors.go.
type TestResponse struct {
	OK      bool
	Message string
	// Details names what was verified, e.g. {"permission:alerts.read": "ok"}.
	Details map[string]string
}

// PollRequest asks for the events after Cursor.
type PollRequest struct {
	Integration Integration
	Cursor      string
	// StartTime is where a poll with an empty Cursor begins.
	StartTime time.Time
}

// WindowRequest asks for the events in [From, To).
type WindowRequest struct {
	Integration Integration
	From, To    time.Time
}

// MirrorRequest asks the plugin to apply one change at the vendor.
type MirrorRequest struct {
	Integration Integration
	Change      Change
}

// MirrorResponse reports what the vendor did.
type MirrorResponse struct {
	// Applied is false when the vendor already had this change.
	Applied bool
	Message string
}

// Category is the kind of product a plugin connects.
type Category string

// The categories of DESIGN.md.
const (
	CategorySecurity       Category = "security"
	CategoryCommunication  Category = "communication"
	CategoryMonitoring     Category = "monitoring"
	CategoryCloud          Category = "cloud"
	CategoryAuthentication Category = "authentication"
)

// Capability is an optional rpc a plugin implements.
type Capability string

// The capabilities, one per optional interface.
const (
	CapabilityPoll      Capability = "poll"
	CapabilityLostFound Capability = "lost_found"
	CapabilityFallback  Capability = "fallback"
	CapabilityMirror    Capability = "mirror"
)

// Capabilities lists what c implements, in a fixed order.
func Capabilities(c Connector) []Capability {
	caps := []Capability{}
	if _, ok := c.(ConnectorWithPoll); ok {
		caps = append(caps, CapabilityPoll)
	}
	if _, ok := c.(ConnectorWithLostFound); ok {
		caps = append(caps, CapabilityLostFound)
	}
	if _, ok := c.(ConnectorWithFallback); ok {
		caps = append(caps, CapabilityFallback)
	}
	if _, ok := c.(ConnectorWithMirror); ok {
		caps = append(caps, CapabilityMirror)
	}
	return caps
}

// Schedule is a suggested query schedule in seconds; zero fields take the
// host's defaults.
type Schedule struct {
	NewIntervalS       int64 `json:"new_interval_s"`
	LostFoundIntervalS int64 `json:"lost_found_interval_s"`
	LostFoundLookbackS int64 `json:"lost_found_lookback_s"`
	FallbackIntervalS  int64 `json:"fallback_interval_s"`
	FallbackLookbackS  int64 `json:"fallback_lookback_s"`
	InitialLookbackS   int64 `json:"initial_lookback_s"`
}
