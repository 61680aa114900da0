package query

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var testKey = []byte("0123456789abcdef0123456789abcdef-test-key")

// fakeEngine records search bodies and answers with one hit.
type fakeEngine struct {
	bodies []map[string]any
	down   bool
	status int // answer with this status and an error body instead
}

func (f *fakeEngine) Perform(r *http.Request) (*http.Response, error) {
	if f.down {
		return nil, errors.New("connection refused")
	}
	var b map[string]any
	json.NewDecoder(r.Body).Decode(&b)
	f.bodies = append(f.bodies, b)
	rec := httptest.NewRecorder()
	if f.status != 0 {
		rec.WriteHeader(f.status)
		io.WriteString(rec, `{"error":{"type":"search_phase_execution_exception"},"status":400}`)
		return rec.Result(), nil
	}
	io.WriteString(rec, `{"hits":{"total":{"value":42},"hits":[{"_source":{"logId":"x","eventType":" 创建用户"}}]}}`)
	return rec.Result(), nil
}

func newTestServer(t *testing.T, eng *fakeEngine) (*Server, *Signer) {
	t.Helper()
	signer, err := NewSigner(testKey)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := HashSecret("pool-a-secret")
	path := filepath.Join(t.TempDir(), "pools.yaml")
	os.WriteFile(path, []byte("pools:\n  poolA: "+h+"\n"), 0o600)
	pools, err := LoadPools(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Transport: eng, Signer: signer, Pools: pools})
	if err != nil {
		t.Fatal(err)
	}
	return s, signer
}

func do(s http.Handler, method, target, token string, hdr map[string]string, body string) (int, map[string]any) {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if method == http.MethodPost {
		r.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	var out map[string]any
	json.Unmarshal(w.Body.Bytes(), &out)
	return w.Code, out
}

func TestParseQueryShapes(t *testing.T) {
	tests := []struct {
		q    string
		want search
	}{
		{"", search{page: 1, limit: 10}},
		{"operation_name=createUser&operation_name=login", search{page: 1, limit: 10, eventTypes: []string{"createUser", "login"}}},
		{"operation_name[]=createUser&operation_name[]=login", search{page: 1, limit: 10, eventTypes: []string{"createUser", "login"}}},
		{"operation_name=createUser,login&page=3&limit=20", search{page: 3, limit: 20, eventTypes: []string{"createUser", "login"}}},
		{"operator_arn=arn:cn:authing:user:u1&operator_arn=arn:cn:authing:poolA:user:u2&operator_arn=u3", search{page: 1, limit: 10, userIDs: []string{"u1", "u2", "u3"}}},
		{"eventType=login&userId=u9&app_id[]=a1&clientip=111.202.167.58", search{page: 1, limit: 10, eventTypes: []string{"login"}, userIDs: []string{"u9"}, appIDs: []string{"a1"}, clientIP: "111.202.167.58"}},
	}
	for _, tt := range tests {
		v, _ := url.ParseQuery(tt.q)
		got, err := parseQuery(v, 100)
		if err != nil {
			t.Fatalf("%s: %v", tt.q, err)
		}
		if !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.q, *got, tt.want)
		}
	}
	v, _ := url.ParseQuery("start=1632268800000&end=2021-09-23T00:00:00Z")
	got, err := parseQuery(v, 100)
	if err != nil || got.start.Year() != 2021 || got.end.Day() != 23 {
		t.Errorf("dates: %+v %v", got, err)
	}
	v, _ = url.ParseQuery("start=2021-09-22&end=2021-09-22")
	if got, err := parseQuery(v, 100); err != nil || !got.start.Equal(time.Date(2021, 9, 22, 0, 0, 0, 0, time.UTC)) ||
		!got.end.Equal(time.Date(2021, 9, 22, 23, 59, 59, 999e6, time.UTC)) {
		t.Errorf("a bare end date should include its whole day: %+v %v", got, err)
	}
	for _, q := range []string{"page=x", "page=0", "limit=101", "limit=0", "clientip=999.1.1.1", "start=yesterday", "page=1001&limit=10",
		"start=99999999999999999", "end=253402300800000", "start=-62135596800001"} {
		v, _ := url.ParseQuery(q)
		var ae *apiError
		if _, err := parseQuery(v, 100); !errors.As(err, &ae) || ae.status != 400 {
			t.Errorf("%s: err = %v, want a 400", q, err)
		}
	}
}

