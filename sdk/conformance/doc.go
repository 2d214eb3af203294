// Package conformance is the test kit every Outpost plugin runs against its
// own fake vendor: it builds the plugin binary, launches it exactly as the
// host does, and checks the protocol rules of DESIGN.md through the real
// gRPC connection.
//
// # Basics
//
// Call Run from a test named TestConformance in the plugin's own package
// (the directory of its main):
//
//	func TestConformance(t *testing.T) {
//		f := fake.New(fakevendor.Options{Alerts: 300, Seed: 1})
//		conformance.Run(t, conformance.Options{
//			Vendor: f, // served on loopback; Config comes from f.Config(url)
//			Throttle: func(n int) { f.Store().ForceThrottle(n, 30*time.Second) },
//			MirrorCheck: func(t *testing.T, c sdk.Change) {
//				// look for c in f.Store().State().Mirror
//			},
//		})
//	}
//
// Run builds the package (Options.Package, default ".") with go build into
// t.TempDir()/outpost-plugin-<name>, starts it with go-plugin (the host's
// handshake, gRPC, AutoMTLS, remote.CallOptions), kills it when the test
// ends, and runs these subtests, each skipped when the plugin does not
// claim the capability it needs:
//
//	Manifest             name, version, vendor, known category and capabilities, a valid
//	                     schema that accepts Config, marks credentials secret and
//	                     gives every field help text
//	Capabilities         every rpc the manifest does not claim answers NotSupported
//	Test/OK              Test passes with Config
//	Test/BadCredentials  *sdk.UnauthenticatedError with BadCredentials
//	Test/BadConfig       *sdk.InvalidConfigError with BadConfig
//	Test/MissingRequired *sdk.InvalidConfigError for each required field left out
//	Poll/FromStart       a poll from an empty cursor (StartTime = Start) returns events,
//	                     well-formed and each once, and a cursor
//	Poll/Resume          a poll from that cursor returns none of the same events
//	Poll/BadCursor       an unreadable cursor is an error, not a silent restart
//	Poll/BadCredentials  a credential error (the host marks the integration unhealthy)
//	Poll/Cancel          a cancelled context stops the stream within 2 s; with Vendor set,
//	                     the plugin's pending vendor request is cancelled too
//	Poll/Throttled       after Throttle(10), a *sdk.RetryAfterError with a positive Wait
//	LostFound            a window over the polled events returns events already seen
//	Fallback             likewise
//	Mirror/<kind>        each change applied twice: no error, written once (Vendor's
//	                     mirror log), then MirrorCheck
//
// # Options
//
// With Vendor set (a fake built on sdk/fakevendor) most options have
// defaults: Config is Vendor.Config(baseURL) with Options.Config's entries
// laid over it, BadCredentials is Config with every secret field changed,
// BadConfig is Config without its first required field, Throttle is
// Vendor.Store().ForceThrottle(n, 30*time.Second), and the Mirror subtests
// count the vendor's mirror log to prove a change applied twice is written
// once. Without Vendor, Config is required and the kit checks what it can
// through the plugin alone.
//
// Start (default 24 h ago) must leave events at the vendor for the first
// poll; LostFound and Fallback read [From, To), by default [Start, now).
// Changes default to a status change, an assignment, a comment and a close
// for a security plugin, and a notification for a communication one; a
// change without an OriginalID gets the first polled event's.
//
// Options.Binary runs the kit against a binary built already instead of
// building Package: a plugin written in another language, or one build
// shared by several runs. Build and Launch are the kit's first two steps,
// exported for a plugin's own tests of the real binary.
//
// # Caveats
//
// The subtests share one plugin process and one vendor and run in order;
// Poll/Resume, LostFound, Fallback and the Mirror subtests use what
// Poll/FromStart returned and skip when it failed. The plugin's own log
// (hclog on stderr) is printed when a subtest fails. Building the binary
// takes a few seconds on a cold build cache.
package conformance
