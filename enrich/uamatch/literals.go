package uamatch

import (
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"
)

// Limits of the literal analysis. A finite set of exact strings larger than
// maxSet, or holding a string longer than maxLen, stops being tracked as
// exact; what was gathered so far is still kept as a required set.
const (
	maxSet = 64
	maxLen = 48
	// maxAlt bounds the union of an alternation's requirements: uap-core's
	// crawler patterns list a few hundred names.
	maxAlt = 1024
	// extendBelow: a run of exact strings shorter than this is extended by
	// the prefixes of the node after it ("i9" + [0-9] gives "i90"…"i99");
	// longer runs already filter well and would only multiply literals.
	extendBelow = 4
	// maxCopies bounds how many copies of x{n,m} are multiplied out.
	maxCopies = 8
	// minUseful is the shortest required literal worth indexing: shorter
	// ones occur in nearly every user agent and only cost lookups.
	minUseful = 3
)

// facts is what the analysis knows about a sub-expression, with every
// string ASCII-lowercased:
//   - exact: when non-nil, the finite set of strings the node matches
//     (a zero-width node matches {""});
//   - req: when non-nil, every match contains one of these strings;
//   - prefix: when non-nil, every match starts with one of these strings.
type facts struct {
	exact  []string
	req    []string
	prefix []string
}

// requiredLiterals returns a set of lowercase strings such that any match
// of re contains at least one of them (compared after ASCII lowercasing of
// the text), or nil when no useful set exists and the pattern must always
// be tried. The analysis is conservative: it may only drop strings from
// knowledge, never claim a string that a match could lack.
func requiredLiterals(re *syntax.Regexp) []string {
	f := analyse(re)
	best := f.req
	if f.exact != nil && better(f.exact, best) {
		best = f.exact
	}
	if !useful(best) {
		return nil
	}
	return best
}

func analyse(re *syntax.Regexp) facts {
	switch re.Op {
	case syntax.OpLiteral:
		subs := make([]facts, len(re.Rune))
		for i, r := range re.Rune {
			subs[i] = runeFacts(r)
		}
		return concat(subs)
	case syntax.OpCharClass:
		return classFacts(re.Rune)
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine,
		syntax.OpBeginText, syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return facts{exact: []string{""}}
	case syntax.OpCapture:
		return analyse(re.Sub[0])
	case syntax.OpConcat:
		subs := make([]facts, len(re.Sub))
		for i, s := range re.Sub {
			subs[i] = analyse(s)
		}
		return concat(subs)
	case syntax.OpAlternate:
		return alternate(re.Sub)
	case syntax.OpQuest:
		f := analyse(re.Sub[0])
		if f.exact != nil && len(f.exact) < maxSet {
			return facts{exact: union(f.exact, []string{""})}
		}
		return facts{}
	case syntax.OpPlus:
		f := analyse(re.Sub[0])
		return facts{req: asReq(f), prefix: prefixOf(f)}
	case syntax.OpRepeat:
		return repeat(re)
	default:
		// OpStar, OpAnyChar, OpAnyCharNotNL, OpNoMatch: no requirement.
		return facts{}
	}
}

// runeFacts: an ASCII rune is the exact one-letter string (lowercased, which
// covers both case-sensitive and case-folded literals); a non-ASCII rune is
// left unknown, so literals never span non-ASCII text.
func runeFacts(r rune) facts {
	if r >= utf8.RuneSelf {
		return facts{}
	}
	return facts{exact: []string{string(lower(byte(r)))}}
}

// classFacts turns a small class of ASCII runes into an exact set of
// one-letter strings. K (U+212A) and ſ (U+017F), which (?i) folds onto k
// and s, are ignored here: text holding them is always matched in full.
func classFacts(ranges []rune) facts {
	var set []string
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		for r := lo; r <= hi; r++ {
			if r == kelvin || r == longS {
				continue
			}
			if r >= utf8.RuneSelf || len(set) >= maxSet/4 {
				return facts{}
			}
			s := string(lower(byte(r)))
			if !slices.Contains(set, s) {
				set = append(set, s)
			}
		}
	}
	if len(set) == 0 {
		return facts{}
	}
	return facts{exact: set}
}

// concat combines the facts of consecutive nodes: runs of exact nodes are
// multiplied out into longer exact strings, extended by the known prefixes
// of the inexact node that ends a run; every run and every inexact node's
// requirement is a candidate, and the best candidate is kept.
func concat(subs []facts) facts {
	cur := []string{""}
	allExact := true
	var prefix []string
	var cands [][]string
	for _, f := range subs {
		if f.exact != nil {
			if p, ok := product(cur, f.exact); ok {
				cur = p
				continue
			}
			if allExact {
				prefix = cur
			}
			allExact = false
			cands = append(cands, cur)
			cur = f.exact
			continue
		}
		run := cur
		if f.prefix != nil && score(cur) < extendBelow {
			if p, ok := product(cur, f.prefix); ok {
				run = p
			}
		}
		if allExact {
			prefix = run
		}
		allExact = false
		cands = append(cands, run)
		if f.req != nil {
			cands = append(cands, f.req)
		}
		cur = []string{""}
	}
	if allExact {
		return facts{exact: cur}
	}
	cands = append(cands, cur)
	var best []string
	for _, c := range cands {
		if better(c, best) {
			best = c
		}
	}
	if score(best) == 0 {
		best = nil
	}
	if score(prefix) == 0 {
		prefix = nil
	}
	return facts{req: best, prefix: prefix}
}

