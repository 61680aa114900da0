// Package query answers Authing's audit-log API over the documents ingestd
// indexed: GET /api/v2/analysis/audit (and /user-action, same shape), with
// Authing-compatible authentication: bearer JWTs carrying the user pools
// the holder may read, obtained with POST /graphql/v2
// accessToken(userPoolId, secret).
//
// Contract: a Server is an http.Handler, safe for concurrent use. It holds
// no state between requests. Filters become structured term queries; the
// caller's pools are always a filter, so a request never sees another
// pool's logs whatever it sends. Errors are JSON {code, message} with the
// HTTP status; secrets and tokens are never logged.
package query
