package verify

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
		err := members([]byte(tc.in), func(k, v []byte) error {
			got = append(got, string(k)+"="+string(v))
			return nil
		})
		if (err != nil) != tc.bad || (!tc.bad && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("members(%s) = %q, %v; want %q, bad %v", tc.in, got, err, tc.want, tc.bad)
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
		err := members(in, func(k, v []byte) error {
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
			t.Fatalf("members(%q): %v on a valid object", in, err)
		}
		var got map[string]any
		if err := json.Unmarshal(rebuilt.Bytes(), &got); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("members(%q) rebuilt %q: %v", in, rebuilt.Bytes(), err)
		}
	})
}

func TestParseSearch(t *testing.T) {
	r, err := parseSearch([]byte(`{"took":1,"_shards":{"total":1,"failed":0},"hits":{"total":{"value":2},"hits":[
		{"_index":"i","_id":"a\"b","_score":null,"_source":{"message":"x"},"sort":[1]},
		{"_id":"c","_index":"i","_source":{}}]}}`))
	if err != nil || r.failedShards != 0 || len(r.hits) != 2 || r.hits[0].ID != `a"b` || string(r.hits[0].Source) != `{"message":"x"}` || r.hits[1].ID != "c" || r.hits[1].Index != "i" {
		t.Fatalf("%+v %v", r, err)
	}
	if r, err := parseSearch([]byte(`{"_shards":{"failed":2},"hits":{"hits":[]}}`)); err != nil || r.failedShards != 2 || len(r.hits) != 0 {
		t.Fatalf("%+v %v", r, err)
	}
	for _, bad := range []string{`{"hits":{"hits":[{"_id":"a"}`, `{"hits":{"hits":{}}}`, `{"_shards":{"failed":"x"}}`, `<html>`} {
		if _, err := parseSearch([]byte(bad)); err == nil {
			t.Errorf("parseSearch(%s) accepted", bad)
		}
	}
}

// FuzzParseSearch: an engine answer, whatever it holds, never panics the
// reader, and a hit found has the _source it was given.
func FuzzParseSearch(f *testing.F) {
	f.Add([]byte(`{"_shards":{"failed":0},"hits":{"hits":[{"_index":"i","_id":"a","_source":{"message":"x"}}]}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := parseSearch(in)
		if err != nil {
			return
		}
		for _, h := range r.hits {
			if len(h.Source) > 0 && !bytes.Contains(in, h.Source) {
				t.Fatalf("source %q not in the answer", h.Source)
			}
		}
	})
}
