package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
)

// ErrSyntax is a document that is not the JSON object (or array) it should be.
var ErrSyntax = errors.New("not a JSON object")

// Members calls fn with the key (unquoted) and the raw value of every
// member of the JSON object obj, in order. It finds where values end
// without decoding them: the documents are large (geoip, ua, the raw
// line) and only a handful of fields are compared, so this is several
// times cheaper than encoding/json into a map (verify's BenchmarkStored). It checks structure, not
// full JSON validity: the caller decodes the values it uses.
func Members(obj []byte, fn func(key, val []byte) error) error {
	i := skipWS(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return ErrSyntax
	}
	i = skipWS(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return nil
	}
	for {
		if i >= len(obj) || obj[i] != '"' {
			return ErrSyntax
		}
		end, ok := skipString(obj, i)
		if !ok {
			return ErrSyntax
		}
		key := obj[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			var k string
			if json.Unmarshal(obj[i:end], &k) != nil {
				return ErrSyntax
			}
			key = []byte(k)
		}
		i = skipWS(obj, end)
		if i >= len(obj) || obj[i] != ':' {
			return ErrSyntax
		}
		start := skipWS(obj, i+1)
		end, ok = skipValue(obj, start)
		if !ok || end == start {
			return ErrSyntax
		}
		if err := fn(key, obj[start:end]); err != nil {
			return err
		}
		i = skipWS(obj, end)
		if i >= len(obj) {
			return ErrSyntax
		}
		switch obj[i] {
		case ',':
			i = skipWS(obj, i+1)
		case '}':
			return nil
		default:
			return ErrSyntax
		}
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the string starting at b[i]: the
// next quote not escaped by an odd number of backslashes.
func skipString(b []byte, i int) (int, bool) {
	for j := i + 1; j < len(b); {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return 0, false
		}
		j += k
		n := 0
		for p := j - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return j + 1, true
		}
		j++
	}
	return 0, false
}

// skipValue returns the index just past the value starting at b[i].
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, ok := skipString(b, j)
				if !ok {
					return 0, false
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, true
				}
			}
		}
		return 0, false
	default:
		j := i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
			j++
		}
		return j, true
	}
}

// Elements calls fn with each raw element of the JSON array arr.
func Elements(arr []byte, fn func(val []byte) error) error {
	i := skipWS(arr, 0)
	if i >= len(arr) || arr[i] != '[' {
		return ErrSyntax
	}
	i = skipWS(arr, i+1)
	if i < len(arr) && arr[i] == ']' {
		return nil
	}
	for {
		end, ok := skipValue(arr, i)
		if !ok || end == i {
			return ErrSyntax
		}
		if err := fn(arr[i:end]); err != nil {
			return err
		}
		i = skipWS(arr, end)
		if i >= len(arr) {
			return ErrSyntax
		}
		switch arr[i] {
		case ',':
			i = skipWS(arr, i+1)
		case ']':
			return nil
		default:
			return ErrSyntax
		}
	}
}
