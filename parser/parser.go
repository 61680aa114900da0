package parser

import (
	"bytes"
	"math/bits"
	"unicode/utf8"
)

// Field is a key=value pair whose key is not one of the known keys.
type Field struct {
	Name  []byte
	Value []byte
}

// Event is one parsed audit line. The zero value is ready for Parse. Its
// slices alias the parsed line; see the package documentation.
type Event struct {
	// Line is the parsed line without its line terminator (\n or \r\n).
	Line []byte
	// Timestamp is the text between the brackets, as written.
	Timestamp []byte
	// UnixMilli is the event instant; Offset the writer's UTC offset in seconds.
	UnixMilli int64
	Offset    int32
	// Extra holds keys that are not known keys, in line order. Only
	// camelCase names are taken for keys (see serverStyle).
	Extra []Field
	// InvalidUTF8 reports that the line is not valid UTF-8. Encoders must
	// replace the bad bytes; the event is otherwise usable.
	InvalidUTF8 bool

	values     [NumKeys][]byte
	seen       uint32
	repeated   KeySet // see Repeated
	outOfOrder KeySet // see OutOfOrder
	shadowed   KeySet // known keys written inside a skipped JSON or quoted value
}

// Get returns the value of a known key and whether the line had it.
func (e *Event) Get(k Key) ([]byte, bool) {
	if k >= NumKeys || e.seen&(1<<k) == 0 {
		return nil, false
	}
	return e.values[k], true
}

// Has reports whether the line had key k.
func (e *Event) Has(k Key) bool { return k < NumKeys && e.seen&(1<<k) != 0 }

// Repeated returns the known keys that occur more than once at key
// positions on the line: a space, the key's name and '='. The first
// occurrence is the key (Get returns its value); the later ones were kept
// as value text. A key whose name and '=' also appear inside a JSON or
// double-quoted value that was skipped counts as repeated too. A repeated
// key means the line is ambiguous: value text written before the key (a
// user name, a user agent) may have supplied the value Get returns. See the
// package documentation.
func (e *Event) Repeated() KeySet { return e.repeated }

// OutOfOrder returns the known keys that were taken for keys although they
// come before the previous key in the server's fixed order (the order of
// the Key constants). The server never writes keys out of order, so such a
// key was either preceded by a key spoofed inside a value or is itself
// spoofed. See the package documentation.
func (e *Event) OutOfOrder() KeySet { return e.outOfOrder }

// Set stores a value for a known key (used by formatters and tests).
func (e *Event) Set(k Key, v []byte) {
	e.values[k] = v
	e.seen |= 1 << k
}

// Reset clears the event, keeping its capacity.
func (e *Event) Reset() {
	e.Line, e.Timestamp = nil, nil
	e.UnixMilli, e.Offset = 0, 0
	e.Extra = e.Extra[:0]
	e.InvalidUTF8 = false
	e.seen = 0
	e.repeated, e.outOfOrder, e.shadowed = 0, 0, 0
	clear(e.values[:])
}

func (e *Event) hasExtra(name []byte) bool {
	for i := range e.Extra {
		if bytes.Equal(e.Extra[i].Name, name) {
			return true
		}
	}
	return false
}

// Parse parses one line into ev, replacing its previous contents. A trailing
// "\n" or "\r\n" is ignored. On error ev holds what was read before the
// problem and the error is a *ParseError.
func Parse(line []byte, ev *Event) error {
	ev.Reset()
	line = trimEOL(line)
	ev.Line = line
	ev.InvalidUTF8 = !utf8.Valid(line)

	if len(line) == 0 || line[0] != '[' {
		return &ParseError{Column: 1, Err: ErrNoTimestamp}
	}
	end := bytes.IndexByte(line, ']')
	if end < 0 {
		return &ParseError{Column: 1, Err: ErrNoTimestamp}
	}
	ev.Timestamp = line[1:end]
	ms, off, ok := parseTimestamp(ev.Timestamp)
	if !ok {
		return &ParseError{Column: 2, Err: ErrBadTimestamp}
	}
	ev.UnixMilli, ev.Offset = ms, off

	pos := end + 1
	for pos < len(line) && line[pos] == ' ' {
		pos++
	}
	nameEnd := identEnd(line, pos)
	if nameEnd == pos || nameEnd >= len(line) || line[nameEnd] != '=' {
		if bytes.IndexByte(line[pos:], '=') < 0 {
			return &ParseError{Column: pos + 1, Err: ErrNoKeyValue}
		}
		return &ParseError{Column: pos + 1, Err: ErrLeadingText}
	}

	name := line[pos:nameEnd]
	key := lookupKey(name)
	next := Key(0) // the key the server would write next: tried first
	for {
		valStart := nameEnd + 1
		if key < NumKeys {
			if key < next {
				// Before the previous known key (key == next-1 cannot be
				// taken twice): out of the server's order.
				ev.outOfOrder |= 1 << key
			}
			ev.seen |= 1 << key
			next = key + 1
		}
		kStart, kEnd, nextKey, hidden := findNextKey(line, valStart, ev, next)
		if hidden != 0 {
			// Keys hidden in a skipped JSON or quoted value count for the
			// order as written there: a key taken after the value must not
			// come before them (a value spanning the server's own keys).
			next = max(next, Key(bits.Len32(uint32(hidden))-1))
		}
		valEnd := len(line)
		if kStart >= 0 {
			valEnd = kStart - 1 // the separating space
		}
		v := unquote(line[valStart:valEnd])
		if key < NumKeys {
			ev.values[key] = v
		} else {
			ev.Extra = append(ev.Extra, Field{Name: name, Value: v})
		}
		if kStart < 0 {
			ev.repeated |= ev.shadowed & KeySet(ev.seen)
			return nil
		}
		name, nameEnd, key = line[kStart:kEnd], kEnd, nextKey
	}
}

