// Package query answers Authing's audit-log API over the documents ingestd
// indexed: GET /api/v2/analysis/audit (and /user-action, same shape), with
// Authing-compatible authentication: bearer JWTs carrying the user pools
// the holder may read, obtained with POST /graphql/v2
// accessToken(userPoolId, secret).
//
// Contract: a Server is an http.Handler, safe for concurrent use. Filters
// become structured term queries; the caller's pools are always a filter,
// so a request never sees another pool's logs whatever it sends. Errors
// are JSON {code, message} with the HTTP status; secrets and tokens are
// never logged.
//
// Bounded cost: the token exchange needs no login, so every step of it is
// bounded before it runs (limit.go: per-client token buckets, concurrency
// slots; exchange.go: body size, Content-Type; cost.go: the document's
// size, depth and estimated execution, checked on graphql-go's own AST
// before its validation; one bcrypt per request). List requests bound the
// query string and the values of each filter.
//
// State and buffers: the only state kept between requests is the
// exchange's per-client buckets (an LRU of at most 10 000 addresses) and
// its slots. Request bodies are read into a buffer owned by the request;
// documents from the engine are passed through as json.RawMessage.
//
// Shutdown: a Server has no goroutines of its own; http.Server.Shutdown
// waits for running requests. An exchange whose client leaves stops before
// its bcrypt; one already hashing finishes and keeps its slot until then.
package query
