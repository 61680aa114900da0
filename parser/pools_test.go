package parser

import (
	"fmt"
	"strings"
	"testing"
)

const (
	realPool   = "61384d3e302f1f75e69ce95a"
	victimPool = "victimpool"
	evilPool   = "evilpool"
)

// poolCases are real audit lines (the seed line with one or two values
// changed, as a user, a pool admin or anyone sending a request can change
// them) and the pools each may belong to. The rule: README "Parsing rules".
var poolCases = []struct {
	name    string
	repl    map[string]string // key -> value written by the server; "\x00" drops the key
	pools   []string          // AppendPoolCandidates
	inTrust bool              // PoolInStretch: the parsed userPoolId may decide
	pool    string            // the parsed userPoolId ("" when absent)
}{
	{name: "seed line", pools: []string{realPool}, inTrust: true, pool: realPool},
	// Issue 9, item 3: anyone's user agent repeats userAgent to switch off
	// the cut and names another pool.
	{name: "issue 9 reproduction: user agent repeating userAgent",
		repl:  map[string]string{"userAgent": "curl/8 userAgent=x userPoolId=" + victimPool},
		pools: []string{realPool}, inTrust: true, pool: realPool},
	{name: "user agent repeating userAgent many times",
		repl:  map[string]string{"userAgent": "a userAgent=b userAgent=c userPoolId=" + victimPool + " userAgent=d"},
		pools: []string{realPool}, inTrust: true, pool: realPool},
	{name: "user agent faking the whole server block",
		repl:  map[string]string{"userAgent": "curl userPoolId=" + victimPool + " userId=u requestId=r roleName=a roleCode=b roleId=c userAgent=z"},
		pools: []string{realPool}, inTrust: true, pool: realPool},
	{name: "forwarded client address naming a pool",
		repl:  map[string]string{"clientIp": "1.2.3.4 userAgent=x userPoolId=" + victimPool},
		pools: []string{realPool}, inTrust: true, pool: realPool},
	{name: "resourceDetails repeating userAgent",
		repl:  map[string]string{"resourceDetails": "x userAgent=y userPoolId=" + victimPool},
		pools: []string{realPool}, inTrust: true, pool: realPool},
	{name: "originValue and targetValue naming pools",
		repl:  map[string]string{"originValue": "a userPoolId=" + victimPool, "targetValue": "b userAgent=c userPoolId=" + evilPool},
		pools: []string{realPool}, inTrust: true, pool: realPool},
	{name: "operationParam repeating userAgent",
		repl:  map[string]string{"operationParam": "a userAgent=b userPoolId=" + victimPool},
		pools: []string{realPool}, inTrust: true, pool: realPool},
	{name: "eventResultMsg repeating userAgent",
		repl:  map[string]string{"eventResultMsg": "request failed userAgent=b userPoolId=" + victimPool},
		pools: []string{realPool}, inTrust: true, pool: realPool},
	{name: "line without a user agent, resourceDetails naming a pool",
		repl:  map[string]string{"userAgent": "\x00", "resourceDetails": "x userPoolId=" + victimPool},
		pools: []string{realPool}, inTrust: true, pool: realPool},
	{name: "line without a user agent, eventResultMsg faking userAgent",
		repl:  map[string]string{"userAgent": "\x00", "eventResultMsg": "x userAgent=y userPoolId=" + victimPool},
		pools: []string{realPool}, inTrust: true, pool: realPool},
	// A skipped value: a user name opening a quote or JSON that the user
	// agent closes hides the real keys; the pool after it is anyone's.
	{name: "quoted user name closed by the user agent",
		repl:  map[string]string{"userName": `"x`, "userAgent": `y" userPoolId=` + victimPool},
		pools: []string{realPool}, inTrust: false, pool: victimPool},
	{name: "JSON user name closed by the user agent",
		repl:  map[string]string{"userName": `{"n":"`, "userAgent": `"} userPoolId=` + victimPool},
		pools: []string{realPool}, inTrust: false, pool: victimPool},
	// A line on which the server wrote no userPoolId: a pool named from the
	// user agent on is no candidate and does not decide.
	{name: "no pool on the line, user agent naming one",
		repl:  map[string]string{"userPoolId": "\x00", "userAgent": "curl userPoolId=" + victimPool},
		pools: nil, inTrust: false, pool: victimPool},
	{name: "no pool on the line, quoted user name closed by the user agent",
		repl:  map[string]string{"userPoolId": "\x00", "userName": `"x`, "userAgent": `y" userPoolId=` + victimPool},
		pools: nil, inTrust: false, pool: victimPool},
	// Names (and role names, set by the pool's admins) may add pools: no
	// parser can tell them from the real key, and the real pool must keep
	// its event.
	{name: "user name spoofing the pool",
		repl:  map[string]string{"userName": "x userPoolId=" + evilPool},
		pools: []string{evilPool, realPool}, inTrust: true, pool: evilPool + " userPoolId=" + realPool},
	{name: "user name spoofing the pool and clientIp",
		repl:  map[string]string{"userName": "x userPoolId=" + evilPool + " clientIp=1.2.3.4"},
		pools: []string{evilPool, realPool}, inTrust: true, pool: evilPool},
	{name: "user name faking userAgent without the server block",
		repl:  map[string]string{"userName": "x userPoolId=" + evilPool + " userAgent=y"},
		pools: []string{evilPool, realPool}, inTrust: true, pool: evilPool},
	{name: "user name faking userAgent, user agent naming a third pool",
		repl:  map[string]string{"userName": "x userPoolId=" + evilPool + " userAgent=y", "userAgent": "curl userPoolId=" + victimPool},
		pools: []string{evilPool, realPool}, inTrust: true, pool: evilPool},
	{name: "user name faking only userAgent, user agent naming a pool",
		repl:  map[string]string{"userName": "x userAgent=y", "userAgent": "curl userAgent=z userPoolId=" + victimPool},
		pools: []string{realPool}, inTrust: true, pool: realPool},
	{name: "pool admin's role name naming a pool",
		repl:  map[string]string{"roleName": "admin userPoolId=" + evilPool},
		pools: []string{realPool, evilPool}, inTrust: true, pool: realPool},
	{name: "pool admin's role code faking userAgent, user agent naming a pool",
		repl:  map[string]string{"roleCode": "c userAgent=z userPoolId=" + evilPool, "userAgent": "curl userPoolId=" + victimPool},
		pools: []string{realPool, evilPool}, inTrust: true, pool: realPool},
	// Without the server's full block (here no roleId), only the text before
	// the first userAgent counts, even if that one is in the user name.
	{name: "line without roleId, user name faking userAgent",
		repl:  map[string]string{"roleId": "\x00", "userName": "x userAgent=y"},
		pools: nil, inTrust: false, pool: realPool},
	{name: "line without roleId, user name naming a pool and faking userAgent",
		repl:  map[string]string{"roleId": "\x00", "userName": "x userPoolId=" + evilPool + " userAgent=y"},
		pools: []string{evilPool}, inTrust: true, pool: evilPool},
	// The limit: a name faking the server's whole block up to userAgent
	// reads exactly like a user agent faking it on another pool's line
	// (the case above); ingestd keeps anyone's text out, so such a name
	// moves its own event to the pool it names.
	{name: "user name faking the whole server block",
		repl:  map[string]string{"userName": "x userPoolId=" + evilPool + " userId=u requestId=r roleName=a roleCode=b roleId=c userAgent=z"},
		pools: []string{evilPool}, inTrust: true, pool: evilPool},
}

