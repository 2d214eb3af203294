// Package remote is the host side of the connector protocol: it turns a
// plugin's gRPC connection back into the sdk interfaces, so the host (and
// sdk/conformance) call a plugin process exactly as they would call a
// connector in the same process. Errors come back as the sdk error types.
//
// Plugin authors never import this package.
package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/outpost-soc/outpost/proto/outpost/connector/v1"
	"github.com/outpost-soc/outpost/sdk"
)

// Handshake is the go-plugin handshake an Outpost host uses.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  sdk.ProtocolVersion,
	MagicCookieKey:   sdk.MagicCookieKey,
	MagicCookieValue: sdk.MagicCookieValue,
}

// Plugins is the go-plugin plugin set an Outpost host dispenses from.
var Plugins = plugin.PluginSet{sdk.PluginName: &grpcPlugin{}}

// MaxMessageBytes is the largest stream message the host accepts.
const MaxMessageBytes = 64 << 20

// CallOptions are the gRPC options a host should dial plugins with.
var CallOptions = []grpc.DialOption{
	grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageBytes)),
}

type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

func (grpcPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("remote: the host side serves nothing")
}

func (grpcPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return New(c), nil
}

// Dispense returns the connector behind a started go-plugin client.
func Dispense(rpc plugin.ClientProtocol) (*Client, error) {
	raw, err := rpc.Dispense(sdk.PluginName)
	if err != nil {
		return nil, fmt.Errorf("dispensing connector: %w", err)
	}
	c, ok := raw.(*Client)
	if !ok {
		return nil, fmt.Errorf("dispensing connector: unexpected type %T", raw)
	}
	return c, nil
}

// Client calls a plugin over gRPC. It implements every sdk connector
// interface; a capability the plugin lacks answers *sdk.NotSupportedError.
type Client struct {
	rpc pb.ConnectorServiceClient
}

// New wraps a gRPC connection to a plugin.
func New(conn grpc.ClientConnInterface) *Client {
	return &Client{rpc: pb.NewConnectorServiceClient(conn)}
}

var (
	_ sdk.ConnectorWithPoll      = (*Client)(nil)
	_ sdk.ConnectorWithLostFound = (*Client)(nil)
	_ sdk.ConnectorWithFallback  = (*Client)(nil)
	_ sdk.ConnectorWithMirror    = (*Client)(nil)
)

func integration(in sdk.Integration) (*pb.Integration, error) {
	cfg := in.Config
	if cfg == nil {
		cfg = sdk.Config{}
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encoding config: %w", err)
	}
	return &pb.Integration{Id: in.ID, ConfigJson: b}, nil
}

// Describe fetches the plugin's manifest.
func (c *Client) Describe(ctx context.Context, _ sdk.DescribeRequest) (*sdk.DescribeResponse, error) {
	r, err := c.rpc.Describe(ctx, &pb.DescribeRequest{})
	if err != nil {
		return nil, sdk.ErrorFromStatus(err)
	}
	return sdk.DescribeFromProto(r), nil
}

// Test runs the plugin's health check.
func (c *Client) Test(ctx context.Context, req sdk.TestRequest) (*sdk.TestResponse, error) {
	in, err := integration(req.Integration)
	if err != nil {
		return nil, err
	}
	r, err := c.rpc.Test(ctx, &pb.TestRequest{Integration: in})
	if err != nil {
		return nil, sdk.ErrorFromStatus(err)
	}
	return &sdk.TestResponse{OK: r.GetOk(), Message: r.GetMessage(), Details: r.GetDetails()}, nil
}

type recv[T any] interface {
	Recv() (T, error)
}

// drain reads a stream to its end, handing each message to out. An error from
// out stops the stream (the deferred cancel tells the plugin).
func drain[T any](s recv[T], batch func(T) sdk.Batch, out sdk.Stream) error {
	for {
		m, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return sdk.ErrorFromStatus(err)
		}
		if err := out.Send(batch(m)); err != nil {
			return err
		}
	}
}

func events(in []*pb.Event) []sdk.Event {
	out := make([]sdk.Event, len(in))
	for i, e := range in {
		out[i] = sdk.EventFromProto(e)
	}
	return out
}

// Poll runs the "new" query and hands each batch to out as it arrives.
func (c *Client) Poll(ctx context.Context, req sdk.PollRequest, out sdk.Stream) error {
	in, err := integration(req.Integration)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := &pb.PollRequest{Integration: in, Cursor: req.Cursor}
	if !req.StartTime.IsZero() {
		p.StartTime = timestamppb.New(req.StartTime)
	}
	s, err := c.rpc.Poll(ctx, p)
	if err != nil {
		return sdk.ErrorFromStatus(err)
	}
	return drain(s, func(m *pb.PollResponse) sdk.Batch {
		return sdk.Batch{Events: events(m.GetEvents()), Cursor: m.GetCursor()}
	}, out)
}

// LostFound re-reads a recent window.
func (c *Client) LostFound(ctx context.Context, req sdk.WindowRequest, out sdk.Stream) error {
	in, err := integration(req.Integration)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s, err := c.rpc.LostFound(ctx, &pb.LostFoundRequest{Integration: in, From: timestamppb.New(req.From), To: timestamppb.New(req.To)})
	if err != nil {
		return sdk.ErrorFromStatus(err)
	}
	return drain(s, func(m *pb.LostFoundResponse) sdk.Batch {
		return sdk.Batch{Events: events(m.GetEvents())}
	}, out)
}

// Fallback runs the long-window recovery query.
func (c *Client) Fallback(ctx context.Context, req sdk.WindowRequest, out sdk.Stream) error {
	in, err := integration(req.Integration)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s, err := c.rpc.Fallback(ctx, &pb.FallbackRequest{Integration: in, From: timestamppb.New(req.From), To: timestamppb.New(req.To)})
	if err != nil {
		return sdk.ErrorFromStatus(err)
	}
	return drain(s, func(m *pb.FallbackResponse) sdk.Batch {
		return sdk.Batch{Events: events(m.GetEvents())}
	}, out)
}

// Mirror pushes one change.
func (c *Client) Mirror(ctx context.Context, req sdk.MirrorRequest) (*sdk.MirrorResponse, error) {
	in, err := integration(req.Integration)
	if err != nil {
		return nil, err
	}
	r, err := c.rpc.Mirror(ctx, &pb.MirrorRequest{Integration: in, Change: sdk.ChangeToProto(req.Change)})
	if err != nil {
		return nil, sdk.ErrorFromStatus(err)
	}
	return &sdk.MirrorResponse{Applied: r.GetApplied(), Message: r.GetMessage()}, nil
}