// poolFilter is the filter the server must send for pools: the document's
// userPoolId, or any pool an ambiguous line names.
func poolFilter(pools ...string) map[string]any {
	var vals []any
	for _, p := range pools {
		vals = append(vals, p)
	}
	return map[string]any{"bool": map[string]any{
		"should": []any{
			map[string]any{"terms": map[string]any{"userPoolId": vals}},
			map[string]any{"terms": map[string]any{"ambiguousKeys.userPoolIds": vals}},
		},
		"minimum_should_match": float64(1),
	}}
}

func TestListAuthAndErrors(t *testing.T) {
	eng := &fakeEngine{}
	s, signer := newTestServer(t, eng)
	tokA, _, _, _ := signer.Mint([]string{"poolA", "poolB"}, time.Hour)
	expired, _, _, _ := signer.Mint([]string{"poolA"}, -time.Hour)
	other, _ := NewSigner([]byte("another-key-another-key-another-key!"))
	forged, _, _, _ := other.Mint([]string{"poolA"}, time.Hour)

	code, body := do(s, "GET", "/api/v2/analysis/audit?operation_name=createUser", tokA, nil, "")
	if code != 200 || body["code"].(float64) != 200 || body["data"].(map[string]any)["totalCount"].(float64) != 42 {
		t.Fatalf("ok request: %d %v", code, body)
	}
	// The pools of the token are always a filter.
	filter := eng.bodies[0]["query"].(map[string]any)["bool"].(map[string]any)["filter"].([]any)
	if !reflect.DeepEqual(filter[0], poolFilter("poolA", "poolB")) {
		t.Errorf("pool filter = %v", filter[0])
	}
	// The header narrows...
	do(s, "GET", "/api/v2/analysis/audit", tokA, map[string]string{"x-authing-userpool-id": "poolB"}, "")
	f2 := eng.bodies[1]["query"].(map[string]any)["bool"].(map[string]any)["filter"].([]any)
	if !reflect.DeepEqual(f2[0], poolFilter("poolB")) {
		t.Errorf("narrowed pool filter = %v", f2[0])
	}
	tests := []struct {
		name  string
		token string
		hdr   map[string]string
		q     string
		want  int
	}{
		{"missing token", "", nil, "", 401},
		{"garbage token", "abc.def.ghi", nil, "", 401},
		{"expired", expired, nil, "", 401},
		{"wrong key", forged, nil, "", 401},
		{"...but never widens", tokA, map[string]string{"x-authing-userpool-id": "poolC"}, "", 403},
		{"bad page", tokA, nil, "?page=abc", 400},
		{"bad ip", tokA, nil, "?clientip=1.2.3", 400},
	}
	for _, tt := range tests {
		code, body := do(s, "GET", "/api/v2/analysis/audit"+tt.q, tt.token, tt.hdr, "")
		if code != tt.want || body["code"].(float64) != float64(tt.want) || body["message"] == "" {
			t.Errorf("%s: %d %v, want %d with a message", tt.name, code, body, tt.want)
		}
	}
	eng.status = http.StatusBadRequest // the engine refuses the query itself
	if code, body := do(s, "GET", "/api/v2/analysis/audit", tokA, nil, ""); code != 400 || body["code"].(float64) != 400 {
		t.Errorf("engine rejects the query: %d %v, want 400", code, body)
	}
	eng.status = 0
	eng.down = true
	if code, _ := do(s, "GET", "/api/v2/analysis/user-action", tokA, nil, ""); code != 503 {
		t.Errorf("engine down: %d, want 503", code)
	}
}

