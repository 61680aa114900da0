// Package uamatch parses user-agent strings with uap-go's patterns and
// uap-go's answers, at the cost of the few patterns that can match.
//
// uap-go (uaparser.Parser) tries its three ordered regex lists (user agent,
// OS, device; about 1 200 patterns from uap-core's regexes.yaml) one after
// the other until one gives a family; Go's regexp has no literal prefilter
// across patterns, so an agent never seen before costs ~1–5 ms of CPU.
//
// At start-up Parser walks each pattern's regexp/syntax tree and derives a
// set of literal strings of which every match must contain one (ASCII
// lowercased, so case-insensitive patterns and case-sensitive ones share
// one index; non-ASCII text never takes part in a literal). All those
// literals go into one Aho–Corasick automaton (github.com/coregx/ahocorasick,
// overlapping search). Parsing an agent lowercases it, runs the automaton
// once, marks the patterns whose literals occur plus the patterns for which
// no useful literal exists, and tries only the marked ones, in uap-go's
// order, with uap-go's own compiled regexes and Match methods (family and
// version replacements, $1 substitution, device trimming, "Other"). A
// skipped pattern cannot match, so the first pattern that answers is the
// one uap-go would pick: the answers are equal, which equality_test.go
// checks on a large set of real and generated agents. Agents containing
// K (U+212A) or ſ (U+017F), which (?i) folds onto k and s, try every
// pattern.
//
// Which literal a pattern is indexed by is a heuristic (a literal that
// every browser carries, such as ") applewebkit", filters nothing); it
// changes speed only, never answers.
//
// Buffer ownership: Parse copies nothing it is given into its result except
// through uap-go's regexp expansion (fresh strings); the lowercase copy of
// the agent lives in a pooled scratch that never outlives the call, and a
// scratch over 4 KiB is dropped rather than pooled.
//
// Concurrency: a Parser is immutable after New and safe for concurrent
// use; each call takes its own scratch from a sync.Pool.
//
// Shutdown: nothing to close; a Parser holds no goroutines or files.
//
// Memory: ~12 MB for uap-go's compiled patterns plus ~3 MB for the
// automaton (literals are cut to 8 bytes: ~11 000 states) and the tables
// (BENCHMARKS.md); building them allocates ~70 MB of short-lived garbage. A
// call allocates the result and the automaton's match list, proportional
// to the agent's length; its CPU grows with the agent's length too (a
// 64 KiB agent: ~16 ms), as uap-go's does.
package uamatch
