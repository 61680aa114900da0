package verify

import (
	"bytes"
	"encoding/json"
	"errors"
)

// errSyntax is a document that is not the JSON object it should be.
var errSyntax = errors.New("not a JSON object")

// members calls fn with the key (unquoted) and the raw value of every
// member of the JSON object obj, in order. It finds where values end
// without decoding them: the documents are large (geoip, ua, the raw
// line) and only a handful of fields are compared, so this is about ten
// times cheaper than encoding/json into a map. It checks structure, not
// full JSON validity; a value it passes on is decoded by scalar, which
// does.
func members(obj []byte, fn func(key, val []byte) error) error {
	i := skipWS(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return errSyntax
	}
	i = skipWS(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return nil
	}
	for {
		if i >= len(obj) || obj[i] != '"' {
			return errSyntax
		}
		end, ok := skipString(obj, i)
		if !ok {
			return errSyntax
		}
		key := obj[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			var k string
			if json.Unmarshal(obj[i:end], &k) != nil {
				return errSyntax
			}
			key = []byte(k)
		}
		i = skipWS(obj, end)
		if i >= len(obj) || obj[i] != ':' {
			return errSyntax
		}
		start := skipWS(obj, i+1)
		end, ok = skipValue(obj, start)
		if !ok || end == start {
			return errSyntax
		}
		if err := fn(key, obj[start:end]); err != nil {
			return err
		}
		i = skipWS(obj, end)
		if i >= len(obj) {
			return errSyntax
		}
		switch obj[i] {
		case ',':
			i = skipWS(obj, i+1)
		case '}':
			return nil
		default:
			return errSyntax
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

// elements calls fn with each raw element of the JSON array arr.
func elements(arr []byte, fn func(val []byte) error) error {
	i := skipWS(arr, 0)
	if i >= len(arr) || arr[i] != '[' {
		return errSyntax
	}
	i = skipWS(arr, i+1)
	if i < len(arr) && arr[i] == ']' {
		return nil
	}
	for {
		end, ok := skipValue(arr, i)
		if !ok || end == i {
			return errSyntax
		}
		if err := fn(arr[i:end]); err != nil {
			return err
		}
		i = skipWS(arr, end)
		if i >= len(arr) {
			return errSyntax
		}
		switch arr[i] {
		case ',':
			i = skipWS(arr, i+1)
		case ']':
			return nil
		default:
			return errSyntax
		}
	}
}

// searchAnswer is what verify reads of a search answer.
type searchAnswer struct {
	failedShards int
	hits         []mgetDoc // Index, ID, Source; Found true
}

// parseSearch reads a search answer without decoding the documents'
// _source (about 2 KB each, the bulk of the answer): they are compared
// field by field later.
func parseSearch(ans []byte) (searchAnswer, error) {
	var r searchAnswer
	err := members(ans, func(k, v []byte) error {
		switch string(k) {
		case "_shards":
			return members(v, func(k, v []byte) error {
				if string(k) == "failed" {
					return json.Unmarshal(v, &r.failedShards)
				}
				return nil
			})
		case "hits":
			return members(v, func(k, v []byte) error {
				if string(k) != "hits" {
					return nil
				}
				return elements(v, func(h []byte) error {
					d := mgetDoc{Found: true}
					err := members(h, func(k, v []byte) error {
						switch string(k) {
						case "_index":
							d.Index = scalar(v).s
						case "_id":
							d.ID = scalar(v).s
						case "_source":
							d.Source = v
						}
						return nil
					})
					r.hits = append(r.hits, d)
					return err
				})
			})
		}
		return nil
	})
	return r, err
}
