package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	pb "github.com/outpost-soc/outpost/proto/outpost/connector/v1"
)

// grpcPlugin is the plugin side of go-plugin's GRPCPlugin. The host side
// lives in sdk/remote; each half refuses the other's role.
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	impl Connector
}

func (p *grpcPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterConnectorServiceServer(s, NewServer(p.impl))
	return nil
}

func (p *grpcPlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("sdk: the plugin side has no client; use sdk/remote")
}

// maxBatchEvents and maxBatchBytes bound one stream message, well under
// gRPC's default 4 MiB limit; a larger Batch is split and only its last part
// carries the cursor.
const (
	maxBatchEvents = 1000
	maxBatchBytes  = 2 << 20
)

// server is the shim between gRPC and a Connector: each method converts,
// calls the implementation with the caller's ctx, and converts back.
type server struct {
	pb.UnimplementedConnectorServiceServer
	impl Connector

	schemaOnce sync.Once
	schema     Schema
	schemaErr  error
}

// NewServer returns the gRPC service for c. Plugin authors do not need it:
// Serve uses it, and so do in-process tests that want the real wire.
func NewServer(c Connector) pb.ConnectorServiceServer { return &server{impl: c} }

func (s *server) Describe(ctx context.Context, _ *pb.DescribeRequest) (resp *pb.DescribeResponse, err error) {
	defer recoverTo(&err)
	d, err := s.impl.Describe(ctx, DescribeRequest{})
	if err != nil {
		return nil, toStatus(err)
	}
	d.Capabilities = Capabilities(s.impl)
	d.SDKVersion = Version
	return describeToProto(d), nil
}

// integration decodes the wire integration and re-validates its config
// against the plugin's own schema, which also fills in defaults.
func (s *server) integration(ctx context.Context, in *pb.Integration) (Integration, error) {
	s.schemaOnce.Do(func() {
		d, err := s.impl.Describe(ctx, DescribeRequest{})
		if err != nil {
			s.schemaErr = err
			return
		}
		s.schema = d.Schema
	})
	if s.schemaErr != nil {
		return Integration{}, s.schemaErr
	}
	if in == nil {
		return Integration{}, InvalidConfig("", "request carries no integration")
	}
	raw := map[string]any{}
	if len(in.GetConfigJson()) > 0 {
		if err := json.Unmarshal(in.GetConfigJson(), &raw); err != nil {
			return Integration{}, InvalidConfig("", "config is not a JSON object: %v", err)
		}
	}
	cfg, err := s.schema.Validate(raw)
	if err != nil {
		return Integration{}, err
	}
	return Integration{ID: in.GetId(), Config: cfg}, nil
}

func (s *server) Test(ctx context.Context, req *pb.TestRequest) (resp *pb.TestResponse, err error) {
	defer recoverTo(&err)
	in, err := s.integration(ctx, req.GetIntegration())
	if err != nil {
		return nil, toStatus(err)
	}
	r, err := s.impl.Test(ctx, TestRequest{Integration: in})
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.TestResponse{Ok: r.OK, Message: r.Message, Details: r.Details}, nil
}

func (s *server) Poll(req *pb.PollRequest, stream grpc.ServerStreamingServer[pb.PollResponse]) (err error) {
	defer recoverTo(&err)
	p, ok := s.impl.(ConnectorWithPoll)
	if !ok {
		return toStatus(NotSupported("poll"))
	}
	ctx := stream.Context()
	in, err := s.integration(ctx, req.GetIntegration())
	if err != nil {
		return toStatus(err)
	}
	r := PollRequest{Integration: in, Cursor: req.GetCursor()}
	if req.GetStartTime() != nil {
		r.StartTime = req.GetStartTime().AsTime()
	}
	out := StreamFunc(func(b Batch) error {
		return sendSplit(ctx, b, func(evs []*pb.Event, cursor string) error {
			return stream.Send(&pb.PollResponse{Events: evs, Cursor: cursor})
		})
	})
	return toStatus(p.Poll(ctx, r, out))
}

func (s *server) LostFound(req *pb.LostFoundRequest, stream grpc.ServerStreamingServer[pb.LostFoundResponse]) (err error) {
	defer recoverTo(&err)
	l, ok := s.impl.(ConnectorWithLostFound)
	if !ok {
		return toStatus(NotSupported("lost_found"))
	}
	ctx := stream.Context()
	in, err := s.integration(ctx, req.GetIntegration())
	if err != nil {
		return toStatus(err)
	}
	r := WindowRequest{Integration: in, From: req.GetFrom().AsTime(), To: req.GetTo().AsTime()}
	out := StreamFunc(func(b Batch) error {
		return sendSplit(ctx, b, func(evs []*pb.Event, _ string) error {
			return stream.Send(&pb.LostFoundResponse{Events: evs})
		})
	})
	return toStatus(l.LostFound(ctx, r, out))
}

