package verify

import (
	"encoding/json"
	"fmt"
	"io"
)

// Problem says why the result does not prove that the engine holds every
// document unchanged, or returns nil: the check is incomplete, none of
// the documents was found (the index pattern is likely not replay's), or
// some are missing or altered. report is the --report file ("" if none).
func (r *Result) Problem(report string) error {
	switch {
	case !r.Complete:
		return fmt.Errorf("the verification is incomplete: %s", r.Error)
	case !r.OK() && r.Present == 0 && r.Altered == 0:
		return fmt.Errorf("none of the %d document(s) is in the engine: is --index the pattern replay was given? (%s)", r.Missing, r.Files[0].File)
	case !r.OK():
		hint := "; listed in " + report
		if report == "" {
			hint = " (--report FILE lists them)"
		}
		return fmt.Errorf("%d document(s) missing and %d altered in the engine%s", r.Missing, r.Altered, hint)
	}
	return nil
}

// WriteJSON writes the result as one JSON object and a newline.
func (r *Result) WriteJSON(w io.Writer) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
