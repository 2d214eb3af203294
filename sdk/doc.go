// Package sdk is the only package an Outpost plugin author imports.
//
// # Basics
//
// A plugin is a binary named outpost-plugin-<name> whose main is one line:
//
//	func main() { sdk.Serve(vendor.New()) }
//
// The value passed to Serve implements Connector (Describe and Test). Optional
// abilities are extra interfaces found by type assertion and reported to the
// host as capabilities: ConnectorWithPoll, ConnectorWithLostFound,
// ConnectorWithFallback and ConnectorWithMirror.
//
// Every call carries the Integration it is for: its id and its config, secrets
// in clear. One plugin process serves every integration of its type, so keep
// per-integration state in a ClientCache keyed by Integration, never in
// globals.
//
// # Cursors
//
// The host owns the cursor. Poll streams Batch values, each with the cursor
// that holds after it; the host stores a batch's events and its cursor in one
// transaction. A cursor should hold the vendor's own position (time plus id,
// or a page token), never the plugin's clock; see package sdk/cursor.
//
// # Errors
//
// Return the errors of errors.go (InvalidConfig, Unauthenticated,
// PermissionDenied, RetryAfter, NotSupported), wrapped with %w as you like:
// they cross the process boundary as gRPC status details and come back to the
// host as the same Go types, found with errors.As. A panic in a handler
// becomes an Internal error; the process keeps serving.
//
// # Caveats
//
// Never log a config value of a secret field. Plugins log hclog JSON on
// stderr (use Logger); stdout belongs to the plugin protocol.
package sdk
