// Command protov2 is a test plugin that completes the go-plugin handshake
// with Outpost's magic cookie but protocol version 2: the manager must refuse
// it, naming both versions.
package main

import (
	"context"
	"errors"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/outpost-soc/outpost/sdk"
)

type future struct {
	plugin.NetRPCUnsupportedPlugin
}

func (future) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error { return nil }

func (future) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("no client")
}

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			ProtocolVersion:  2,
			MagicCookieKey:   sdk.MagicCookieKey,
			MagicCookieValue: sdk.MagicCookieValue,
		},
		Plugins:    plugin.PluginSet{sdk.PluginName: future{}},
		GRPCServer: plugin.DefaultGRPCServer,
	})
}
