package jsonscan

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func TestMembers(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string // key=value pairs
		bad  bool
	}{
		{in: `{}`},
		{in: ` { "a" : 1 , "b":"x\"}" ,"c":{"d":[1,{"e":"]"}]},"f":null } `, want: []string{`a=1`, `b="x\"}"`, `c={"d":[1,{"e":"]"}]}`, `f=null`}},
		{in: `{"\u0061\\":true}`, want: []string{`a\=true`}},
		{in: `{"a":"\\"}`, want: []string{`a="\\"`}},
		{in: `{"a":1`, bad: true},
		{in: `{"a" 1}`, bad: true},
		{in: `{"a":"x}`, bad: true},
		{in: `{"a":}`, bad: true},
		{in: `["a"]`, bad: true},
		{in: ``, bad: true},
		{in: `{"a":1}}`, want: []string{`a=1`}}, // trailing bytes are the envelope's business
	} {
		var got []string
		err := Members([]byte(tc.in), func(k, v []byte) error {
			got = append(got, string(k)+"="+string(v))
			return nil
		})
		if (err != nil) != tc.bad || (!tc.bad && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("Members(%s) = %q, %v; want %q, bad %v", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

// FuzzMembers: on any valid JSON object, members yields members that put
// back together decode to the same value as the object; on anything, it
// does not panic.
func FuzzMembers(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"b":[1,"]"],"c":{"d":"\""}}`, `{"a\u0000":"\\\\"}`, `{"message":"x","codes":{"eventType":"y"}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var rebuilt bytes.Buffer
		rebuilt.WriteByte('{')
		err := Members(in, func(k, v []byte) error {
			if rebuilt.Len() > 1 {
				rebuilt.WriteByte(',')
			}
			kb, _ := json.Marshal(string(k))
			rebuilt.Write(kb)
			rebuilt.WriteByte(':')
			rebuilt.Write(v)
			return nil
		})
		rebuilt.WriteByte('}')
		var want map[string]any
		if json.Unmarshal(in, &want) != nil || want == nil {
			return
		}
		if err != nil {
			t.Fatalf("Members(%q): %v on a valid object", in, err)
		}
		var got map[string]any
		if err := json.Unmarshal(rebuilt.Bytes(), &got); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("Members(%q) rebuilt %q: %v", in, rebuilt.Bytes(), err)
		}
	})
}
