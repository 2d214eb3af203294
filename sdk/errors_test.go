package sdk

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Every typed error crosses the wire (toStatus, then ErrorFromStatus) and
// comes back as the same type with its fields, found with errors.As.
func TestErrorsCrossTheWire(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   error
		code  codes.Code
		check func(error) bool
	}{
		{"invalid config", fmt.Errorf("checking: %w", InvalidConfig("url", "bad url")), codes.InvalidArgument, func(e error) bool {
			var x *InvalidConfigError
			return errors.As(e, &x) && x.Field == "url"
		}},
		{"unauthenticated", Unauthenticated("token expired"), codes.Unauthenticated, func(e error) bool {
			var x *UnauthenticatedError
			return errors.As(e, &x) && x.Message == "token expired"
		}},
		{"permission", PermissionDenied("alerts.read", "no"), codes.PermissionDenied, func(e error) bool {
			var x *PermissionDeniedError
			return errors.As(e, &x) && x.Permission == "alerts.read"
		}},
		{"retry after", fmt.Errorf("listing: %w", RetryAfter(42*time.Second, errors.New("429"))), codes.Unavailable, func(e error) bool {
			w, ok := RetryWait(e)
			return ok && w == 42*time.Second
		}},
		{"not supported", NotSupported("mirror"), codes.Unimplemented, func(e error) bool {
			var x *NotSupportedError
			return errors.As(e, &x)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wire := toStatus(tc.err)
			if st, _ := status.FromError(wire); st.Code() != tc.code {
				t.Fatalf("code %s, want %s", st.Code(), tc.code)
			}
			if back := ErrorFromStatus(wire); !tc.check(back) {
				t.Fatalf("came back as %T %v", back, back)
			}
		})
	}
	plain := status.Error(codes.Unavailable, "transport is closing")
	if _, ok := RetryWait(ErrorFromStatus(plain)); ok {
		t.Fatal("a bare transport Unavailable must not pass for a vendor rate limit")
	}
}
