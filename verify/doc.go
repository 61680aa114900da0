// Package verify proves that a search engine holds, unchanged, the document
// of every line of a set of audit archives, and repairs the index when it
// does not.
//
// Run is the whole `ingestd verify` command without cobra: it reads the
// archives as replay does (replay.Archive), connects, checks, prints the
// summary (and --json) and returns an error carrying the exit status
// (internal/exitcode: 1 missing, altered or incomplete, 2 usage, 130
// interrupted).
//
// A Checker is a sink.Sink: the command runs the ordinary replay pipeline
// (source → parser → enrich, the same code replay uses) into it, so every
// line yields exactly the document, _id and index name replay would index,
// and lines replay would dead-letter are counted, not expected. The Checker
// copies each batch's documents into check requests of Config.BatchDocs
// documents and fetches them, Config.InFlight requests at a time, with one
// ids search per index (faster than _mget; _source filtering is slower
// than the whole _source on OpenSearch, see BENCHMARKS.md). What looks
// missing or altered is fetched again with the real-time _mget before it
// is reported, so a document not yet refreshed is never called missing.
//
// Buffer ownership: Write copies what it needs out of the batch before it
// returns (the pipeline reuses its buffers); a request's copy is dropped
// once its answer is classified. Memory is bounded by InFlight+1 requests,
// plus, with Extra, 8 bytes per expected document (a hash of index and
// _id) and, with Repair, one small record per repaired document.
//
// Concurrency: Write and Close are called from one goroutine at a time
// (the pipeline's writer, or a lock around it); InFlight worker goroutines
// query the engine. Counters are atomic; the report writer and the repair
// sink are guarded by a mutex.
//
// Errors and shutdown: a request that still fails after Config.Attempts
// tries (engine down, 5xx, an answer that cannot be read) stops the
// Checker: Write returns the error, nothing is counted as missing, and the
// result says the verification is incomplete. Close waits for the requests
// in flight; Finish then repairs, re-checks and scans for extra documents.
package verify
