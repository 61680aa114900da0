package uamatch

import (
	"fmt"

	"github.com/coregx/ahocorasick"
)

// finder reports which literals occur in a text, overlaps included.
type finder struct {
	ac *ahocorasick.Automaton
}

func newFinder(lits []string) (finder, error) {
	ac, err := ahocorasick.NewBuilder().AddStrings(lits).Build()
	if err != nil {
		return finder{}, fmt.Errorf("literal index: %w", err)
	}
	return finder{ac: ac}, nil
}

// each calls fn with the id and end offset of every literal occurrence in
// text (a literal occurring twice is reported twice). Safe for concurrent
// use.
func (f finder) each(text []byte, fn func(id, end int)) {
	for _, m := range f.ac.FindAllOverlapping(text) {
		fn(m.PatternID, m.End)
	}
}
