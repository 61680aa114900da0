// Command ingestd ships Authing audit logs: replay (files to NDJSON or the
// engine), run (the daemon that follows the live files), check-config,
// verify, serve (the list_audit_logs API), token, hash-secret and version.
//
// This package parses flags and configuration files, wires the packages
// (source → pipeline → enrich → sink, query, verify, metrics) and maps
// their errors to exit codes (exitError: 0 done, 1 failed, 2 usage or
// configuration, 130 interrupted). SIGINT/SIGTERM cancel the command's
// context; a second signal ends in-flight work at once.
package main
