package sdk

import (
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
)

// The handshake every Outpost plugin and host share. ProtocolVersion equals
// the major version of proto/outpost/connector (v1).
const (
	ProtocolVersion  = 1
	MagicCookieKey   = "OUTPOST_PLUGIN_MAGIC_COOKIE"
	MagicCookieValue = "b6f1c2e4-outpost-connector"
	// PluginName is the go-plugin plugin-set key of the connector service.
	PluginName = "connector"
)

// Version is the SDK's version, reported in each plugin's manifest.
const Version = "0.1.0"

var logger = hclog.New(&hclog.LoggerOptions{
	Level:      hclog.Trace,
	Output:     os.Stderr,
	JSONFormat: true,
})

// Logger is the plugin's logger: hclog JSON on stderr, which the host
// re-levels into its own log under the plugin's name. Never log a secret.
func Logger() hclog.Logger { return logger }

// Serve runs c as a plugin until the host stops it. It is the whole of a
// plugin's main. Started by hand rather than by a host, it prints a short
// explanation and exits 1.
func Serve(c Connector) {
	go exitWhenOrphaned(time.Second)
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			ProtocolVersion:  ProtocolVersion,
			MagicCookieKey:   MagicCookieKey,
			MagicCookieValue: MagicCookieValue,
		},
		Plugins:    plugin.PluginSet{PluginName: &grpcPlugin{impl: c}},
		GRPCServer: plugin.DefaultGRPCServer,
		Logger:     logger,
	})
}

// exitWhenOrphaned ends the process once its parent, the host, is gone: a
// host killed with SIGKILL cannot stop its plugins, and they must not linger.
func exitWhenOrphaned(every time.Duration) {
	parent := os.Getppid()
	for range time.Tick(every) {
		if os.Getppid() != parent {
			logger.Warn("host process is gone, exiting")
			os.Exit(2)
		}
	}
}
