package auditgen

import (
	"bytes"
	"testing"
	"time"

	"github.com/ingestd/ingestd/parser"
)

func TestLinesParseAndRepeat(t *testing.T) {
	start := time.Date(2021, 9, 22, 0, 0, 0, 0, time.UTC)
	a, b := New(1, start), New(1, start)
	var ev parser.Event
	ids := map[string]bool{}
	for i := 0; i < 2000; i++ {
		la, lb := a.Append(nil), b.Append(nil)
		if !bytes.Equal(la, lb) {
			t.Fatalf("line %d differs between runs with one seed", i)
		}
		if err := parser.Parse(la, &ev); err != nil {
			t.Fatalf("generated line does not parse: %v\n%s", err, la)
		}
		id, _ := ev.Get(parser.LogID)
		if ids[string(id)] {
			t.Fatalf("duplicate logId %s", id)
		}
		ids[string(id)] = true
		if msg, _ := ev.Get(parser.EventResultMsg); bytes.HasPrefix(msg, []byte("request failed")) && !bytes.Contains(msg, []byte("appId=")) {
			t.Fatalf("message cut: %s", msg)
		}
	}
}
