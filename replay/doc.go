// Package replay runs the replay command without cobra: it expands the
// archive arguments (files, directories, globs, --from/--to) into inputs,
// opens the enrichment once, reads the inputs through the pipeline
// (Archive.Jobs files at a time) into NDJSON or the engine, prints the
// summary and returns an error carrying the exit status
// (internal/exitcode). verify reads archives the same way (Archive).
//
// Buffer ownership: documents belong to the pipeline and the sink; this
// package holds none. Concurrency: Run is one call per command; the
// pipeline owns its goroutines. Shutdown: when Run's context ends reading
// stops and in-flight engine requests get Options.Grace, or less when
// Options.Hard ends first; the result is then exit status 130.
package replay
