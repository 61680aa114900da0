// Package shutdown bounds the time in-flight work gets after a stop
// signal. The commands use two contexts: soft ends on the first
// SIGINT/SIGTERM (stop reading), hard on the second (abandon everything);
// GraceAfter gives the work in between a deadline counted from the first
// signal.
//
// It holds no state besides the contexts and timers it returns; the cancel
// function releases them. Safe for concurrent use.
package shutdown
