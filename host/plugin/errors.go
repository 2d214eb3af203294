package plugin

import "errors"

// The manager's errors, wrapped with the plugin's name and the cause; test
// them with errors.Is.
var (
	// ErrNotFound is a plugin name the directory does not hold.
	ErrNotFound = errors.New("plugin not found")
	// ErrNotReady is a plugin that failed to load (see Info.Error): it will
	// not work until it is fixed and the directory rescanned.
	ErrNotReady = errors.New("plugin not ready")
	// ErrUnavailable is a plugin process that died, hung or is restarting:
	// the call did not complete and may be retried later.
	ErrUnavailable = errors.New("plugin unavailable")
	// ErrClosed is a call on a manager after Close.
	ErrClosed = errors.New("plugin manager closed")
)