func TestPoolCandidates(t *testing.T) {
	const ts = "2021-09-22T07:47:21.559-0000"
	for _, tt := range poolCases {
		t.Run(tt.name, func(t *testing.T) {
			l := line(ts, tt.repl, "")
			var ev Event
			if err := Parse([]byte(l), &ev); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range ev.AppendPoolCandidates(nil) {
				got = append(got, string(v))
			}
			if strings.Join(got, ",") != strings.Join(tt.pools, ",") {
				t.Errorf("candidates = %q, want %q\nline %s", got, tt.pools, l)
			}
			if ev.PoolInStretch() != tt.inTrust {
				t.Errorf("PoolInStretch = %v, want %v", ev.PoolInStretch(), tt.inTrust)
			}
			v, _ := ev.Get(UserPoolID)
			if string(v) != tt.pool {
				t.Errorf("userPoolId = %q, want %q", v, tt.pool)
			}
			// A pool named by anyone's text is never a candidate, and a
			// line whose userPoolId is not trusted has its pool flagged.
			for _, p := range got {
				if p == victimPool {
					t.Errorf("victim pool is a candidate")
				}
			}
			if !ev.PoolInStretch() && ev.Has(UserPoolID) && !ev.Repeated().Has(UserPoolID) && !ev.OutOfOrder().Has(UserPoolID) {
				t.Errorf("untrusted userPoolId is not flagged ambiguous")
			}
		})
	}
}

