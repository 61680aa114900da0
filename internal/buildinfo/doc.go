// Package buildinfo tells which ingestd this is: the version and commit
// stamped by the linker (make build, make release, make image), the Go
// version, and the version of uap-go, whose embedded uap-core regexes parse
// user agents. It holds no state beyond those strings and is safe for
// concurrent use.
package buildinfo
