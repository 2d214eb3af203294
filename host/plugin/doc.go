// Package plugin is the host's plugin manager: it finds the plugin binaries in
// one directory, checks them, runs one process per binary over go-plugin
// (gRPC, AutoMTLS) and keeps each process alive.
//
// # Basics
//
// A plugin is a regular executable named outpost-plugin-<name>, where name is
// [a-z0-9_-]+ and is the integration type. Scan reads the directory (the
// first time and at every rescan), starts every new or changed binary, asks
// it to Describe itself and records the result as an Info: READY, or FAILED
// with a reason a person can act on. List and Get return those records.
//
// Connector returns a *Conn, which implements every sdk connector interface
// by forwarding each call to the current process of that plugin. One
// process serves every integration of its type; the integration's config
// travels with each call.
//
// # Checks
//
// Before anything runs, a file is refused when it is a symlink resolving
// outside the directory, is world-writable, is not executable, or (when the
// directory holds a plugins.sha256 file in sha256sum format) is not listed
// there or does not match its pin. The sha256 of every binary is in Info.
// The checksum is verified again by go-plugin right before every start and
// restart, against the pin or, without a pin file, against the sum taken at
// scan time: the manager only ever runs the bytes it checked and described.
// A file that does not complete the go-plugin handshake in StartTimeout, that
// speaks another protocol version, or whose Describe names another plugin is
// FAILED, and its process is killed.
//
// # Supervision
//
// Each process is watched: an exit is noticed within a tenth of a second,
// and a process whose health ping is not answered within PingTimeout is
// hung and killed. Either way it is restarted with capped exponential
// backoff (250 ms doubling to 30 s, reset once a process has run for a
// minute). Calls in flight on a process that dies fail with an error
// wrapping ErrUnavailable, which is retryable; the typed sdk errors a plugin
// returns (find them with errors.As) pass through untouched. A call made
// while its plugin restarts waits up to StartTimeout for it.
//
// A call pins the process it started on. When a rescan finds a binary
// replaced (its sha256 changed) the new version is started and takes every
// new call, and the old process is stopped once its last call ends; a
// removed binary is drained the same way.
//
// Plugins log hclog JSON on stderr; go-plugin re-levels each line into the
// host's logger, under plugin.<name>.
//
// # Caveats
//
// Plugins get the host's environment minus every OUTPOST_* variable, so that
// host secrets (OUTPOST_SECRET_KEY, OUTPOST_ADMIN_TOKEN) never reach
// third-party code. Each plugin runs in its own process group, and stopping
// it kills the group, so helpers a plugin spawned do not outlive it.
//
// Close stops every process. A host killed with SIGKILL cannot: plugins built
// on the sdk notice that their parent is gone and exit within a second or
// two; other plugins must do the same themselves.
package plugin