// TestPoolCandidatesEdges: a line without userPoolId, a quoted value, a
// value at the end of the line, the first key without a space, many pools.
func TestPoolCandidatesEdges(t *testing.T) {
	many := strings.Repeat(" userPoolId=a userPoolId=b", 20)
	tests := []struct {
		line  string
		pools string
	}{
		{"[2021-09-22T07:50:00.000-0000] logId=1 eventType=login eventResultCode=success", ""},
		{`[2021-09-22T07:50:00.000-0000] userName=x userPoolId="p1" userAgent=curl`, "p1"},
		{"[2021-09-22T07:50:00.000-0000]userPoolId=p1 userName=x userPoolId=p2", "p1,p2"},
		{"[2021-09-22T07:50:00.000-0000] userName=x" + many + " userPoolId=c userAgent=curl userPoolId=d", "a,b,c"},
		{"[2021-09-22T07:50:00.000-0000] userName=xuserPoolId=p9 userPoolId=p1 auserAgent=x userPoolId=p2", "p1,p2"},
		{"[2021-09-22T07:50:00.000-0000] userName=x userPoolId=", ""},
	}
	for _, tt := range tests {
		var ev Event
		if err := Parse([]byte(tt.line), &ev); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, v := range ev.AppendPoolCandidates(nil) {
			got = append(got, string(v))
		}
		if strings.Join(got, ",") != tt.pools {
			t.Errorf("%s: candidates %q, want %s", tt.line, got, tt.pools)
		}
	}
}

// TestPoolStretchAllocs: the stretch and the trust check do not allocate.
func TestPoolStretchAllocs(t *testing.T) {
	l := []byte(line("2021-09-22T07:47:21.559-0000", map[string]string{"userName": "x userPoolId=" + evilPool + " userAgent=y"}, ""))
	var ev Event
	if err := Parse(l, &ev); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _ = ev.PoolInStretch() }); n != 0 {
		t.Errorf("PoolInStretch allocates %.1f times", n)
	}
}

// TestPoolCandidatesDedupSwitch: duplicates among the first 16 candidates
// are found by a linear search (no allocation: the usual line names one
// pool); from the 17th on, a map is built once, so a hostile line naming
// thousands of pools costs time linear in its length
// (BenchmarkPoolCandidates) instead of quadratic. Candidates already in
// dst before the call do not count.
func TestPoolCandidatesDedupSwitch(t *testing.T) {
	for _, c := range []struct {
		pools, before int
		alloc         bool
	}{
		{1, 0, false},
		{2, 10, false},
		{15, 0, false}, // 16 candidates with the line's own pool
		{15, 20, false},
		{16, 0, true},
		{16, 20, true},
	} {
		var names strings.Builder
		names.WriteString("x")
		for i := range c.pools {
			fmt.Fprintf(&names, " userPoolId=p%02d userPoolId=p%02d", i, i)
		}
		var ev Event
		if err := Parse([]byte(line("2021-09-22T07:47:21.559-0000", map[string]string{"userName": names.String()}, "")), &ev); err != nil {
			t.Fatal(err)
		}
		dst := make([][]byte, c.before, 64)
		for i := range dst {
			dst[i] = []byte("earlier")
		}
		got := ev.AppendPoolCandidates(dst)
		if len(got)-c.before != c.pools+1 { // + the seed line's own pool
			t.Errorf("%d pools after %d: %d candidates %q", c.pools, c.before, len(got)-c.before, got[c.before:])
		}
		allocs := testing.AllocsPerRun(20, func() { got = ev.AppendPoolCandidates(dst) })
		if (allocs > 0) != c.alloc {
			t.Errorf("%d pools after %d: %.0f allocations, want allocation %v", c.pools, c.before, allocs, c.alloc)
		}
	}
}

