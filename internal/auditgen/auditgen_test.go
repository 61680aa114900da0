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

func TestBrowserAgents(t *testing.T) {
	start := time.Date(2021, 9, 22, 0, 0, 0, 0, time.UTC)
	g := New(1, start)
	g.UseBrowserAgents(1, 500)
	if len(g.browsers) != 500 {
		t.Fatalf("%d browser agents, want 500", len(g.browsers))
	}
	var ev parser.Event
	agents := map[string]int{}
	const lines = 20000
	for range lines {
		if err := parser.Parse(g.Append(nil), &ev); err != nil {
			t.Fatal(err)
		}
		ua, _ := ev.Get(parser.UserAgent)
		agents[string(ua)]++
	}
	browser := 0
	for _, b := range g.browsers {
		browser += agents[b]
	}
	if browser < lines*45/100 || browser > lines*55/100 {
		t.Errorf("%d of %d lines carry a browser agent, want about half", browser, lines)
	}
	if len(agents) < 450 {
		t.Errorf("only %d distinct agents in %d lines", len(agents), lines)
	}
	h := New(1, start)
	h.UseBrowserAgents(1, 500)
	for i := range g.browsers {
		if g.browsers[i] != h.browsers[i] {
			t.Fatal("browser agents differ between runs with one seed")
		}
	}
}
