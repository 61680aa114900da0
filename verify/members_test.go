package verify

import (
	"bytes"
	"testing"
)

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
