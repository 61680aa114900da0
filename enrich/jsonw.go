package enrich

import (
	"encoding/binary"
	"unicode/utf8"
	"unsafe"
)

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Bytes that are not valid UTF-8
// become U+FFFD, so the output is always valid JSON; bad reports whether
// that happened.
func appendString(dst []byte, s []byte) (out []byte, bad bool) {
	dst = append(dst, '"')
	dst, bad = appendEscaped(dst, s)
	return append(dst, '"'), bad
}

// appendEscaped appends the JSON-escaped content of s without quotes.
func appendEscaped(dst []byte, s []byte) (out []byte, bad bool) {
	start := 0
	for i := 0; i < len(s); {
		// Skip eight plain ASCII bytes at a time (SWAR): none below 0x20,
		// none '"' or '\\', none with the high bit set.
		for i+8 <= len(s) && !needsWork(binary.LittleEndian.Uint64(s[i:])) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			bad = true
			i++
			start = i
			continue
		}
		// U+2028 and U+2029 are valid JSON but break JavaScript consumers.
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...), bad
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// needsWork reports whether any byte of x is a control character, '"',
// '\\' or not ASCII.
func needsWork(x uint64) bool {
	quote := x ^ (lsb * '"')
	bslash := x ^ (lsb * '\\')
	return ((x-lsb*0x20)&^x|(quote-lsb)&^quote|(bslash-lsb)&^bslash|x)&msb != 0
}

// appendStr is appendString for a string; it does not copy s.
func appendStr(dst []byte, s string) []byte {
	dst, _ = appendString(dst, bytesOf(s))
	return dst
}

// bytesOf returns the bytes of s without copying; they must not be written.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// lookupKey views b as a string without copying it, for cache look-ups
// only: the cache compares and hashes it but keeps nothing of it on a hit,
// and a miss stores a copy (string(b)). Converting with string(b) instead
// would allocate a copy of every agent and address on every line, hit or
// not, because the cache's Get is not a map index the compiler can see
// through (issue 12: ~70 MB of garbage per million browser lines).
func lookupKey(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// appendKey appends "name": for a name known to need no escaping.
func appendKey(dst []byte, name string) []byte {
	dst = append(dst, '"')
	dst = append(dst, name...)
	return append(dst, '"', ':')
}
