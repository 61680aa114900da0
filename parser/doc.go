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
package parser
