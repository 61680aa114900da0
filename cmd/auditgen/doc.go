// Command auditgen writes realistic Authing audit lines for tests and
// benchmarks, e.g. go run ./cmd/auditgen -n 1000000 -o /tmp/audit.log;
// with -browser-agents 10000, half of the lines carry one of 10 000
// distinct browser user agents.
package main