// BenchmarkPoolCandidates: hostile lines of about 64 KiB cost time linear
// in their length. "agent": a user agent made of " userAgent=" and
// " userPoolId="; "names": a user name naming 3 000 distinct pools, some
// twice (duplicates are found with a map).
func BenchmarkPoolCandidates(b *testing.B) {
	ua := strings.Repeat("userAgent=x userPoolId=p ", 64<<10/25)
	var names strings.Builder
	names.WriteString("x")
	for i := 0; names.Len() < 64<<10; i++ {
		fmt.Fprintf(&names, " userPoolId=p%05d", i%3000)
	}
	for _, bc := range []struct {
		name string
		line string
	}{
		{"agent", line("2021-09-22T07:47:21.559-0000", map[string]string{"userName": "x userPoolId=e userAgent=y", "userAgent": ua}, "")},
		{"names", line("2021-09-22T07:47:21.559-0000", map[string]string{"userName": names.String()}, "")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var ev Event
			if err := Parse([]byte(bc.line), &ev); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(bc.line)))
			b.ReportAllocs()
			var dst [][]byte
			for b.Loop() {
				dst = ev.AppendPoolCandidates(dst[:0])
			}
			if len(dst) == 0 {
				b.Fatal("no candidates")
			}
		})
	}
}

// anyoneKeys are the keys whose values anyone who sends a request can
// choose (README "Parsing rules").
var anyoneKeys = []string{"userAgent", "clientIp", "eventDetails", "resourceName", "resourceDetails",
	"originValue", "targetValue", "operationParam", "eventResultMsg"}

// FuzzAnyoneText: whatever text anyone writes into the values from the
// user agent on (one value, or all of them), the only candidate pool of
// the seed line is its real pool, and the userPoolId read is the real one.
func FuzzAnyoneText(f *testing.F) {
	f.Add("curl/8 userAgent=x userPoolId=victimpool", uint8(0))
	f.Add(`"} userPoolId=victimpool userAgent=y`, uint8(4))
	f.Add("a userPoolId=v userId=u requestId=r roleName=a roleCode=b roleId=c userAgent=z", uint8(255))
	f.Fuzz(func(t *testing.T, v string, which uint8) {
		if strings.ContainsAny(v, "\r\n") {
			return
		}
		repl := map[string]string{}
		if int(which) < len(anyoneKeys) {
			repl[anyoneKeys[which]] = v
		} else {
			for _, k := range anyoneKeys {
				repl[k] = v
			}
		}
		l := line("2021-09-22T07:47:21.559-0000", repl, "")
		var ev Event
		if err := Parse([]byte(l), &ev); err != nil {
			t.Fatal(err)
		}
		got := ev.AppendPoolCandidates(nil)
		if len(got) != 1 || string(got[0]) != realPool {
			t.Fatalf("candidates %q for %s", got, l)
		}
		if p, _ := ev.Get(UserPoolID); string(p) != realPool || !ev.PoolInStretch() {
			t.Fatalf("userPoolId %q (in stretch %v) for %s", p, ev.PoolInStretch(), l)
		}
	})
}

// FuzzPoolStretch: on any line the stretch lies within the line, the
// candidates are slices of the line before it, and nothing panics.
func FuzzPoolStretch(f *testing.F) {
	for _, tt := range poolCases {
		f.Add(line("2021-09-22T07:47:21.559-0000", tt.repl, ""))
	}
	f.Fuzz(func(t *testing.T, l string) {
		var ev Event
		if Parse([]byte(l), &ev) != nil {
			return
		}
		end := ev.PoolStretch()
		if end < 0 || end > len(ev.Line) {
			t.Fatalf("stretch %d outside the line (%d)", end, len(ev.Line))
		}
		for _, c := range ev.AppendPoolCandidates(nil) {
			off, ok := offsetIn(ev.Line, c)
			if !ok || off+len(c) > end {
				t.Fatalf("candidate %q at %d, stretch ends at %d", c, off, end)
			}
		}
		_ = ev.PoolInStretch()
	})
}

// TestOffsetIn: an index only for slices of the line itself, lying wholly
// within it.
func TestOffsetIn(t *testing.T) {
	arr := make([]byte, 10, 20)
	line := arr[:10]
	other := make([]byte, 10)
	for _, c := range []struct {
		name string
		v    []byte
		off  int
		ok   bool
	}{
		{"at the start", line[0:3], 0, true},
		{"inside", line[5:9], 5, true},
		{"the whole line", line, 0, true},
		{"empty, at the end", line[10:], 10, true},
		{"empty, inside", line[4:4], 4, true},
		{"past the line's end", arr[8:12], 0, false},
		{"beyond the line", arr[12:14], 0, false},
		{"another array", other[2:4], 0, false},
		{"a copy", []byte(string(line[1:3])), 0, false},
	} {
		off, ok := offsetIn(line, c.v)
		if ok != c.ok || ok && off != c.off {
			t.Errorf("%s: offsetIn = %d, %v; want %d, %v", c.name, off, ok, c.off, c.ok)
		}
	}
}
