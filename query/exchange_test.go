package query

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graphql-go/graphql"
	"golang.org/x/crypto/bcrypt"
)

// introspectionQuery is the standard introspection query of graphql-js
// (getIntrospectionQuery with its defaults: descriptions, deprecated
// fields), its TypeRef fragment nested ofTypes levels deep (7 in
// graphql-js 16 and graphql-core 2, more in later graphql-js).
func introspectionQuery(ofTypes int) string {
	typeRef := "kind name"
	for range ofTypes {
		typeRef = "kind name ofType { " + typeRef + " }"
	}
	return `query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description
    args { ...InputValue }
    type { ...TypeRef }
    isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { ` + typeRef + ` }
`
}

// sdkAccessToken is the token query of both SDKs, as they send it.
const sdkAccessToken = "\nquery accessToken($userPoolId: String!, $secret: String!) {\n  accessToken(userPoolId: $userPoolId, secret: $secret) {\n    accessToken\n    exp\n    iat\n  }\n}\n\n"

func exchangeBody(query string, vars map[string]any) string {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return string(b)
}

// TestCostModelAdmitsSDKs: what the SDKs send passes the cost model, with
// room: graphql-js' introspection with 10 levels of ofType too.
func TestCostModelAdmitsSDKs(t *testing.T) {
	lists := newLimitedServer(t, ExchangeLimits{}).lists
	for _, q := range []string{introspectionQuery(7), introspectionQuery(10), sdkAccessToken, "{ __typename }",
		`query { __type(name: "Query") { name fields { name } } }`} {
		if _, err := parseExchange(q, "", lists); err != nil {
			t.Errorf("%v: %.80q", err, q)
		}
	}
	if _, err := parseExchange(sdkAccessToken, "accessToken", lists); err != nil {
		t.Errorf("operationName: %v", err)
	}
	if _, err := parseExchange(introspectionQuery(11), "", lists); err == nil {
		t.Error("an introspection query deeper than the standard one passed")
	}
}

// TestCostModelRefuses: documents outside what the SDKs send are refused
// before validation, with a message naming the bound.
func TestCostModelRefuses(t *testing.T) {
	lists := newLimitedServer(t, ExchangeLimits{}).lists
	at := `accessToken(userPoolId:"p",secret:"s"){iat}`
	tests := []struct{ name, query, op, want string }{
		{"many fields", "{" + strings.Repeat("a ", 500) + "}", "", "more than 400"},
		{"deep", strings.Repeat("{a", 20) + strings.Repeat("}", 20), "", "nested"},
		{"comment ended by CR (issue 9, item 2)", "#\r" + strings.Repeat("{a\n", 30) + strings.Repeat("}", 30), "", "nested"},
		{"escaped block quote (issue 9, item 2)", `{a(s:"""\""" """)` + strings.Repeat("{a\n", 30) + strings.Repeat("}", 30) + "}", "", "nested"},
		{"the reproductions' long lines", "#\r" + strings.Repeat("{a", 3000) + strings.Repeat("}", 3000), "", "a line of"},
		{"two accessToken aliases (issue 9, item 4)", "{a0:" + at + " a1:" + at + "}", "", "one accessToken"},
		{"accessToken in a fragment too", "{" + at + " ...F} fragment F on Query {b:" + at + "}", "", "one accessToken"},
		{"accessToken in an inline fragment too", "{" + at + " ... on Query {b:" + at + "}}", "", "one accessToken"},
		{"mutation", "mutation { a }", "", "only query"},
		{"subscription", "subscription { a }", "", "only query"},
		{"two operations", "query A { a } query B { b }", "A", "one operation"},
		{"unknown operation name", "query A { a }", "B", "no operation named"},
		{"type definitions", "type T { a: String }", "", "only a query"},
		{"unused fragment bomb", "{__typename} " + strings.TrimPrefix(fragmentBomb(8), "{...F0}"), "", "never used"},
		{"fragment cycle", "{...F} fragment F on Query {...G} fragment G on Query {...F}", "", "spreads itself"},
		{"unknown fragment", "{...F}", "", "unknown fragment"},
		{"exponential fragments", fragmentBomb(8), "", "more than 500 selections"},
		{"deep values", "{a(x:" + strings.Repeat("[", 20) + strings.Repeat("]", 20) + ")}", "", "values nested"},
		{"deep variable type", "query($v:" + strings.Repeat("[", 20) + "Int" + strings.Repeat("]", 20) + "){a}", "", "types nested"},
		{"many definitions", "{a}" + strings.Repeat("fragment F on Query {a} ", 1) + manyFragments(12), "", "definitions"},
		{"not GraphQL", "{", "", "not a GraphQL document"},
	}
	for _, tt := range tests {
		_, err := parseExchange(tt.query, tt.op, lists)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error with %q", tt.name, err, tt.want)
		}
	}
}

