package exitcode

import "errors"

// The exit statuses documented in README.
const (
	OK          = 0   // done
	Failed      = 1   // an input, the engine or the output failed, or a check found a problem
	Usage       = 2   // bad usage or configuration
	Interrupted = 130 // stopped by SIGINT/SIGTERM before the work was complete
)

// Error is an error that ends the process with Code.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// New wraps err (which must not be nil) with the exit status code.
func New(code int, err error) error { return &Error{Code: code, Err: err} }

// Of is the exit status err asks for: OK for nil, the Code of the first
// Error in its chain, else Usage (the command line could not be parsed).
func Of(err error) int {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Usage
}