// findNextKey returns the start and end of the name of the next key after
// from, and which known key it is (NumKeys for an unknown key), or -1 when
// the value runs to the end of the line; hidden holds the known keys
// written inside the JSON or quoted value it skipped, if any.
func findNextKey(line []byte, from int, ev *Event, next Key) (start, end int, key Key, hidden KeySet) {
	i := from
	if i < len(line) {
		j := -1
		switch line[i] {
		case '{', '[':
			j = skipJSON(line, i)
		case '"':
			j = skipQuoted(line, i)
		}
		if j > 0 {
			hidden = shadowKeys(line[i:j])
			ev.shadowed |= hidden
			i = j
		}
	}
	for {
		sp := bytes.IndexByte(line[i:], ' ')
		if sp < 0 {
			return -1, -1, NumKeys, hidden
		}
		p := i + sp + 1
		q := identEnd(line, p)
		if q > p && q < len(line) && line[q] == '=' {
			name := line[p:q]
			k := NumKeys
			if next < NumKeys && string(name) == keyNames[next] {
				k = next
			} else {
				k = lookupKey(name)
			}
			if k < NumKeys {
				if ev.seen&(1<<k) == 0 {
					return p, q, k, hidden
				}
				ev.repeated |= 1 << k // a second occurrence: value text
			} else if serverStyle(name) && !ev.hasExtra(name) {
				return p, q, NumKeys, hidden
			}
		}
		i = p
	}
}

// shadowKeys returns the known keys whose name and '=' follow a space
// inside v, a JSON or double-quoted value that findNextKey skipped. They are
// not keys, but if the same key is also a key of the line, a machine cannot
// tell which one the server wrote: Parse adds them to Repeated then.
func shadowKeys(v []byte) KeySet {
	var s KeySet
	for {
		sp := bytes.IndexByte(v, ' ')
		if sp < 0 {
			return s
		}
		v = v[sp+1:]
		if q := identEnd(v, 0); q > 0 && q < len(v) && v[q] == '=' {
			if k := lookupKey(v[:q]); k < NumKeys {
				s |= 1 << k
			}
		}
	}
}

// maxUnknownKey bounds the length of an unknown key name, so that long
// free-text runs such as base64 with '=' padding are not taken for keys.
const maxUnknownKey = 64

// serverStyle reports whether name looks like a key the Authing server
// would write: camelCase, like all the known keys (a lowercase first
// letter, letters and digits only, at least one uppercase letter). Words
// followed by '=' in free text ("limit=10", "c=(d)") are not, and stay
// value text.
func serverStyle(name []byte) bool {
	if len(name) < 2 || len(name) > maxUnknownKey || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	upper := false
	for _, c := range name[1:] {
		switch {
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return upper
}

// identEnd returns the end of the identifier [A-Za-z_][A-Za-z0-9_]* at p,
// or p when there is none.
func identEnd(line []byte, p int) int {
	if p >= len(line) {
		return p
	}
	c := line[p]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
		return p
	}
	q := p + 1
	for q < len(line) {
		c = line[q]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			break
		}
		q++
	}
	return q
}

// skipJSON returns the index just past the JSON object or array that starts
// at i, honouring strings and escapes, or -1 when it is not closed on the
// line (then the value is scanned as plain text).
func skipJSON(line []byte, i int) int {
	depth := 0
	inStr := false
	for j := i; j < len(line); j++ {
		c := line[j]
		if inStr {
			switch c {
			case '\\':
				j++
			case '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return j + 1
			}
		}
	}
	return -1
}

// skipQuoted returns the index just past a double-quoted run starting at i
// that closes before a space or the end of the line, or -1.
func skipQuoted(line []byte, i int) int {
	for j := i + 1; j < len(line); j++ {
		if line[j] == '"' && (j+1 == len(line) || line[j+1] == ' ') {
			return j + 1
		}
	}
	return -1
}

// unquote strips one pair of surrounding double quotes.
func unquote(v []byte) []byte {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1]
	}
	return v
}

func trimEOL(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line
}

// Date returns the event's date as the server wrote it (in the line's own
// offset) as yyyymmdd, e.g. 20210922. It is the date in the log file's name.
func (e *Event) Date() uint32 {
	ts := e.Timestamp
	if len(ts) < 10 {
		return 0
	}
	y, _ := digits(ts[0:4])
	m, _ := digits(ts[5:7])
	d, _ := digits(ts[8:10])
	return uint32(y*10000 + m*100 + d)
}
