package query

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Tests of issue 15: each pins a behaviour a mutant of query/ changed
// without any other test noticing.

// engineRequest sends one list request to a fake engine and returns the
// request body the engine received.
func engineRequest(t *testing.T, query string) map[string]any {
	t.Helper()
	eng := &fakeEngine{}
	s, signer := newTestServer(t, eng)
	tok, _, _, _ := signer.Mint([]string{"poolA"}, time.Hour)
	if code, body := do(s, "GET", "/api/v2/analysis/audit"+query, tok, nil, ""); code != 200 {
		t.Fatalf("%s: %d %v", query, code, body)
	}
	if len(eng.bodies) != 1 {
		t.Fatalf("%s: %d engine requests, want 1", query, len(eng.bodies))
	}
	return eng.bodies[0]
}

// TestEngineRequestBody: every filter of a list request, and the page,
// reach the engine as a structured filter, exactly.
func TestEngineRequestBody(t *testing.T) {
	terms := func(field string, vals ...any) map[string]any {
		return map[string]any{"terms": map[string]any{field: vals}}
	}
	rng := func(r map[string]any) map[string]any {
		r["format"] = "strict_date_optional_time"
		return map[string]any{"range": map[string]any{"@timestamp": r}}
	}
	tests := []struct {
		name       string
		query      string
		from, size float64
		filters    []any // after the pool filter
	}{
		{"no filter", "", 0, 10, nil},
		{"page 3 of 20", "?page=3&limit=20", 40, 20, nil},
		{"page 2 of 1", "?page=2&limit=1", 1, 1, nil},
		{"last page of the window", "?page=100&limit=100", 9900, 100, nil},
		{"eventType", "?eventType=login,createUser", 0, 10, []any{terms("codes.eventType", "login", "createUser")}},
		{"userId", "?userId=arn:cn:authing:poolA:user:u1&user_ids=u2", 0, 10, []any{terms("userId", "u2", "u1")}},
		{"appId", "?appId=app1", 0, 10, []any{terms("appId", "app1")}},
		{"clientIp", "?clientIp=111.202.167.58", 0, 10, []any{terms("clientIp", "111.202.167.58")}},
		{"start only", "?start=2021-09-22T10:00:00Z", 0, 10, []any{rng(map[string]any{"gte": "2021-09-22T10:00:00Z"})}},
		{"end only", "?end=1632268800000", 0, 10, []any{rng(map[string]any{"lte": "2021-09-22T00:00:00Z"})}},
		{"start and end", "?start=2021-09-22&end=2021-09-22", 0, 10,
			[]any{rng(map[string]any{"gte": "2021-09-22T00:00:00Z", "lte": "2021-09-22T23:59:59.999Z"})}},
		{"all", "?eventType=login&userId=u1&appId=a1&clientip=::1&start=2021-09-22T00:00:00.5Z&page=2&limit=5", 5, 5, []any{
			terms("codes.eventType", "login"), terms("userId", "u1"), terms("appId", "a1"), terms("clientIp", "::1"),
			rng(map[string]any{"gte": "2021-09-22T00:00:00.5Z"}),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := engineRequest(t, tt.query)
			if b["from"] != tt.from || b["size"] != tt.size || b["track_total_hits"] != true {
				t.Errorf("from %v size %v track_total_hits %v, want %v %v true", b["from"], b["size"], b["track_total_hits"], tt.from, tt.size)
			}
			want := append([]any{poolFilter("poolA")}, tt.filters...)
			got := b["query"].(map[string]any)["bool"].(map[string]any)["filter"]
			if !reflect.DeepEqual(got, want) {
				t.Errorf("filter\n got %v\nwant %v", got, want)
			}
			sort := []any{map[string]any{"@timestamp": "desc"}, map[string]any{"logId": "desc"}}
			if !reflect.DeepEqual(b["sort"], sort) {
				t.Errorf("sort = %v", b["sort"])
			}
		})
	}
}

