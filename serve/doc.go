// Package serve runs `ingestd serve` without cobra: it loads the signing
// key and the pools file, connects to the engine, binds the listener,
// builds the query API and serves it until its context ends, with the
// process lifecycle around it: systemd readiness and stopping
// notifications, and on SIGHUP the pools file read again and a rebuilt
// handler swapped in atomically (a broken file is refused and the pools in
// use are kept). Errors carry the exit status (internal/exitcode: 1
// engine or listener failed, 2 usage).
//
// Buffer ownership: none; each request is the query package's. Concurrency:
// requests run on net/http's goroutines, each on the handler that was in
// place when it arrived; one goroutine waits for hangups. Shutdown: when
// the context ends the listener closes and requests in progress get
// query.ShutdownGrace.
package serve
