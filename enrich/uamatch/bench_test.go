package uamatch

import (
	"slices"
	"testing"
	"time"

	"github.com/ua-parser/uap-go/uaparser"
)

// benchAgents are the real browser agents of npm user-agents followed by
// uap-go's own test agents: every iteration parses an agent neither path
// has cached (uap-go's cache is sized 1, ours does not exist here).
func benchAgents(b *testing.B) []string {
	return append(npmAgents(b), uapGoAgents(b)...)
}

// runUnseen times each parse and reports the median besides the mean.
func runUnseen(b *testing.B, agents []string, parse func(string)) {
	b.ReportAllocs()
	durs := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		parse(agents[i%len(agents)])
		durs = append(durs, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(durs)
	b.ReportMetric(float64(durs[len(durs)/2].Nanoseconds()), "median-ns")
	b.ReportMetric(float64(durs[len(durs)*99/100].Nanoseconds()), "p99-ns")
}

// BenchmarkUnseenAgent: one never-seen agent per op, both paths on the
// same agents (run with -benchtime ≥ the agent count, e.g. 3467x, to visit
// each once).
func BenchmarkUnseenAgent(b *testing.B) {
	agents := benchAgents(b)
	b.Run("uamatch", func(b *testing.B) {
		p, err := New()
		if err != nil {
			b.Fatal(err)
		}
		runUnseen(b, agents, func(a string) { p.Parse(a) })
	})
	b.Run("uap-go", func(b *testing.B) {
		p, err := uaparser.New(uaparser.WithCacheSize(1))
		if err != nil {
			b.Fatal(err)
		}
		runUnseen(b, agents, func(a string) { p.Parse(a) })
	})
}

// BenchmarkUnseenBrowserAgent: the npm list only (real browser traffic).
func BenchmarkUnseenBrowserAgent(b *testing.B) {
	agents := npmAgents(b)
	b.Run("uamatch", func(b *testing.B) {
		p, err := New()
		if err != nil {
			b.Fatal(err)
		}
		runUnseen(b, agents, func(a string) { p.Parse(a) })
	})
	b.Run("uap-go", func(b *testing.B) {
		p, err := uaparser.New(uaparser.WithCacheSize(1))
		if err != nil {
			b.Fatal(err)
		}
		runUnseen(b, agents, func(a string) { p.Parse(a) })
	})
}

// BenchmarkHostileAgent: a 64 KiB agent made of browser tokens, the worst
// shape for a literal prefilter (every literal occurs).
func BenchmarkHostileAgent(b *testing.B) {
	agent := ""
	for len(agent) < 64<<10 {
		agent += "Mozilla/5.0 (Linux; Android 13; SM-S911B Build/TP1A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Mobile Safari/537.36 bot crawler "
	}
	p, err := New()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for range b.N {
		p.Parse(agent)
	}
}