// TestPageWindowEdge: the last page inside the engine's 10 000-result
// window is served, one further is a 400.
func TestPageWindowEdge(t *testing.T) {
	for q, ok := range map[string]bool{
		"page=100&limit=100": true, "page=101&limit=100": false,
		"page=1000&limit=10": true, "page=1001&limit=10": false,
		"page=10000&limit=1": true, "page=10001&limit=1": false,
	} {
		_, err := parseQuery(mustQuery(t, q), 100)
		if (err == nil) != ok {
			t.Errorf("%s: err = %v, want ok=%v", q, err, ok)
		}
	}
}

// tokenAt signs HS256 claims for poolA whose exp and nbf are at the given
// offsets from now.
func tokenAt(t *testing.T, key any, m jwt.SigningMethod, exp, nbf time.Duration) string {
	t.Helper()
	now := time.Now()
	c := &Claims{UserPoolIDs: []string{"poolA"}, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: "ingestd", IssuedAt: jwt.NewNumericDate(now.Add(-time.Hour)),
		ExpiresAt: jwt.NewNumericDate(now.Add(exp)), NotBefore: jwt.NewNumericDate(now.Add(nbf))}}
	tok, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestClockSkewLeeway: a token expired, or not yet valid, by a few seconds
// passes (clocks of hosts differ); by a minute it is refused. Both for the
// HS256 signer and for one loaded from a key file.
func TestClockSkewLeeway(t *testing.T) {
	hs, err := NewSigner(testKey)
	if err != nil {
		t.Fatal(err)
	}
	_, rsaKey := writeRSAKey(t, "PRIVATE KEY", 2048)
	rs, err := LoadSigner(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	rsPriv := rs.sign
	for name, c := range map[string]struct {
		s   *Signer
		key any
		m   jwt.SigningMethod
	}{"HS256": {hs, testKey, jwt.SigningMethodHS256}, "RS256": {rs, rsPriv, jwt.SigningMethodRS256}} {
		for _, tt := range []struct {
			what     string
			exp, nbf time.Duration
			ok       bool
		}{
			{"expired 10 s ago", -10 * time.Second, -time.Hour, true},
			{"valid in 10 s", time.Hour, 10 * time.Second, true},
			{"expired 90 s ago", -90 * time.Second, -time.Hour, false},
			{"valid in 90 s", time.Hour, 90 * time.Second, false},
		} {
			_, err := c.s.Verify(tokenAt(t, c.key, c.m, tt.exp, tt.nbf))
			if (err == nil) != tt.ok {
				t.Errorf("%s, %s: err = %v, want accepted=%v", name, tt.what, err, tt.ok)
			}
		}
	}
}

// TestSigningKeyMinimum: an HS256 secret needs 32 bytes, directly or from
// a file.
func TestSigningKeyMinimum(t *testing.T) {
	if _, err := NewSigner([]byte(strings.Repeat("k", 31))); err == nil || !strings.Contains(err.Error(), "at least 32 bytes") {
		t.Errorf("31 bytes: err = %v, want the 32-byte minimum", err)
	}
	if _, err := NewSigner([]byte(strings.Repeat("k", 32))); err != nil {
		t.Errorf("32 bytes: %v", err)
	}
	if _, err := NewSigner(nil); err == nil {
		t.Error("no key accepted")
	}
}

func writeKeyFile(t *testing.T, content []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestKeyFileNewlines: the line ends after a secret in a key file are not
// part of the key: a token minted with the bare secret verifies, and a
// 31-byte secret with its newline is still too short.
func TestKeyFileNewlines(t *testing.T) {
	key := []byte(strings.Repeat("s", 32))
	bare, _ := NewSigner(key)
	tok, _, _, _ := bare.Mint([]string{"poolA"}, time.Hour)
	for _, suffix := range []string{"", "\n", "\r\n", "\n\n", "\r"} {
		s, err := LoadSigner(writeKeyFile(t, append(append([]byte{}, key...), suffix...)))
		if err != nil {
			t.Errorf("%q: %v", suffix, err)
			continue
		}
		if _, err := s.Verify(tok); err != nil {
			t.Errorf("key file ending in %q: a token of the bare key is refused: %v", suffix, err)
		}
	}
	// Only line ends at the end are stripped: inner ones and spaces are key.
	s, err := LoadSigner(writeKeyFile(t, append(append([]byte{}, key...), ' ')))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(tok); err == nil {
		t.Error("a trailing space was stripped from the key")
	}
	for _, content := range []string{strings.Repeat("s", 31) + "\n", strings.Repeat("s", 30) + "\r\n", "", "\n"} {
		if _, err := LoadSigner(writeKeyFile(t, []byte(content))); err == nil || !strings.Contains(err.Error(), "at least 32 bytes") {
			t.Errorf("%q: err = %v, want the 32-byte minimum", content, err)
		}
	}
}

// writeRSAKey writes an RSA key of bits as a PEM block of typ: "PRIVATE
// KEY" (PKCS#8) or "RSA PRIVATE KEY" (PKCS#1).
func writeRSAKey(t *testing.T, typ string, bits int) (*rsa.PrivateKey, string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	der := x509.MarshalPKCS1PrivateKey(k)
	if typ == "PRIVATE KEY" {
		if der, err = x509.MarshalPKCS8PrivateKey(k); err != nil {
			t.Fatal(err)
		}
	}
	return k, writeKeyFile(t, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

// TestPKCS1Fallback: an RSA key as `openssl genrsa` (old versions) or
// ssh-keygen -m PEM write it, PKCS#1, is read as well as PKCS#8; what is
// neither, or too short, or not RSA/Ed25519, is refused with the file's
// name.
func TestPKCS1Fallback(t *testing.T) {
	k, path := writeRSAKey(t, "RSA PRIVATE KEY", 2048)
	s, err := LoadSigner(path)
	if err != nil {
		t.Fatalf("PKCS#1 RSA key: %v", err)
	}
	if s.method.Alg() != "RS256" {
		t.Errorf("alg = %s, want RS256", s.method.Alg())
	}
	tok, _, _, err := s.Mint([]string{"poolA"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return &k.PublicKey, nil }); err != nil {
		t.Errorf("token not signed by the file's key: %v", err)
	}
	if _, err := s.Verify(tok); err != nil {
		t.Error(err)
	}

	_, short := writeRSAKey(t, "RSA PRIVATE KEY", 1024)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	for name, tt := range map[string]struct {
		content []byte
		want    string
	}{
		"1024-bit RSA":    {mustRead(t, short), "at least 2048 bits"},
		"ECDSA":           {pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}), "not supported"},
		"garbage in PEM":  {pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("not a key")}), "signing key"},
		"PKCS#1 as PKCS8": {pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{0x30, 0x03, 0x02, 0x01, 0x00}}), "signing key"},
	} {
		p := writeKeyFile(t, tt.content)
		_, err := LoadSigner(p)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: err = %v, want %q naming %s", name, err, tt.want, p)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustQuery(t *testing.T, q string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestMintSubject: a token for one pool names it as its subject (what
// Authing's tokens carry); a token for several names none.
func TestMintSubject(t *testing.T) {
	s, _ := NewSigner(testKey)
	for _, tt := range []struct {
		pools []string
		sub   string
	}{{[]string{"poolA"}, "poolA"}, {[]string{"poolA", "poolB"}, ""}} {
		tok, iat, exp, err := s.Mint(tt.pools, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.Verify(tok)
		if err != nil {
			t.Fatal(err)
		}
		if c.Subject != tt.sub || !reflect.DeepEqual(c.UserPoolIDs, tt.pools) || !c.IssuedAt.Equal(iat) || !c.ExpiresAt.Equal(exp) || exp.Sub(iat) != time.Hour {
			t.Errorf("%v: sub %q pools %v iat %v exp %v, want sub %q", tt.pools, c.Subject, c.UserPoolIDs, c.IssuedAt, c.ExpiresAt, tt.sub)
		}
	}
}

// TestExchangeLimitsDefaults: unset limits take their defaults: half the
// CPUs (at least one) run exchanges at once.
func TestExchangeLimitsDefaults(t *testing.T) {
	for cpus, want := range map[int]int{1: 1, 2: 1, 3: 1, 4: 2, 8: 4, 16: 8} {
		var l ExchangeLimits
		if err := l.validate(cpus); err != nil {
			t.Fatal(err)
		}
		if l.Concurrency != want || l.Rate != DefaultExchangeRate || l.Burst != DefaultExchangeBurst {
			t.Errorf("%d CPUs: %+v, want concurrency %d, rate %v, burst %d", cpus, l, want, DefaultExchangeRate, DefaultExchangeBurst)
		}
	}
	l := ExchangeLimits{Concurrency: 3, Rate: 0.5, Burst: 2}
	if err := l.validate(16); err != nil || l != (ExchangeLimits{Concurrency: 3, Rate: 0.5, Burst: 2}) {
		t.Errorf("set limits changed: %+v %v", l, err)
	}
}

// TestExchangeLimitsRefused: limits outside their range are refused with
// the setting's name; the smallest valid ones pass.
func TestExchangeLimitsRefused(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, tt := range []struct {
		l    ExchangeLimits
		want string // "" when valid
	}{
		{ExchangeLimits{Concurrency: 1, Rate: 1e-9, Burst: 1}, ""},
		{ExchangeLimits{Concurrency: -1}, "exchange concurrency"},
		{ExchangeLimits{Rate: -1}, "exchange rate"},
		{ExchangeLimits{Rate: nan}, "exchange rate"},
		{ExchangeLimits{Rate: inf}, "exchange rate"},
		{ExchangeLimits{Rate: -inf}, "exchange rate"},
		{ExchangeLimits{Burst: -1}, "exchange burst"},
	} {
		l := tt.l
		err := l.validate(2)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%+v: %v, want %q", tt.l, err, tt.want)
		}
	}
}

// pathEngine records the path of each search request.
type pathEngine struct {
	fakeEngine
	paths []string
}

func (p *pathEngine) Perform(r *http.Request) (*http.Response, error) {
	p.paths = append(p.paths, r.URL.Path)
	return p.fakeEngine.Perform(r)
}

// TestSearchIndex: the searched indices are the configured ones, the
// daily audit indices when none is set.
func TestSearchIndex(t *testing.T) {
	signer, _ := NewSigner(testKey)
	tok, _, _, _ := signer.Mint([]string{"poolA"}, time.Hour)
	for index, want := range map[string]string{"": "/authing-audit-*/_search", "logs-*": "/logs-*/_search"} {
		eng := &pathEngine{}
		s, err := New(Config{Transport: eng, Signer: signer, Index: index})
		if err != nil {
			t.Fatal(err)
		}
		if code, body := do(s, "GET", "/api/v2/analysis/audit", tok, nil, ""); code != 200 {
			t.Fatalf("%d %v", code, body)
		}
		if len(eng.paths) != 1 || eng.paths[0] != want {
			t.Errorf("index %q: searched %v, want %s", index, eng.paths, want)
		}
	}
}

// TestQueryStringEdge: a query string of exactly maxQueryString bytes is
// served, one byte more is a 414.
func TestQueryStringEdge(t *testing.T) {
	s, signer := newTestServer(t, &fakeEngine{})
	tok, _, _, _ := signer.Mint([]string{"poolA"}, time.Hour)
	q := "eventType="
	q += strings.Repeat("e", maxQueryString-len(q))
	if code, body := do(s, "GET", "/api/v2/analysis/audit?"+q, tok, nil, ""); code != 200 {
		t.Errorf("%d bytes: %d %v, want 200", len(q), code, body)
	}
	if code, body := do(s, "GET", "/api/v2/analysis/audit?"+q+"e", tok, nil, ""); code != http.StatusRequestURITooLong || !strings.Contains(toJSON(body), "at most 32768") {
		t.Errorf("%d bytes: %d %v, want 414", len(q)+1, code, body)
	}
}

// TestTimeParamYearEdges: the first and last instants of years 0001 and
// 9999 are taken, one millisecond outside is a 400.
func TestTimeParamYearEdges(t *testing.T) {
	for q, ok := range map[string]bool{
		"start=-62135596800000": true, "start=-62135596800001": false,
		"end=253402300799999": true, "end=253402300800000": false,
		"start=0001-01-01": true, "end=9999-12-31": true,
		"start=0001-01-01T00:00:00Z": true, "end=9999-12-31T23:59:59.999Z": true,
	} {
		_, err := parseQuery(mustQuery(t, q), 100)
		if (err == nil) != ok {
			t.Errorf("%s: err = %v, want ok=%v", q, err, ok)
		}
	}
}