func TestGraphQLTokenExchange(t *testing.T) {
	s, signer := newTestServer(t, &fakeEngine{})
	q := `{"query":"query accessToken($userPoolId: String!, $secret: String!) { accessToken(userPoolId: $userPoolId, secret: $secret) { accessToken exp iat } }","variables":{"userPoolId":"poolA","secret":"pool-a-secret"}}`
	code, body := do(s, "POST", "/graphql/v2", "", nil, q)
	tok := body["data"].(map[string]any)["accessToken"].(map[string]any)
	c, err := signer.Verify(tok["accessToken"].(string))
	if code != 200 || err != nil || !reflect.DeepEqual(c.UserPoolIDs, []string{"poolA"}) || tok["exp"].(float64) <= tok["iat"].(float64) {
		t.Fatalf("exchange: %d %v %v", code, body, err)
	}
	_, body = do(s, "POST", "/graphql/v2", "", nil, strings.Replace(q, "pool-a-secret", "wrong", 1))
	errs, _ := body["errors"].([]any)
	if len(errs) != 1 || body["data"] != nil && body["data"].(map[string]any)["accessToken"] != nil {
		t.Fatalf("wrong secret: %v", body)
	}
	msg := errs[0].(map[string]any)["message"].(map[string]any)
	if msg["code"].(float64) != codeInvalidSecret || msg["message"] == "" {
		t.Errorf("error = %v", errs[0])
	}
	if strings.Contains(toJSON(body), "eyJ") {
		t.Error("a token in an error answer")
	}
	_, body = do(s, "POST", "/graphql/v2", "", nil, `{"query":"{ __schema { queryType { name fields { name } } } }"}`)
	if !strings.Contains(toJSON(body), `"accessToken"`) {
		t.Errorf("introspection: %v", body)
	}
}

func toJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestKeyPairSigners(t *testing.T) {
	dir := t.TempDir()
	_, edKey, _ := ed25519.GenerateKey(nil)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	for name, k := range map[string]any{"EdDSA": edKey, "RS256": rsaKey} {
		der, _ := x509.MarshalPKCS8PrivateKey(k)
		path := filepath.Join(dir, name+".pem")
		os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
		s, err := LoadSigner(path)
		if err != nil {
			t.Fatal(err)
		}
		tok, _, _, _ := s.Mint([]string{"p"}, time.Hour)
		if _, err := s.Verify(tok); err != nil || s.method.Alg() != name {
			t.Errorf("%s: %v (alg %s)", name, err, s.method.Alg())
		}
		// A token of another algorithm (HS256 with any key) is refused.
		hs, _ := NewSigner(testKey)
		forged, _, _, _ := hs.Mint([]string{"p"}, time.Hour)
		if _, err := s.Verify(forged); err == nil {
			t.Errorf("%s signer accepted an HS256 token", name)
		}
	}
	hsPath := filepath.Join(dir, "hs.key")
	os.WriteFile(hsPath, append(testKey, '\n'), 0o600)
	if s, err := LoadSigner(hsPath); err != nil || s.method.Alg() != "HS256" {
		t.Errorf("HS256 file: %v", err)
	}
}

// TestGraphQLLimits: deeply nested or oversized token-exchange requests are
// refused before graphql-go validates them (its validation is quadratic in
// the depth: no-login CPU exhaustion); the SDKs' queries pass.
func TestGraphQLLimits(t *testing.T) {
	s, _ := newTestServer(t, &fakeEngine{})
	deep := strings.Repeat("{a\\n", 1_000) + strings.Repeat("}", 1_000)
	code, body := do(s, "POST", "/graphql/v2", "", nil, `{"query":"`+deep+`"}`)
	if code != 400 || !strings.Contains(toJSON(body), "nested") {
		t.Fatalf("deep query: %d %v", code, body)
	}
	big := `{"query":"{ __typename }","variables":{"pad":"` + strings.Repeat("x", 70<<10) + `"}}`
	if code, _ := do(s, "POST", "/graphql/v2", "", nil, big); code != 413 {
		t.Errorf("oversized body: %d", code)
	}
	b, _ := json.Marshal(map[string]string{"query": introspectionQuery(7)})
	if code, body := do(s, "POST", "/graphql/v2", "", nil, string(b)); code != 200 || !strings.Contains(toJSON(body), `"accessToken"`) {
		t.Errorf("introspection: %d %.300v", code, body)
	}
}
