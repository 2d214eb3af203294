package store

import "errors"

// These errors are returned wrapped (test with errors.Is); the message of
// the wrapping error names the item, never a secret.
var (
	// ErrNotFound means the item asked for does not exist. An id that is
	// not well formed is not found either.
	ErrNotFound = errors.New("not found")

	// ErrExists means the item to create exists already.
	ErrExists = errors.New("already exists")

	// ErrConflict means the change would break a rule of the data, such
	// as deleting a customer that still has integrations.
	ErrConflict = errors.New("conflict")

	// ErrInvalid means an argument cannot be stored or searched for: an
	// unknown case status or severity level, an unusable paging id.
	ErrInvalid = errors.New("invalid argument")

	// ErrSchemaTooNew means the database file was written by a newer
	// version of Outpost; this version refuses to open it rather than
	// misread it.
	ErrSchemaTooNew = errors.New("database schema is newer than this program")

	// ErrSealed means the secret key does not open the secrets of the
	// database: it was created with another key.
	ErrSealed = errors.New("secret key does not match the database")
)
