package query

import (
	"strings"
	"testing"
)

// Tests of issue 15: the cost model's bounds at their edges (one inside
// passes, one past is refused), each walker needed on its own.

func TestLongestLine(t *testing.T) {
	for q, want := range map[string]int{
		"":            0,
		"abc":         3,
		"abc\n":       3,
		"a\nbc":       2,
		"ab\r\nc":     2,
		"ab\rc":       2,
		"ab\r":        2,
		"\r\n\r\n":    0,
		"x\rabc":      3, // a CR alone ends a line; the next byte is the new line's
		"x\n\rabc":    3,
		"ab\r\ncde\n": 3,
		"\r":          0,
	} {
		if got := longestLine(q); got != want {
			t.Errorf("longestLine(%q) = %d, want %d", q, got, want)
		}
	}
}

// nest returns open n times, then inner, then close n times.
func nest(open, inner, close string, n int) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

func TestCostModelEdges(t *testing.T) {
	lists := newLimitedServer(t, ExchangeLimits{}).lists
	pad := func(n int) string { // a document whose one line is n bytes
		return "{__typename" + strings.Repeat(" ", n-len("{__typename}")) + "}"
	}
	deepFrag := "{...F} fragment F on Query " + nest("{a", "", "}", maxDepth+4)
	tests := []struct{ name, query, want string }{
		{"a line of maxLine", pad(maxLine), ""},
		{"a line of maxLine+1", pad(maxLine + 1), "a line of 2049 bytes"},
		{"the same over lines", pad(maxLine) + "\r\n" + pad(maxLine)[:maxLine-1] + "\r", "not a GraphQL document"},
		{"maxDocNodes fields", "{" + strings.Repeat("a ", maxDocNodes) + "}", ""},
		{"maxDocNodes+1 fields", "{" + strings.Repeat("a ", maxDocNodes+1) + "}", "more than 400 fields"},
		{"fields nested maxDepth", nest("{a", "", "}", maxDepth), ""},
		{"fields nested maxDepth+1", nest("{a", "", "}", maxDepth+1), "nested more than 16"},
		// Inside a field, an inline fragment or a fragment definition,
		// the nodes as written count, and the nesting as written is
		// bounded, not only once expanded.
		{"many fields inside a field", "{a{" + strings.Repeat("b ", maxDocNodes+10) + "}}", "more than 400 fields"},
		{"many fields inside an inline fragment", "{... on Query {" + strings.Repeat("b ", maxDocNodes+10) + "}}", "more than 400 fields"},
		{"many fields inside a fragment", "{...F} fragment F on Query {" + strings.Repeat("b ", maxDocNodes+10) + "}", "more than 400 fields"},
		{"inline fragments nested", "{" + nest("... on Query {", "a", "}", maxDepth+4) + "}", "nested more than 16"},
		{"a deep fragment", deepFrag, "nested more than 16"},
		{"values nested maxValueDepth", "{a(x:" + nest("[", "", "]", maxValueDepth) + ")}", ""},
		{"values nested maxValueDepth+1", "{a(x:" + nest("[", "", "]", maxValueDepth+1) + ")}", "values nested more than 8"},
		{"objects nested maxValueDepth+1", "{a(x:" + nest("{b:", "1", "}", maxValueDepth) + ")}", "values nested more than 8"},
		{"variable type nested maxValueDepth", "query($v:" + nest("[", "Int", "]", maxValueDepth-1) + "){a}", ""},
		{"variable type nested maxValueDepth+1", "query($v:" + nest("[", "Int", "]", maxValueDepth) + "){a}", "types nested more than 8"},
		{"non-null nested maxValueDepth+1", "query($v:" + nest("[", "Int!", "]!", maxValueDepth-1) + "){a}", "types nested more than 8"},
		{"directive arguments counted", "{a @d(" + strings.Repeat("x:1 ", maxDocNodes) + ")}", "more than 400 fields"},
		{"many directives", "{a " + strings.Repeat("@d ", maxDocNodes+1) + "}", "more than 400 fields"},
		{"deep directive argument", "{a @d(x:" + nest("[", "", "]", maxValueDepth+1) + ")}", "values nested more than 8"},
		// Each spread and each selection of a fragment counts once per
		// spread: 2 + 2·249 = 500.
		{"maxExpandedSelections", "{...F ...F} fragment F on Query {" + strings.Repeat("a ", 249) + "}", ""},
		{"maxExpandedSelections+1", "{...F ...F b} fragment F on Query {" + strings.Repeat("a ", 249) + "}", "more than 500 selections"},
		{"fragment directives counted", "{...F} fragment F on Query " + strings.Repeat("@d ", maxDocNodes+1) + "{a}", "more than 400 fields"},
	}
	for _, tt := range tests {
		_, err := parseExchange(tt.query, "", lists)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v, want it accepted", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: %v, want an error with %q", tt.name, err, tt.want)
		}
	}
}

// TestCostModelResolvesEdge: a document estimated at exactly maxResolves
// field resolutions passes, one more is refused; lists multiply what is
// under them by their longest length in the schema.
func TestCostModelResolvesEdge(t *testing.T) {
	lists := newLimitedServer(t, ExchangeLimits{}).lists
	types, fields := lists["types"], lists["fields"]
	// {__schema{types{fields{name…}}}}: 1 + 1 + types + k·types·fields,
	// then m root fields of 1 each.
	base := 2 + types
	k := (maxResolves - base) / (types * fields)
	m := maxResolves - base - k*types*fields
	if k < 1 || m+1 > maxDocNodes-k-10 {
		t.Fatalf("lists types=%d fields=%d: cannot build the document (k=%d m=%d)", types, fields, k, m)
	}
	doc := func(m int) string {
		return "{__schema{types{fields{" + strings.Repeat("name ", k) + "}}}" + strings.Repeat(" __typename", m) + "}"
	}
	if _, err := parseExchange(doc(m), "", lists); err != nil {
		t.Errorf("%d resolves: %v, want it accepted", maxResolves, err)
	}
	if _, err := parseExchange(doc(m+1), "", lists); err == nil || !strings.Contains(err.Error(), "would resolve more than 20000") {
		t.Errorf("%d resolves: %v, want it refused", maxResolves+1, err)
	}
}