// fragmentBomb nests n fragments, each spreading the next twice under two
// aliases: 2^n selections once expanded from a few hundred bytes.
func fragmentBomb(n int) string {
	var b strings.Builder
	b.WriteString("{...F0}")
	for i := range n {
		fmt.Fprintf(&b, " fragment F%d on Query { a: __type(name:\"Query\") { ...F%d } b: __type(name:\"Query\") { ...F%d } }", i, i+1, i+1)
	}
	fmt.Fprintf(&b, " fragment F%d on __Type { name }", n)
	return b.String()
}

func manyFragments(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "fragment G%d on Query {a} ", i)
	}
	return b.String()
}

// exchangeRecorder sends one exchange and returns the recorder.
func exchangeRecorder(s http.Handler, ctx context.Context, contentType, remote, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql/v2", strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	if remote != "" {
		r.RemoteAddr = remote
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func newLimitedServer(t testing.TB, l ExchangeLimits) *Server {
	t.Helper()
	signer, _ := NewSigner(testKey)
	s, err := New(Config{Transport: &fakeEngine{}, Signer: signer, Pools: testPools(t), Exchange: l})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var (
	testPoolsOnce sync.Once
	testPoolsHash string
)

// testPools returns pools with poolA (secret pool-a-secret); the bcrypt
// hash is made once per test binary.
func testPools(t testing.TB) *Pools {
	t.Helper()
	testPoolsOnce.Do(func() { testPoolsHash, _ = HashSecret("pool-a-secret") })
	path := filepath.Join(t.TempDir(), "pools.yaml")
	os.WriteFile(path, []byte("pools:\n  poolA: "+testPoolsHash+"\n"), 0o600)
	p, err := LoadPools(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestExchangeHostileBodies runs the reproductions of issue 9 against the
// handler: each is refused with a short answer and no bcrypt, or (the
// 64 KiB bodies) at the body limit.
func TestExchangeHostileBodies(t *testing.T) {
	s, _ := newTestServer(t, &fakeEngine{})
	aliases := func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			fmt.Fprintf(&b, `a%d:accessToken(userPoolId:"poolA",secret:"pool-a-secret"){iat} `, i)
		}
		return b.String() + "}"
	}
	tests := []struct {
		name string
		body string
	}{
		// item 1: 32 761 unknown fields in 64 KiB: 86 s of CPU, 5.2 MB answer before.
		{"64 KiB of unknown fields", `{"query":"{` + strings.Repeat("a ", 32_761)[:65_520] + `}"}`},
		{"unknown fields at the body limit", `{"query":"{` + strings.Repeat("a ", maxExchangeBody/2-10) + `}"}`},
		// item 2: the depth the old scanner did not see.
		{"comment ended by CR", exchangeBody("#\r"+strings.Repeat("{a", 3000)+strings.Repeat("}", 3000), nil)},
		{"escaped block quote", exchangeBody(`{a(s:"""\""" """)`+strings.Repeat("{a", 1300)+strings.Repeat("}", 1300)+"}", nil)},
		// item 4: aliases multiplying bcrypt.
		{"979 accessToken aliases", exchangeBody(aliases(979), nil)},
		{"two accessToken aliases", exchangeBody(aliases(2), nil)},
	}
	for _, tt := range tests {
		before := s.cfg.Pools.checks.Load()
		w := exchangeRecorder(s, context.Background(), "application/json", "", tt.body)
		if w.Code != http.StatusBadRequest && w.Code != http.StatusRequestEntityTooLarge || w.Body.Len() > 512 {
			t.Errorf("%s: %d, %d bytes: %.200s; want a short 400 or 413", tt.name, w.Code, w.Body.Len(), w.Body.String())
		}
		if n := s.cfg.Pools.checks.Load() - before; n != 0 {
			t.Errorf("%s: %d bcrypt checks", tt.name, n)
		}
	}
}

// TestExchangeAnswerBounded: validation reports an error per unknown
// field; the answer carries the first maxAnswerErrors.
func TestExchangeAnswerBounded(t *testing.T) {
	s, _ := newTestServer(t, &fakeEngine{})
	w := exchangeRecorder(s, context.Background(), "application/json", "", worstBodies()["399 unknown fields"])
	var res struct {
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil || w.Code != 200 || len(res.Errors) != maxAnswerErrors {
		t.Errorf("%d, %d errors (%v), want %d", w.Code, len(res.Errors), err, maxAnswerErrors)
	}
}

// TestExchangeOneCheck: a valid exchange runs exactly one bcrypt, and the
// resolver refuses a second check within the same request.
func TestExchangeOneCheck(t *testing.T) {
	s, _ := newTestServer(t, &fakeEngine{})
	body := exchangeBody(sdkAccessToken, map[string]any{"userPoolId": "poolA", "secret": "pool-a-secret"})
	before := s.cfg.Pools.checks.Load()
	if w := exchangeRecorder(s, context.Background(), "application/json", "", body); w.Code != 200 || !strings.Contains(w.Body.String(), `"accessToken":"eyJ`) {
		t.Fatalf("exchange: %d %s", w.Code, w.Body)
	}
	if n := s.cfg.Pools.checks.Load() - before; n != 1 {
		t.Errorf("%d bcrypt checks, want 1", n)
	}
	ctx := executionContext(context.Background())
	p := graphql.ResolveParams{Context: ctx, Args: map[string]any{"userPoolId": "poolA", "secret": "x"}}
	s.resolveAccessToken(p)
	if _, err := s.resolveAccessToken(p); err != errOneCheck {
		t.Errorf("second check in one request: %v", err)
	}
}

// TestExchangeContentType: only application/json is served (issue 9,
// item 8): a web page can send text/plain without a CORS preflight.
func TestExchangeContentType(t *testing.T) {
	s, _ := newTestServer(t, &fakeEngine{})
	body := exchangeBody("{ __typename }", nil)
	for ct, want := range map[string]int{
		"text/plain": 415, "": 415, "application/x-www-form-urlencoded": 415, "multipart/form-data; boundary=x": 415,
		"application/json": 200, "application/json;charset=utf-8": 200, "Application/JSON; charset=UTF-8": 200,
	} {
		if w := exchangeRecorder(s, context.Background(), ct, "", body); w.Code != want {
			t.Errorf("Content-Type %q: %d, want %d", ct, w.Code, want)
		}
	}
}

// TestExchangeClientGone: a client that left gets no work done for it: no
// bcrypt, no answer; execution itself is not canceled under a running
// bcrypt (graphql-go would leave it running outside the concurrency slot).
func TestExchangeClientGone(t *testing.T) {
	s, _ := newTestServer(t, &fakeEngine{})
	client, leave := context.WithCancel(context.Background())
	exec := executionContext(client)
	leave()
	if exec.Err() != nil {
		t.Error("execution canceled with the client")
	}
	if _, err := s.resolveAccessToken(graphql.ResolveParams{Context: exec, Args: map[string]any{}}); err == nil {
		t.Error("the resolver ran for a client that left")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	body := exchangeBody(sdkAccessToken, map[string]any{"userPoolId": "poolA", "secret": "pool-a-secret"})
	before := s.cfg.Pools.checks.Load()
	w := exchangeRecorder(s, ctx, "application/json", "", body)
	if n := s.cfg.Pools.checks.Load() - before; n != 0 || w.Body.Len() != 0 {
		t.Errorf("client gone: %d bcrypt checks, answer %q", n, w.Body)
	}
}

// TestExchangeRateLimit: a client's bucket empties, it gets 429 with
// Retry-After; another address is not affected; an IPv6 /64 is one client.
func TestExchangeRateLimit(t *testing.T) {
	s := newLimitedServer(t, ExchangeLimits{Rate: 1.0 / 60, Burst: 2})
	body := exchangeBody("{ __typename }", nil)
	send := func(remote string) *httptest.ResponseRecorder {
		return exchangeRecorder(s, context.Background(), "application/json", remote, body)
	}
	for i := range 2 {
		if w := send("198.51.100.7:1000"); w.Code != 200 {
			t.Fatalf("request %d within the burst: %d", i, w.Code)
		}
	}
	w := send("198.51.100.7:1001")
	if ra := w.Header().Get("Retry-After"); w.Code != 429 || ra != "60" { // one token a minute
		t.Errorf("beyond the burst: %d, Retry-After %q", w.Code, ra)
	}
	if w := send("198.51.100.8:1000"); w.Code != 200 {
		t.Errorf("another client: %d", w.Code)
	}
	send("[2001:db8:1:2::1]:1")
	send("[2001:db8:1:2::2]:1")
	if w := send("[2001:db8:1:2:ffff::3]:1"); w.Code != 429 {
		t.Errorf("same /64: %d, want 429", w.Code)
	}
	if _, err := New(Config{Transport: &fakeEngine{}, Signer: s.cfg.Signer, Exchange: ExchangeLimits{Rate: -1}}); err == nil {
		t.Error("a negative rate was accepted")
	}
}

// TestExchangeConcurrency: 200 worst-case requests sent at once; never more
// than the configured concurrency run (counted inside the handler), the
// others get 503 with Retry-After at once.
func TestExchangeConcurrency(t *testing.T) {
	const conc, n = 3, 200
	s := newLimitedServer(t, ExchangeLimits{Concurrency: conc, Rate: 1e6, Burst: n})
	var inFlight, most atomic.Int32
	hold := make(chan struct{})
	s.exchangeHook = func() func() {
		v := inFlight.Add(1)
		for m := most.Load(); v > m && !most.CompareAndSwap(m, v); m = most.Load() {
		}
		<-hold
		return func() { inFlight.Add(-1) }
	}
	body := worstBodies()["unknown fields"]
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			w := exchangeRecorder(s, context.Background(), "application/json", "", body)
			if w.Code == 503 && w.Header().Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
			codes <- w.Code
		})
	}
	count := map[int]int{}
	for range n - conc { // all but the admitted ones answer without waiting
		count[<-codes]++
	}
	close(hold)
	wg.Wait()
	close(codes)
	for c := range codes {
		count[c]++
	}
	if most.Load() != conc || count[503] != n-conc || count[400] != conc {
		t.Errorf("at most %d in flight (want %d); answers %v", most.Load(), conc, count)
	}
}

// TestPoolsCost: one bcrypt cost, at least 10, and unknown pools are
// checked against a hash of that cost (issue 9, item 5).
func TestPoolsCost(t *testing.T) {
	dir := t.TempDir()
	hash := func(cost int) string {
		h, err := bcrypt.GenerateFromPassword([]byte("s"), cost)
		if err != nil {
			t.Fatal(err)
		}
		return string(h)
	}
	h4, h10, h11 := hash(4), hash(10), hash(11)
	write := func(name string, pools ...string) string {
		var b strings.Builder
		b.WriteString("pools:\n")
		for i, h := range pools {
			fmt.Fprintf(&b, "  pool%d: %s\n", i, h)
		}
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(b.String()), 0o600)
		return path
	}
	for name, pools := range map[string][]string{"cost4.yaml": {h4}, "mixed.yaml": {h10, h11}} {
		if _, err := LoadPools(write(name, pools...)); err == nil || !strings.Contains(err.Error(), "cost") {
			t.Errorf("%s: %v, want a cost error", name, err)
		}
	}
	p, err := LoadPools(write("cost11.yaml", h11, h11))
	if err != nil {
		t.Fatal(err)
	}
	if c, err := bcrypt.Cost(p.dummy); err != nil || c != 11 {
		t.Errorf("dummy hash cost %d (%v), want the pools' 11", c, err)
	}
	if p.Check("nope", "s") || !p.Check("pool0", "s") {
		t.Error("Check")
	}
}