// prefixOf is what every match of a node starts with, if known.
func prefixOf(f facts) []string {
	if f.exact != nil {
		return f.exact
	}
	return f.prefix
}

// alternate: exact when every branch is; otherwise a requirement only when
// every branch has one (their union).
func alternate(subs []*syntax.Regexp) facts {
	var exact, req, prefix []string
	exactOK, reqOK, prefixOK := true, true, true
	for _, s := range subs {
		f := analyse(s)
		if p := prefixOf(f); prefixOK && score(p) > 0 && len(prefix)+len(p) <= maxSet {
			prefix = union(prefix, p)
		} else {
			prefixOK = false
		}
		if exactOK && f.exact != nil && len(exact)+len(f.exact) <= maxSet {
			exact = union(exact, f.exact)
		} else {
			exactOK = false
		}
		r := asReq(f)
		if reqOK && r != nil && len(req)+len(r) <= maxAlt {
			req = union(req, r)
		} else {
			reqOK = false
		}
	}
	if !prefixOK {
		prefix = nil
	}
	switch {
	case exactOK:
		return facts{exact: exact}
	case reqOK:
		return facts{req: req, prefix: prefix}
	}
	return facts{prefix: prefix}
}

// repeat treats x{n,m} (n ≥ 1) as n copies of x, followed, when m > n, by
// an unknown tail.
func repeat(re *syntax.Regexp) facts {
	if re.Min < 1 {
		return facts{}
	}
	sub := analyse(re.Sub[0])
	parts := make([]facts, 0, maxCopies+1)
	for range min(re.Min, maxCopies) {
		parts = append(parts, sub)
	}
	if re.Max != re.Min || re.Min > maxCopies {
		parts = append(parts, facts{})
	}
	return concat(parts)
}

// asReq is the requirement a node imposes: its exact set, or its req.
func asReq(f facts) []string {
	r := f.req
	if f.exact != nil && better(f.exact, r) {
		r = f.exact
	}
	if score(r) == 0 {
		return nil
	}
	return r
}

func product(a, b []string) ([]string, bool) {
	if len(a)*len(b) > maxSet {
		return nil, false
	}
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			if len(x)+len(y) > maxLen {
				return nil, false
			}
			s := x + y
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out, true
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// score is the length of the shortest string of a set: the set filters no
// better than its weakest member. nil scores 0.
func score(set []string) int {
	if len(set) == 0 {
		return 0
	}
	m := len(set[0])
	for _, s := range set[1:] {
		m = min(m, len(s))
	}
	return m
}

// commonness counts the typical browser agents in which some string of set
// occurs: a literal every browser carries (") applewebkit", "mozilla/5.0")
// unlocks its pattern on every agent and filters nothing.
func commonness(set []string) int {
	n := 0
	for _, a := range typicalAgents {
		for _, s := range set {
			if strings.Contains(a, s) {
				n++
				break
			}
		}
	}
	return n
}

// better reports whether set a filters better than b: present in fewer
// typical agents, then a longer shortest string, then fewer strings.
func better(a, b []string) bool {
	sa, sb := score(a), score(b)
	if sa == 0 || sb == 0 {
		return sa > sb
	}
	if ca, cb := commonness(a), commonness(b); ca != cb {
		return ca < cb
	}
	if sa != sb {
		return sa > sb
	}
	return len(a) < len(b)
}

// useful reports whether a requirement is worth indexing: strings of at
// least minUseful bytes, or of two bytes that no typical agent carries.
func useful(set []string) bool {
	sc := score(set)
	return sc >= minUseful || sc == 2 && commonness(set) == 0
}

// typicalAgents are lowercase agents of the common browsers, only used to
// rank literals (never to decide a match).
var typicalAgents = []string{
	"mozilla/5.0 (windows nt 10.0; win64; x64) applewebkit/537.36 (khtml, like gecko) chrome/120.0.0.0 safari/537.36",
	"mozilla/5.0 (windows nt 10.0; win64; x64) applewebkit/537.36 (khtml, like gecko) chrome/120.0.0.0 safari/537.36 edg/120.0.0.0",
	"mozilla/5.0 (macintosh; intel mac os x 10_15_7) applewebkit/605.1.15 (khtml, like gecko) version/17.1 safari/605.1.15",
	"mozilla/5.0 (iphone; cpu iphone os 17_1 like mac os x) applewebkit/605.1.15 (khtml, like gecko) version/17.1 mobile/15e148 safari/604.1",
	"mozilla/5.0 (ipad; cpu os 16_6 like mac os x) applewebkit/605.1.15 (khtml, like gecko) crios/119.0.6045.169 mobile/15e148 safari/604.1",
	"mozilla/5.0 (linux; android 10; k) applewebkit/537.36 (khtml, like gecko) chrome/120.0.0.0 mobile safari/537.36",
	"mozilla/5.0 (linux; android 13; sm-s911b build/tp1a.220624.014; wv) applewebkit/537.36 (khtml, like gecko) version/4.0 chrome/119.0.6045.163 mobile safari/537.36",
	"mozilla/5.0 (x11; linux x86_64) applewebkit/537.36 (khtml, like gecko) chrome/120.0.0.0 safari/537.36",
	"mozilla/5.0 (x11; ubuntu; linux x86_64; rv:120.0) gecko/20100101 firefox/120.0",
	"mozilla/5.0 (windows nt 10.0; win64; x64; rv:120.0) gecko/20100101 firefox/120.0",
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

const (
	kelvin = '\u212A' // folds with k and K under (?i)
	longS  = '\u017F' // folds with s and S under (?i)
)
