// Package auditgen writes realistic, reproducible Authing audit lines for
// tests and benchmarks: varied user agents, a pool of client addresses
// (public v4 and v6, private, "null"), event types, free-text messages and
// JSON parameters. Every line has a unique logId.
//
// A Generator is used by one goroutine; Append appends to the caller's
// buffer and keeps no reference to it; nothing to shut down.
package auditgen
