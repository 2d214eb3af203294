package api

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/outpost-soc/outpost/host/service"
)

func TestErrorTable(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{service.InvalidArgument("bad"), 400, CodeInvalidArgument},
		{service.InvalidField("f", "bad f"), 400, CodeInvalidArgument},
		{service.Unauthenticated("who"), 401, CodeUnauthenticated},
		{service.PermissionDenied("no"), 403, CodePermissionDenied},
		{service.NotFound("customer", "x"), 404, CodeNotFound},
		{service.FailedPrecondition("not yet"), 409, CodeFailedPrecondition},
		{service.AlreadyExists("twice"), 409, CodeAlreadyExists},
		{service.Unavailable("down"), 503, CodeUnavailable},
		{&service.Error{Kind: service.ErrUnavailable, Message: "slow", Err: context.DeadlineExceeded}, 504, CodeUnavailable},
		{fmt.Errorf("wrapped: %w", service.NotFound("token", "t")), 404, CodeNotFound},
		{badRequest("malformed"), 400, CodeInvalidArgument},
		{&httpError{status: 429, code: CodeUnavailable, message: "slow down", retryAfter: 1}, 429, CodeUnavailable},
		{context.DeadlineExceeded, 504, CodeUnavailable},
		{context.Canceled, 503, CodeUnavailable},
		{errors.New("disk on fire at /var/lib/outpost"), 500, CodeInternal},
	} {
		t.Run(tc.err.Error(), func(t *testing.T) {
			status, code, msg := classify(tc.err)
			if status != tc.status || code != tc.code || msg == "" {
				t.Fatalf("classify = %d %s %q, want %d %s", status, code, msg, tc.status, tc.code)
			}
			if status == 500 && msg != "internal error" {
				t.Fatalf("500 message %q shows the error", msg)
			}
		})
	}
}
