package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestAPIHugeValues: values a user controls (a name, a user agent, free
// text) can be longer than the engine's 32 766-byte term limit. Such a
// document must still be indexed — not rejected and dead-lettered, which
// would hide the event from its pool's API — and stay visible to its pool.
// startServeOn fails the test when replay dead-letters anything.
func TestAPIHugeValues(t *testing.T) {
	base := strings.TrimRight(need(t, "INGESTD_ENGINE_URL"), "/")
	at := time.Date(2021, 9, 22, 11, 0, 0, 0, time.UTC)
	huge := strings.Repeat("界", 14000) // 42 000 bytes, over Lucene's term limit
	var corpus strings.Builder
	for i, c := range []struct{ from, to string }{
		{"userName=n ", "userName=" + huge + " "},
		{"userAgent=python-requests/2.26.0", "userAgent=" + huge},
		{"resourceDetails=d", "resourceDetails=" + huge},
		{"requestId=r", "requestId=" + huge},
		{"eventResultMsg=null", "eventResultMsg=" + huge},
	} {
		f := fixture{id: "huge-" + string(rune('a'+i)), pool: poolA, eventType: "login", user: "u1",
			app: "app0", ip: "36.112.24.1", at: at.Add(time.Duration(i) * time.Minute)}
		line := strings.Replace(f.line(), c.from, c.to, 1)
		if line == f.line() {
			t.Fatalf("case %d: %q not in the fixture line", i, c.from)
		}
		corpus.WriteString(line)
	}
	addr := startServeOn(t, base, corpus.String())
	_, r := get(t, addr, "/api/v2/analysis/audit?limit=100", token(t, poolA), nil)
	if got, want := strings.Join(ids(r), ","), "huge-e,huge-d,huge-c,huge-b,huge-a"; got != want {
		t.Fatalf("pool A sees %q, want %q", got, want)
	}
	_, r = get(t, addr, "/api/v2/analysis/audit?limit=100&userId=u1", token(t, poolA), nil)
	if r.Data.TotalCount != 5 {
		t.Fatalf("userId filter finds %d of the 5 documents", r.Data.TotalCount)
	}
}