// TestSecretFilePermissions: key and pools files other users can read are
// refused, naming the file and the fix (issue 9, item 6).
func TestSecretFilePermissions(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "key")
	os.WriteFile(key, testKey, 0o644)
	pools := filepath.Join(dir, "pools.yaml")
	os.WriteFile(pools, []byte("pools: {}\n"), 0o640)
	os.Chmod(key, 0o644) // whatever the umask
	os.Chmod(pools, 0o640)
	_, kerr := LoadSigner(key)
	_, perr := LoadPools(pools)
	for path, err := range map[string]error{key: kerr, pools: perr} {
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("%s: %v, want a refusal naming the file and chmod 600", path, err)
		}
	}
	os.Chmod(key, 0o600)
	os.Chmod(pools, 0o400)
	if _, err := LoadSigner(key); err != nil {
		t.Error(err)
	}
	if _, err := LoadPools(pools); err != nil {
		t.Error(err)
	}
}

// TestListValueBounds: at most 100 values per filter (issue 9, item 7) and
// a bounded query string.
func TestListValueBounds(t *testing.T) {
	eng := &fakeEngine{}
	s, signer := newTestServer(t, eng)
	tok, _, _, _ := signer.Mint([]string{"poolA"}, time.Hour)
	vals := func(key string, n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf("%s=v%d", key, i)
		}
		return strings.Join(parts, "&")
	}
	for _, tt := range []struct {
		q    string
		want int
	}{
		{vals("operation_name", 100), 200},
		{vals("operation_name", 101), 400},
		{vals("app_id", 60) + "&" + vals("app_id[]", 41), 400},
		{"userId=" + strings.Repeat("u,", 101), 400},
		{vals("operator_arn", 50) + "&" + vals("userId", 51), 400},
		// The reproduction: 980 KB, ~490 000 terms.
		{"operation_name=" + strings.Repeat("a,", 490_000), 414},
	} {
		code, body := do(s, "GET", "/api/v2/analysis/audit?"+tt.q, tok, nil, "")
		if code != tt.want || (code == 400 && !strings.Contains(fmt.Sprint(body["message"]), "more than 100 values")) {
			t.Errorf("%.40s… (%d bytes): %d %v, want %d", tt.q, len(tt.q), code, body, tt.want)
		}
	}
}
