// Package daemon is `ingestd run`: it follows the dated audit files of a
// directory (source.Tailer), runs every line through the pipeline into
// the bulk sink, and commits each file's offset to the registry once the
// engine holds — or the dead-letter file has — every line before it.
//
// It owns the daemon's configuration (Config: the YAML file's sections,
// Defaults, Problems; each section's defaults and checks come from the
// package that uses it) and its lifecycle: resources opened once (Run),
// metrics served from the start, the registry saved every flush interval,
// a watchdog that stops reading when the sink fails for good, SIGHUP
// reloads and systemd notifications, and the shutdown order.
//
// Contract:
//
//   - Acknowledgement: each batch carries its pipeline.Position as its
//     sink.Token; the bulk sink settles it, the position moves its file's
//     cursor, and the registry saves only offsets whose dead letters are
//     fsynced first (Registry.SaveAfter(DeadLetters.Sync)).
//   - Concurrency: Run blocks; it starts the pipeline's goroutines, the
//     sink's, a save ticker, a watchdog and the lifecycle's, and all of
//     them have ended when it returns. Config is read, not written, once
//     Run has started.
//   - Shutdown: when Run's context ends, reading stops; in-flight batches
//     get until ShutdownTimeout after that (or until Options.Hard ends);
//     the registry is then saved. Lines not acknowledged by then are sent
//     again on the next start (the documents' ids absorb the repeats).
//   - Errors: a UsageError is the configuration's (or a file it names);
//     any other error is a failure. Both are wrapped, never logged and
//     swallowed.
package daemon
