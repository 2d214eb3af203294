package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/hashicorp/go-hclog"

	"github.com/outpost-soc/outpost/host/service"
)

// The codes of API.md's error table.
const (
	CodeInvalidArgument    = "INVALID_ARGUMENT"
	CodeUnauthenticated    = "UNAUTHENTICATED"
	CodePermissionDenied   = "PERMISSION_DENIED"
	CodeNotFound           = "NOT_FOUND"
	CodeFailedPrecondition = "FAILED_PRECONDITION"
	CodeAlreadyExists      = "ALREADY_EXISTS"
	CodeUnavailable        = "UNAVAILABLE"
	CodeInternal           = "INTERNAL"
)

// ErrorBody is the body of every error answer.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// httpError is an error the API itself answers (bad JSON, rate limit, an
// unknown route), with its status already chosen.
type httpError struct {
	status     int
	code       string
	message    string
	retryAfter int // seconds, for 429
}

func (e *httpError) Error() string { return e.message }

func badRequest(format string, args ...any) error {
	return &httpError{status: http.StatusBadRequest, code: CodeInvalidArgument, message: fmt.Sprintf(format, args...)}
}

// classify chooses the status, code and message of err. Only *httpError and
// *service.Error carry messages meant for a client; anything else is a 500
// with a fixed message.
func classify(err error) (int, string, string) {
	var he *httpError
	if errors.As(err, &he) {
		return he.status, he.code, he.message
	}
	var se *service.Error
	if errors.As(err, &se) {
		switch se.Kind {
		case service.ErrInvalidArgument:
			return http.StatusBadRequest, CodeInvalidArgument, se.Message
		case service.ErrUnauthenticated:
			return http.StatusUnauthorized, CodeUnauthenticated, se.Message
		case service.ErrPermissionDenied:
			return http.StatusForbidden, CodePermissionDenied, se.Message
		case service.ErrNotFound:
			return http.StatusNotFound, CodeNotFound, se.Message
		case service.ErrFailedPrecondition:
			return http.StatusConflict, CodeFailedPrecondition, se.Message
		case service.ErrAlreadyExists:
			return http.StatusConflict, CodeAlreadyExists, se.Message
		case service.ErrUnavailable:
			if errors.Is(se, context.DeadlineExceeded) {
				return http.StatusGatewayTimeout, CodeUnavailable, se.Message
			}
			return http.StatusServiceUnavailable, CodeUnavailable, se.Message
		}
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, CodeUnavailable, "the request did not complete in time"
	case errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable, CodeUnavailable, "the request was cancelled"
	}
	return http.StatusInternalServerError, CodeInternal, "internal error"
}

// errorMiddleware renders the last error a handler recorded, unless the
// handler already wrote an answer (a backup that failed mid-stream).
func errorMiddleware(log hclog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if len(c.Errors) == 0 {
			return
		}
		err := c.Errors.Last().Err
		status, code, msg := classify(err)
		if status >= 500 {
			log.Error("request failed", "method", c.Request.Method, "route", route(c), "status", status, "error", err)
		}
		if c.Writer.Written() {
			return
		}
		var he *httpError
		if errors.As(err, &he) && he.retryAfter > 0 {
			c.Header("Retry-After", strconv.Itoa(he.retryAfter))
		}
		if status == http.StatusUnauthorized {
			c.Header("WWW-Authenticate", `ApiToken realm="outpost"`)
		}
		c.JSON(status, ErrorBody{Code: code, Message: msg})
	}
}

// fail records err for errorMiddleware and stops the chain.
func fail(c *gin.Context, err error) {
	_ = c.Error(err)
	c.Abort()
}

// handle adapts a handler that returns its error.
func handle(fn func(c *gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := fn(c); err != nil {
			fail(c, err)
		}
	}
}

func route(c *gin.Context) string {
	if r := c.FullPath(); r != "" {
		return r
	}
	return "unmatched"
}
