package memtune

import "runtime/debug"

// DefaultGCPercent is the heap growth ingestd asks of Go's garbage
// collector when GOGC is not set: a cycle starts when the heap has grown
// by half of what the previous one left live, instead of Go's default of
// doubling it. Most of ingestd's live heap is long-lived (uap-go's
// compiled patterns, the literal automaton, the caches, the pooled chunks:
// ~33 MB in replay) and it allocates little per line, so collections are
// rare either way: with 50, replay with the real GeoLite2 database peaks at
// ~120 MB RSS instead of ~130 MB, for about the same CPU (BENCHMARKS.md,
// "Memory"). GOGC and GOMEMLIMIT set in the environment win.
const DefaultGCPercent = 50

// Apply sets DefaultGCPercent unless getenv("GOGC") is set (then the
// runtime has already taken it), and reports whether it did.
func Apply(getenv func(string) string) bool {
	if getenv("GOGC") != "" {
		return false
	}
	debug.SetGCPercent(DefaultGCPercent)
	return true
}
