// Package source reads audit files: plain or gzip-compressed, line by line,
// with byte offsets and line numbers, and follows the dated files of a
// directory (Tailer).
//
// Contract:
//
//   - LineReader.Next returns a Line whose Bytes alias the reader's buffer;
//     they are valid until the next call to Next. Copy what must be kept.
//   - A LineReader is not safe for concurrent use.
//   - Memory is bounded by the maximum line length, whatever the length of
//     a line: a LineReader keeps at most that many bytes of a line.
//   - Lines longer than the configured maximum are not returned whole: Next
//     returns a *LineTooLongError carrying the first bytes, skips to the next
//     newline and goes on, so one bad line never stops a file. It is one
//     error per physical line, spanning it up to its newline.
//   - A final line without a newline is returned with Complete=false; the
//     caller decides whether it is finished (replay of an archive) or still
//     being written (tailing).
//
// The Tailer reads every file through its own descriptor with a
// LineReader that, while a file may still grow, holds an unterminated line
// (over-long or not) until its newline, however many writes it takes.
// nxadm/tail's file watcher (inotify, or polling) only wakes it up when the
// followed file changes. A file that is no longer the newest is finished,
// an unterminated last line then taken as complete, only after it has
// been quiet for RotateGrace (see TailConfig).
//
// The Tailer keeps what it knows of each file of the directory between
// listings (catalog.go) and identifies a file again only when its stat
// changes, so moving on to the next file costs the same however many
// files there are. Run starts one goroutine of its own, the directory
// watcher's (inotify), which only records the names it reports; it ends
// when Run returns. Everything else runs on Run's goroutine, except
// Files, IgnoredOlder and Unterminated (safe from any goroutine) and the
// Tracked cursors, which the sink's acknowledgements update.
package source
