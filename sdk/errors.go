package sdk

import (
	"errors"
	"fmt"
	"time"
)

// The errors a plugin returns, wrapped with %w as it likes. They cross the
// process boundary and come back to the host as the same types: find them
// with errors.As, never ==.

// InvalidConfigError is a config the plugin cannot use (gRPC InvalidArgument).
type InvalidConfigError struct {
	// Field names the offending field, or is empty.
	Field   string
	Message string
}

func (e *InvalidConfigError) Error() string { return "invalid config: " + e.Message }

// UnauthenticatedError is a credential the vendor refused (gRPC Unauthenticated).
type UnauthenticatedError struct {
	Message string
}

func (e *UnauthenticatedError) Error() string { return "unauthenticated: " + e.Message }

// PermissionDeniedError is a credential that lacks a permission (gRPC
// PermissionDenied).
type PermissionDeniedError struct {
	// Permission names what is missing, in the vendor's words.
	Permission string
	Message    string
}

func (e *PermissionDeniedError) Error() string {
	if e.Permission == "" {
		return "permission denied: " + e.Message
	}
	return fmt.Sprintf("permission denied (needs %s): %s", e.Permission, e.Message)
}

// RetryAfterError is a vendor rate limit or outage: try again after Wait
// (gRPC Unavailable). The host holds the integration's next run until then.
type RetryAfterError struct {
	Err  error
	Wait time.Duration
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("retry after %s: %v", e.Wait, e.Err)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// NotSupportedError is a capability the plugin lacks (gRPC Unimplemented).
type NotSupportedError struct {
	What string
}

func (e *NotSupportedError) Error() string { return "not supported: " + e.What }

// DefaultRetryAfter is the wait used when a vendor names none.
const DefaultRetryAfter = 60 * time.Second

// InvalidConfig returns an *InvalidConfigError for field.
func InvalidConfig(field, format string, args ...any) error {
	return &InvalidConfigError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Unauthenticated returns an *UnauthenticatedError with the vendor's message.
func Unauthenticated(format string, args ...any) error {
	return &UnauthenticatedError{Message: fmt.Sprintf(format, args...)}
}

// PermissionDenied returns a *PermissionDeniedError naming the permission.
func PermissionDenied(permission, format string, args ...any) error {
	return &PermissionDeniedError{Permission: permission, Message: fmt.Sprintf(format, args...)}
}

// RetryAfter returns a *RetryAfterError; a wait of zero or less becomes
// DefaultRetryAfter.
func RetryAfter(wait time.Duration, err error) error {
	if wait <= 0 {
		wait = DefaultRetryAfter
	}
	if err == nil {
		err = errors.New("vendor asked to slow down")
	}
	return &RetryAfterError{Err: err, Wait: wait}
}

// NotSupported returns a *NotSupportedError.
func NotSupported(what string) error { return &NotSupportedError{What: what} }

// IsCredentialError reports whether err is an unauthenticated or
// permission-denied error: the kind that makes an integration unhealthy.
func IsCredentialError(err error) bool {
	var u *UnauthenticatedError
	var p *PermissionDeniedError
	return errors.As(err, &u) || errors.As(err, &p)
}

// RetryWait returns the wait of a *RetryAfterError in err's chain.
func RetryWait(err error) (time.Duration, bool) {
	var r *RetryAfterError
	if errors.As(err, &r) {
		return r.Wait, true
	}
	return 0, false
}
