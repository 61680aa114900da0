package query

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// lines joins tokens with spaces into lines just under maxLine.
func lines(tokens ...string) string {
	var b strings.Builder
	n := 0
	for _, t := range tokens {
		if n+len(t)+1 >= maxLine-100 { // room for a prefix
			b.WriteByte('\n')
			n = 0
		}
		b.WriteString(t)
		b.WriteByte(' ')
		n += len(t) + 1
	}
	return b.String()
}

// repeat returns n tokens made by f.
func repeat(n int, f func(i int) string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

// pad fills a GraphQL document up to the body limit with comment lines,
// so that every worst body is as long as the limit allows.
func pad(query string, vars map[string]any) string {
	for {
		b := exchangeBody(query, vars)
		room := maxExchangeBody - len(b) - 3 // "\n#" JSON-escaped is 3 bytes
		if room <= 0 {
			return b
		}
		query += "\n#" + strings.Repeat("x", min(room, maxLine-2))
	}
}

// worstBodies are the most expensive token-exchange bodies found within
// the limits: each is at (or, for the refused ones, just over) a bound.
func worstBodies() map[string]string {
	at := `accessToken(userPoolId:"poolA",secret:"pool-a-secret"){iat}`
	// __Type.fields → type → ofType → fields …: lists nest.
	nest := "__schema{types{fields{type{ofType{ofType{fields{type{ofType{ofType{fields{type{ofType{ofType{fields{name}}}}}}}}}}}}}}}"
	oneLine := func(s string) string { return strings.Repeat("x", maxLine-len(s)-1) + s }
	return map[string]string{
		// Refused by the body limit, the line limit or the cost model.
		"unknown fields (64 KiB)": `{"query":"{` + strings.Repeat("a ", 32_761)[:65_520] + `}"}`,
		"unknown fields":          pad("{"+lines(repeat(maxDocNodes+1, func(i int) string { return fmt.Sprintf("f%d", i) })...)+"}", nil),
		"deep nesting":            pad(lines(repeat(maxDepth+1, func(int) string { return "{a" })...)+strings.Repeat("}", maxDepth+1), nil),
		"accessToken aliases":     pad("{"+lines(repeat(2, func(i int) string { return fmt.Sprintf("a%d:%s", i, at) })...)+"}", nil),
		"fragment bomb":           pad(fragmentBomb(maxDefinitions-2), nil),
		"list multiplication":     pad("{"+nest+"}", nil),
		"enum value aliases":      pad(`{__type(name:"__DirectiveLocation"){`+lines(repeat(maxExpandedSelections/2+1, func(i int) string { return fmt.Sprintf("e%d:enumValues{name}", i) })...)+"}}", nil),
		"long line":               exchangeBody("{a}#"+strings.Repeat("x", maxExchangeBody-40), nil),
		// Admitted: parsed, validated, executed.
		"399 unknown fields":     pad("{"+lines(repeat(maxDocNodes-1, func(i int) string { return fmt.Sprintf("f%d", i) })...)+"}", nil),
		"399 aliases":            pad("{"+lines(repeat(maxDocNodes-1, func(i int) string { return fmt.Sprintf("a%d:__typename", i) })...)+"}", nil),
		"conflicting aliases":    pad("{"+lines(repeat(maxDocNodes/3, func(i int) string { return []string{"x:__typename", `x:__type(name:"Query"){name}`}[i%2] })...)+"}", nil),
		"bad arguments":          pad("{__typename("+lines(repeat(maxDocNodes/2-2, func(i int) string { return fmt.Sprintf("a%d:1", i) })...)+")}", nil),
		"enum values at bound":   pad(`{__type(name:"__DirectiveLocation"){`+lines(repeat(maxDocNodes/2-2, func(i int) string { return fmt.Sprintf("e%d:enumValues{name}", i) })...)+"}}", nil),
		"lists at bound":         pad("{"+lines(repeat(10, func(i int) string { return fmt.Sprintf("s%d:__schema{types{fields{type{ofType{fields{name}}}}}}", i) })...)+"}", nil),
		"introspection x1":       pad(introspectionQuery(10), nil),
		"comments":               pad("{__typename}", nil),
		"syntax error at col 2K": pad(oneLine("{a")+"\n"+oneLine("{a")+"\n"+oneLine("{a("), nil),
		"block string":           pad(`{__type(name:"""`+lines(repeat(maxExchangeBody/12, func(int) string { return `\"""x` })...)+`"""){name}}`, nil),
		"string escapes":         pad(`{__type(name:"`+strings.Repeat(`\u00e9`, maxLine/6-10)+`"){name}}`, nil),
		"deep variables":         pad("query($v:[[[[[[Int]]]]]]){__typename}", map[string]any{"v": deepList(3000)}),
		"big variables":          pad(sdkAccessToken, map[string]any{"userPoolId": strings.Repeat("p", 3500), "secret": strings.Repeat("s", 3500)}),
		"valid secret (bcrypt)":  pad(sdkAccessToken, map[string]any{"userPoolId": "poolA", "secret": "pool-a-secret"}),
		"unknown pool (bcrypt)":  pad(sdkAccessToken, map[string]any{"userPoolId": "nope", "secret": "x"}),
	}
}

func deepList(n int) any {
	var v any = 1
	for range n {
		v = []any{v}
	}
	return v
}

// BenchmarkBcryptCost10 is the reference for the exchanges that check a
// secret: one comparison at the pools' minimum cost.
func BenchmarkBcryptCost10(b *testing.B) {
	h, _ := bcrypt.GenerateFromPassword([]byte("pool-a-secret"), MinCost)
	start := cpuTime()
	for b.Loop() {
		bcrypt.CompareHashAndPassword(h, []byte("pool-a-secret"))
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkExchangeWorst: CPU (user+system of the process, GC included)
// and answer size per request for each worst body, one request at a time.
// Acceptance (issue 9): at most 50 ms of CPU per request.
func BenchmarkExchangeWorst(b *testing.B) {
	s := newLimitedServer(b, ExchangeLimits{Rate: 1e9, Burst: 1 << 30})
	for name, body := range worstBodies() {
		if len(body) > maxExchangeBody && !strings.Contains(name, "64 KiB") {
			b.Fatalf("%s: %d bytes, over the limit", name, len(body))
		}
		b.Run(strings.ReplaceAll(name, " ", "_"), func(b *testing.B) {
			b.ReportAllocs()
			var code, size int
			start := cpuTime()
			for b.Loop() {
				w := exchangeRecorder(s, context.Background(), "application/json", "", body)
				code, size = w.Code, w.Body.Len()
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
			b.ReportMetric(float64(size), "answer-bytes")
			b.ReportMetric(float64(code), "status")
		})
	}
}
