package parser

import (
	"errors"
	"fmt"
)

// The reasons a line is rejected. Test with errors.Is.
var (
	ErrNoTimestamp  = errors.New("line does not start with a [timestamp]")
	ErrBadTimestamp = errors.New("bad timestamp")
	ErrNoKeyValue   = errors.New("no key=value after the timestamp")
	ErrLeadingText  = errors.New("text before the first key=value")
)

// ParseError describes a rejected line, in the manner of encoding/csv's
// ParseError. Parse fills Column and Err; the reader that knows where the
// line came from fills File and Line.
type ParseError struct {
	File   string // source file, if known
	Line   int64  // 1-based line number, 0 if unknown
	Column int    // 1-based byte column where the problem was found
	Err    error  // one of the Err* reasons, possibly wrapped
}

func (e *ParseError) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d:%d: %v", e.File, e.Line, e.Column, e.Err)
	case e.Line > 0:
		return fmt.Sprintf("line %d, column %d: %v", e.Line, e.Column, e.Err)
	default:
		return fmt.Sprintf("column %d: %v", e.Column, e.Err)
	}
}

func (e *ParseError) Unwrap() error { return e.Err }
