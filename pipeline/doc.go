// Package pipeline wires the stages: source (read lines) → parser → enrich
// → sink, with dead letters on the side.
//
// Contract:
//
//   - Replay reads its inputs in order, one reader goroutine. Lines are
//     copied into chunks; a fixed set of workers parses and enriches
//     chunks; the writer hands the resulting batches to the sink in input
//     order. Between reading and writing sits one bounded queue of chunks,
//     so memory is bounded and a slow sink slows reading.
//   - Every line ends up as exactly one document or one dead letter; Stats
//     counts both. Nothing is dropped without being counted.
//   - Cancelling the context stops reading; chunks already read are still
//     processed and written before Replay returns (drain in order).
//   - Per-line problems are counted, never logged one by one; per-file
//     problems (unreadable, corrupt archive) are logged once per file.
//   - Tail does the same over a source.Tailer. Each batch's sink.Token is
//     its chunk's Position; when the sink settles it, the position is
//     acknowledged to its file's cursor (source.Tracked.Ack), and the
//     registry commits only acknowledged, contiguous offsets.
package pipeline
