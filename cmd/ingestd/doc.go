// Command ingestd ships Authing audit logs: replay (files to NDJSON or the
// engine), run (the daemon that follows the live files), check-config,
// verify, serve (the list_audit_logs API), token, hash-secret and version.
//
// This package only parses flags and configuration files and makes one
// call per command into the package that runs it (replay.Run, verify.Run,
// serve.Run, daemon.Run); their errors carry the exit status
// (internal/exitcode: 0 done, 1 failed, 2 usage or configuration, 130
// interrupted), which main exits with. SIGINT/SIGTERM cancel the command's
// context; a second signal ends in-flight work at once.
package main
