// Package exitcode defines, once, the exit statuses of the ingestd
// commands and the error that carries one from the package that decides
// it (replay, verify, serve, daemon wiring) up to main, which exits with
// it. It holds no buffers and no goroutines; its values are immutable and
// safe to share.
package exitcode
