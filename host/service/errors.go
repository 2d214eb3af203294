package service

import (
	"errors"
	"fmt"
)

// The kinds of error a client is told about; the API maps each to an HTTP
// status and code. Find them with errors.Is.
var (
	ErrInvalidArgument    = errors.New("invalid argument")
	ErrUnauthenticated    = errors.New("unauthenticated")
	ErrPermissionDenied   = errors.New("permission denied")
	ErrNotFound           = errors.New("not found")
	ErrFailedPrecondition = errors.New("failed precondition")
	ErrAlreadyExists      = errors.New("already exists")
	ErrUnavailable        = errors.New("unavailable")
)

// Error is an error a client may be shown. Message is written for the
// client and holds no secret; Err, when set, is the cause, for the host log.
type Error struct {
	// Kind is one of the sentinels above.
	Kind error
	// Message is what the client reads.
	Message string
	// Field names the offending input field of an invalid argument, or is
	// empty.
	Field string
	Err   error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Is makes errors.Is(err, ErrNotFound) and the like work on an *Error.
func (e *Error) Is(target error) bool { return target == e.Kind }

func (e *Error) Unwrap() error { return e.Err }

func newError(kind error, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// InvalidArgument returns an *Error of kind ErrInvalidArgument.
func InvalidArgument(format string, args ...any) error {
	return newError(ErrInvalidArgument, format, args...)
}

// InvalidField returns an *Error of kind ErrInvalidArgument naming field.
func InvalidField(field, format string, args ...any) error {
	e := newError(ErrInvalidArgument, format, args...)
	e.Field = field
	return e
}

// Unauthenticated returns an *Error of kind ErrUnauthenticated.
func Unauthenticated(format string, args ...any) error {
	return newError(ErrUnauthenticated, format, args...)
}

// PermissionDenied returns an *Error of kind ErrPermissionDenied.
func PermissionDenied(format string, args ...any) error {
	return newError(ErrPermissionDenied, format, args...)
}

// NotFound returns an *Error of kind ErrNotFound for the object what with
// the given id.
func NotFound(what, id string) error {
	return newError(ErrNotFound, "%s %q not found", what, id)
}

// FailedPrecondition returns an *Error of kind ErrFailedPrecondition.
func FailedPrecondition(format string, args ...any) error {
	return newError(ErrFailedPrecondition, format, args...)
}

// AlreadyExists returns an *Error of kind ErrAlreadyExists.
func AlreadyExists(format string, args ...any) error {
	return newError(ErrAlreadyExists, format, args...)
}

// Unavailable returns an *Error of kind ErrUnavailable.
func Unavailable(format string, args ...any) error {
	return newError(ErrUnavailable, format, args...)
}
