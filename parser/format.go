package parser

import (
	"bytes"
	"time"
)

// AppendLine appends ev to dst the way an Authing server writes it: the
// timestamp in brackets, then the known keys in server order, then the
// extra keys. Values that Parse would unquote are quoted once more, so
// Parse(AppendLine(ev)) gives ev back for every event whose values contain
// no line break and no " name=" sequence that Parse would take for a key
// (see Representable).
func AppendLine(dst []byte, ev *Event) []byte {
	dst = append(dst, '[')
	if len(ev.Timestamp) > 0 {
		dst = append(dst, ev.Timestamp...)
	} else {
		t := time.UnixMilli(ev.UnixMilli).In(time.FixedZone("", int(ev.Offset)))
		dst = t.AppendFormat(dst, "2006-01-02T15:04:05.000-0700")
	}
	dst = append(dst, ']')
	for k := Key(0); k < NumKeys; k++ {
		if v, ok := ev.Get(k); ok {
			dst = appendPair(dst, keyNames[k], v)
		}
	}
	for _, f := range ev.Extra {
		dst = appendPair(dst, string(f.Name), f.Value)
	}
	return dst
}

func appendPair(dst []byte, name string, v []byte) []byte {
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, '=')
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		dst = append(dst, '"')
		dst = append(dst, v...)
		return append(dst, '"')
	}
	return append(dst, v...)
}

// Representable reports whether v can be written as a value and read back
// unchanged by Parse whatever keys surround it: no line break, no leading
// '{', '[' or '"' (which switch on structured scanning), and no space
// followed by an identifier and '='.
func Representable(v []byte) bool {
	if bytes.ContainsAny(v, "\r\n") {
		return false
	}
	if len(v) > 0 && (v[0] == '{' || v[0] == '[' || v[0] == '"') {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' {
			q := identEnd(v, i+1)
			if q > i+1 && q < len(v) && v[q] == '=' {
				return false
			}
		}
	}
	return true
}
