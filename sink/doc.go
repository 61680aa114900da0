// Package sink delivers documents: to an NDJSON stream (replay's default),
// and dead letters to a file.
//
// Contract:
//
//   - A Batch is handed to Sink.Write by the pipeline and owned by the sink
//     until Write returns; after that the pipeline reuses its buffers. A
//     sink that needs data beyond Write copies it.
//   - Write blocks while the destination is slow; that is the back-pressure
//     the pipeline relies on. It returns an error only when the destination
//     failed for good; the batch is then not delivered.
//   - Close flushes and releases the destination; it is idempotent.
//   - Sinks are used by one goroutine at a time unless stated otherwise.
//     DeadLetters is safe for concurrent use.
//   - Acknowledgement: a Batch carries a Token, implemented by whoever owns
//     the read positions (pipeline.Position). Bulk calls Token.Settled
//     once per batch when every document is indexed or dead-lettered,
//     from its own goroutines and out of batch order; dead letters are
//     fsynced later, by the cursors' owner before it commits offsets
//     (source.Registry.SaveAfter(DeadLetters.Sync)). NDJSON settles
//     nothing: replay has no cursors.
package sink
