package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/ingestd/ingestd/internal/jsonscan"
	"github.com/ingestd/ingestd/schema"
)

// Field is a compared document field, named by its path in _source.
type Field string

// The fields that must be as the line produces them: the raw line, the
// tenant, the actor, the event, the address and the time.
const (
	FieldMessage   = Field(schema.Message)
	FieldUserPool  = Field(schema.UserPoolID)
	FieldUserID    = Field(schema.UserID)
	FieldEventType = Field(schema.CodesEventType)
	FieldClientIP  = Field(schema.ClientIP)
	FieldTimestamp = Field(schema.Timestamp)
)

// Compared lists the compared fields in report order.
var Compared = []Field{FieldMessage, FieldUserPool, FieldUserID, FieldEventType, FieldClientIP, FieldTimestamp}

// value is a scalar field as text; ok is false when the field is absent or
// null. Numbers and booleans keep their JSON text, so that a stored 42
// equals a produced "42" (an engine or an older pipeline may have stored
// the value either way; both index the same keyword).
type value struct {
	s  string
	ok bool
}

// fields holds the compared values of one document, in Compared order.
type fields [6]value

// expected extracts the compared fields, and the host, from a document
// produced by the enricher.
func expected(doc []byte) (fields, string, error) {
	f, host, err := extract(doc)
	if err != nil {
		return fields{}, "", fmt.Errorf("document built from the line: %w", err)
	}
	return f, host, nil
}

// stored extracts the compared fields from a _source returned by the
// engine. A _source that is not a JSON object has none of them.
func stored(src []byte) fields {
	f, _, err := extract(src)
	if err != nil {
		return fields{}
	}
	return f
}

// extract reads the compared fields and the host of a document. Keys are
// matched exactly (a "UserPoolId" does not stand in for "userPoolId");
// codes.eventType is found nested ({"codes":{"eventType":…}}) or as a
// dotted key; a compared key given twice yields a value that matches
// nothing.
func extract(doc []byte) (fields, string, error) {
	var f fields
	var seen [len(fields{})]bool
	var host value
	set := func(i int, raw []byte) {
		if seen[i] {
			f[i] = value{s: "(key given twice)", ok: true}
			return
		}
		seen[i] = true
		f[i] = scalar(raw)
	}
	err := jsonscan.Members(doc, func(key, val []byte) error {
		switch string(key) {
		case string(schema.Codes):
			return jsonscan.Members(val, func(k, v []byte) error {
				if string(k) == schema.CodesEventType.Name() {
					set(3, v)
				}
				return nil
			})
		case string(schema.Host):
			host = scalar(val)
			return nil
		}
		for i, name := range Compared {
			if string(key) == string(name) {
				set(i, val)
				break
			}
		}
		return nil
	})
	return f, host.s, err
}

// scalar turns a JSON value into text: strings unquoted, other values as
// their compact JSON.
func scalar(raw []byte) value {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return value{}
	}
	if raw[0] == '"' {
		if len(raw) >= 2 && raw[len(raw)-1] == '"' && plain(raw[1:len(raw)-1]) {
			return value{s: string(raw[1 : len(raw)-1]), ok: true}
		}
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			return value{s: s, ok: true}
		}
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) == nil {
		return value{s: buf.String(), ok: true}
	}
	return value{s: string(raw), ok: true}
}

// plain reports whether a JSON string body needs no decoding: no escape,
// no control character, valid UTF-8.
func plain(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c < 0x20 || c == '"' {
			return false
		}
	}
	return utf8.Valid(b)
}

// Diff is one field whose stored value differs from what the line
// produces. Stored is nil when the stored document lacks the field. Long
// values are cut to maxShown bytes; At is the byte offset of the first
// difference (for message: where in the line the change is).
type Diff struct {
	Field    Field   `json:"field"`
	Stored   *string `json:"stored"`
	Expected string  `json:"expected"`
	At       int     `json:"at"`
}

const maxShown = 256

// compare returns the fields of have that differ from want. message,
// ids and codes must be equal text; @timestamp must name the same instant
// (an engine may return a date as epoch milliseconds or with an offset).
func compare(want, have fields) []Diff {
	var diffs []Diff
	for i, name := range Compared {
		w, h := want[i], have[i]
		if w.ok == h.ok && w.s == h.s {
			continue
		}
		if name == FieldTimestamp && w.ok && h.ok && sameInstant(w.s, h.s) {
			continue
		}
		d := Diff{Field: name, Expected: shorten(w.s), At: firstDiff(w.s, h.s)}
		if h.ok {
			s := shorten(h.s)
			d.Stored = &s
		}
		diffs = append(diffs, d)
	}
	return diffs
}

func firstDiff(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// shorten cuts s to maxShown bytes at a rune boundary.
func shorten(s string) string {
	if len(s) <= maxShown {
		return s
	}
	cut := maxShown
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// sameInstant reports whether two date values (RFC 3339 text or epoch
// milliseconds, as the date type accepts) are the same instant.
func sameInstant(a, b string) bool {
	ta, oka := instant(a)
	tb, okb := instant(b)
	return oka && okb && ta.Equal(tb)
}

func instant(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms), true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == f {
		return time.UnixMilli(int64(f)), true
	}
	return time.Time{}, false
}
