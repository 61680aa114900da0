package uamatch

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"testing"
)

func literalsOf(t testing.TB, expr string) []string {
	t.Helper()
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		t.Fatal(err)
	}
	got := requiredLiterals(re)
	slices.Sort(got)
	return got
}

func TestRequiredLiterals(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string // nil: always tried
	}{
		{`(Firefox)/(\d+)\.(\d+)`, []string{"firefox/"}},
		{`(?i)(kindle)/(\d+)`, []string{"kindle/"}},
		{`(Chrome|CriOS)/(\d+)`, []string{"chrome/", "crios/"}},
		{`[Ff]irefox`, []string{"firefox"}},
		{`Windows ?NT`, []string{"windows nt", "windowsnt"}},
		{`(?:SM|GT)-(\d+) `, []string{"gt-0", "gt-1", "gt-2", "gt-3", "gt-4", "gt-5", "gt-6", "gt-7", "gt-8", "gt-9", "sm-0", "sm-1", "sm-2", "sm-3", "sm-4", "sm-5", "sm-6", "sm-7", "sm-8", "sm-9"}},
		{`I9\d{2}0`, []string{"i90", "i91", "i92", "i93", "i94", "i95", "i96", "i97", "i98", "i99"}},
		// optional parts and stars do not count
		{`(?:Mobile )?Safari`, []string{"mobile safari", "safari"}},
		{`Opera(?: Mini)?/`, []string{"opera/", "opera mini/"}},
		// a branch without a literal makes the whole alternation useless
		{`(Edge|[A-Z]+)/(\d+)`, nil},
		{`^(.{0,200})/(\d+) CFNetwork`, []string{" cfnetwork"}},
		// too short to be worth indexing
		{`; (\w)`, nil},
		{`.*`, nil},
		// non-ASCII never takes part in a literal
		{`(?i)Ünicode`, []string{"nicode"}},
		// a literal every browser carries loses to a rarer one
		{`(Nexus \d+) Build.{0,50}\) AppleWebKit`, []string{"nexus "}},
		{`; (LG)-(\d+) Build`, []string{"; lg-"}},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			got := literalsOf(t, tc.expr)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("requiredLiterals(%q) = %q, want %q", tc.expr, got, want)
			}
		})
	}
}

// checkSound fails when re matches text although the lowercased text holds
// none of the literals the analysis claims every match needs.
func checkSound(t *testing.T, expr, text string) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return
	}
	tree, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return
	}
	lits := requiredLiterals(tree)
	if lits == nil || !re.MatchString(text) || strings.ContainsRune(text, kelvin) || strings.ContainsRune(text, longS) {
		return
	}
	folded := make([]byte, len(text))
	for i := range len(text) {
		folded[i] = lower(text[i])
	}
	for _, l := range lits {
		if strings.Contains(string(folded), l) {
			return
		}
	}
	t.Fatalf("%q matches %q but holds none of %q", expr, text, lits)
}

func FuzzRequiredLiterals(f *testing.F) {
	for _, s := range []struct{ expr, text string }{
		{`(Firefox)/(\d+)`, "Mozilla/5.0 Firefox/92.0"},
		{`(?i)(kindle)/(\d+)`, "KINDLE/3"},
		{`Windows ?NT`, "WindowsNT 6.1"},
		{`(?:SM|GT)-(\d+)`, "SM-123"},
		{`I9\d{2}0[A-Z]?`, "GT-I9300"},
		{`(a|bc){2,3}d`, "abcbcd"},
		{`(?i)x(?:y|z)+w`, "XZYW"},
		{`^(.{0,200})/(\d+) CFNetwork`, "App/1 CFNetwork"},
	} {
		f.Add(s.expr, s.text)
	}
	f.Fuzz(checkSound)
}