func (s *server) Fallback(req *pb.FallbackRequest, stream grpc.ServerStreamingServer[pb.FallbackResponse]) (err error) {
	defer recoverTo(&err)
	f, ok := s.impl.(ConnectorWithFallback)
	if !ok {
		return toStatus(NotSupported("fallback"))
	}
	ctx := stream.Context()
	in, err := s.integration(ctx, req.GetIntegration())
	if err != nil {
		return toStatus(err)
	}
	r := WindowRequest{Integration: in, From: req.GetFrom().AsTime(), To: req.GetTo().AsTime()}
	out := StreamFunc(func(b Batch) error {
		return sendSplit(ctx, b, func(evs []*pb.Event, _ string) error {
			return stream.Send(&pb.FallbackResponse{Events: evs})
		})
	})
	return toStatus(f.Fallback(ctx, r, out))
}

func (s *server) Mirror(ctx context.Context, req *pb.MirrorRequest) (resp *pb.MirrorResponse, err error) {
	defer recoverTo(&err)
	m, ok := s.impl.(ConnectorWithMirror)
	if !ok {
		return nil, toStatus(NotSupported("mirror"))
	}
	in, err := s.integration(ctx, req.GetIntegration())
	if err != nil {
		return nil, toStatus(err)
	}
	r, err := m.Mirror(ctx, MirrorRequest{Integration: in, Change: ChangeFromProto(req.GetChange())})
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.MirrorResponse{Applied: r.Applied, Message: r.Message}, nil
}

// sendSplit sends a batch as one or more messages within the size bounds;
// only the last carries the cursor, so a break between them replays events
// (absorbed by de-duplication) but never skips any.
func sendSplit(ctx context.Context, b Batch, send func([]*pb.Event, string) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(b.Events) == 0 {
		return send(nil, b.Cursor)
	}
	var part []*pb.Event
	size := 0
	for i, e := range b.Events {
		pe := EventToProto(e)
		part = append(part, pe)
		size += len(e.Raw) + len(e.Title) + len(e.Description) + 256
		last := i == len(b.Events)-1
		if last || len(part) >= maxBatchEvents || size >= maxBatchBytes {
			cursor := ""
			if last {
				cursor = b.Cursor
			}
			if err := send(part, cursor); err != nil {
				return err
			}
			part, size = nil, 0
		}
	}
	return nil
}

// recoverTo turns a panic in a handler into an Internal error so that one
// bad alert does not take the whole plugin down.
func recoverTo(err *error) {
	if r := recover(); r != nil {
		logger.Error("panic in plugin handler", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		*err = status.Errorf(codes.Internal, "plugin panic: %v", r)
	}
}

// toStatus converts an SDK error into a gRPC status carrying an ErrorDetail;
// sdk/remote does the reverse.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok && !isSDKError(err) {
		return err
	}
	code, detail := codes.Unknown, &pb.ErrorDetail{Source: pb.ErrorSource_ERROR_SOURCE_PLUGIN}
	var (
		ic *InvalidConfigError
		ua *UnauthenticatedError
		pd *PermissionDeniedError
		ra *RetryAfterError
		ns *NotSupportedError
	)
	switch {
	case errors.As(err, &ra):
		code, detail.Kind = codes.Unavailable, pb.ErrorKind_ERROR_KIND_RETRY_AFTER
		detail.Source = pb.ErrorSource_ERROR_SOURCE_DOWNSTREAM
		detail.RetryAfter = durationpb.New(ra.Wait)
	case errors.As(err, &ua):
		code, detail.Kind = codes.Unauthenticated, pb.ErrorKind_ERROR_KIND_UNAUTHENTICATED
		detail.Source = pb.ErrorSource_ERROR_SOURCE_DOWNSTREAM
	case errors.As(err, &pd):
		code, detail.Kind = codes.PermissionDenied, pb.ErrorKind_ERROR_KIND_PERMISSION_DENIED
		detail.Source = pb.ErrorSource_ERROR_SOURCE_DOWNSTREAM
		detail.Permission = pd.Permission
	case errors.As(err, &ic):
		code, detail.Kind = codes.InvalidArgument, pb.ErrorKind_ERROR_KIND_INVALID_CONFIG
		detail.Field = ic.Field
	case errors.As(err, &ns):
		code, detail.Kind = codes.Unimplemented, pb.ErrorKind_ERROR_KIND_NOT_SUPPORTED
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	}
	st := status.New(code, err.Error())
	if withDetail, derr := st.WithDetails(detail); derr == nil {
		st = withDetail
	}
	return st.Err()
}

func isSDKError(err error) bool {
	var (
		ic *InvalidConfigError
		ua *UnauthenticatedError
		pd *PermissionDeniedError
		ra *RetryAfterError
		ns *NotSupportedError
	)
	return errors.As(err, &ic) || errors.As(err, &ua) || errors.As(err, &pd) || errors.As(err, &ra) || errors.As(err, &ns)
}
