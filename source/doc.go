// Package source reads audit files: plain or gzip-compressed, line by line,
// with byte offsets and line numbers.
//
// Contract:
//
//   - LineReader.Next returns a Line whose Bytes alias the reader's buffer;
//     they are valid until the next call to Next. Copy what must be kept.
//   - A LineReader is not safe for concurrent use.
//   - Lines longer than the configured maximum are not returned whole: Next
//     returns a *LineTooLongError carrying the first bytes, skips to the next
//     newline and goes on, so one bad line never stops a file.
//   - A final line without a newline is returned with Complete=false; the
//     caller decides whether it is finished (replay of an archive) or still
//     being written (tailing).
package source
