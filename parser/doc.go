// Package parser turns one Authing audit line into an Event.
//
// A line looks like
//
//	[2021-09-22T07:47:21.559-0000] logId=… appId=null userAgent=Mozilla/5.0 (X11; Linux) … eventResultMsg=null
//
// Contract:
//
//   - Parse is the whole API: it fills a caller-owned *Event from a caller-owned
//     line. The Event's byte slices alias the line (or the Event's own scratch
//     buffer for unquoted values); they are valid until the line buffer is
//     reused or the Event is passed to Parse again. Copy what must outlive that.
//   - In steady state Parse allocates nothing: an Event is meant to be reused
//     line after line, like bufio.Scanner's buffer.
//   - An Event is not safe for concurrent use; use one per goroutine. Parse
//     itself keeps no state between calls.
//   - A line that cannot be parsed yields a *ParseError carrying the column
//     and the reason; the caller adds the file name and line number (see
//     ParseError.File and ParseError.Line) and dead-letters the raw line.
//
// Value boundaries: values are not quoted and may contain spaces, commas,
// '=', brackets and JSON. A value ends only where the next key begins: a
// space followed by an identifier and '='. A known key that already appeared
// on the line is value text, not a new key, and an identifier inside a
// balanced JSON object or array, or inside a double-quoted value, never
// starts a key. Keys that are not in the known set are kept in Event.Extra
// when they are camelCase like the server's own keys (tenantId, traceId);
// other "word=" text (limit=10) stays part of the value.
// A value wrapped in one pair of double quotes is unquoted (`userAgent="null"`
// becomes null); the string "null" is kept as the string "null".
//
// Ambiguous lines: since values are free text, the first occurrence of a
// known key wins, and text the server wrote before a key can pose as that
// key. A user named "x userPoolId=evil" yields
//
//	… userName=x userPoolId=evil userPoolId=real userId=…
//
// which Parse reads as userPoolId=evil, the real pair being value text. No
// parser can tell the two apart, so Parse keeps the first-wins rule and
// reports what it saw, without allocating:
//
//   - Event.Repeated: known keys that occur more than
//     once at key positions (a space, the name, '='). The later occurrences
//     are value text. Also counted: a key that is a key of the line and whose
//     "name=" also follows a space inside a JSON or double-quoted value that
//     was skipped (such a value could otherwise hide the real key). A
//     legitimate message such as `eventResultMsg=request failed appId=abc`
//     is flagged too (appId repeated), and kept whole: it is as ambiguous to
//     a machine as a spoof.
//   - Event.OutOfOrder: known keys taken for keys although they come before
//     the previous known key in the server's fixed order (the order of the
//     Key constants; unknown keys do not count). The server always writes
//     its keys in that order, so this only happens when a key was spoofed:
//     it catches spoofed keys that the server did not write on that line,
//     which Repeated cannot see. Known keys hidden inside a skipped JSON or
//     quoted value count for the order as written there, so a key taken
//     after a value that swallowed the server's own keys is out of order.
//     If a server version ever changed the order, every line would be
//     flagged: loud, not silent, and fixed in keys.go.
//
// Both sets are empty for every line the server writes from values without
// " knownKey=" text. Neither set says which occurrence is genuine; a
// consumer should treat the values of a line with either set non-empty as
// untrusted (the enrich package tags such documents _ambiguous_keys).
// Detection is best-effort: a spoofed key that the server did not write
// and that lands in order (userName=x userPoolId=evil on a line without
// userPoolId) is undetectable.
//
// Pools of an ambiguous line: Event.AppendPoolCandidates returns the pools
// named in the name stretch (Event.PoolStretch), the part of the line
// before the server's own userAgent that only a user name can write into,
// and Event.PoolInStretch whether the userPoolId Parse took lies there.
// The rule is stated in README.md, "Parsing rules"; pools.go implements it.
package parser
