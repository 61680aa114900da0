package query

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// maxAnswer bounds any answer of the API (the largest legitimate one, a
// page of 100 documents, is far below: documents come from the engine).
const maxAnswer = 256 << 10

// FuzzExchange: whatever the body, the token exchange never panics, never
// answers 5xx and answers in bounded size. Seeds: testdata/fuzz/FuzzExchange
// (the SDKs' bodies, introspection, the reproductions of issue 9).
func FuzzExchange(f *testing.F) {
	f.Add(exchangeBody(sdkAccessToken, map[string]any{"userPoolId": "poolA", "secret": "pool-a-secret"}))
	f.Add(exchangeBody(introspectionQuery(7), nil))
	// Cost-4 hashes, which LoadPools refuses: the fuzzer should spend its
	// time on the handler, not on bcrypt.
	h, _ := bcrypt.GenerateFromPassword([]byte("pool-a-secret"), bcrypt.MinCost)
	dummy, _ := bcrypt.GenerateFromPassword([]byte("x"), bcrypt.MinCost)
	signer, _ := NewSigner(testKey)
	s, err := New(Config{Transport: &fakeEngine{}, Signer: signer, Pools: &Pools{hashes: map[string][]byte{"poolA": h}, dummy: dummy},
		Exchange: ExchangeLimits{Rate: 1e9, Burst: 1 << 30}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		w := exchangeRecorder(s, context.Background(), "application/json", "", body)
		if w.Code >= 500 || w.Body.Len() > maxAnswer {
			t.Fatalf("%d, %d bytes: %.300s", w.Code, w.Body.Len(), w.Body)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("answer is not JSON: %.300s", w.Body)
		}
	})
}

// FuzzListParams: whatever the query string, a list request never panics,
// never answers 5xx, answers in bounded size, and the engine query always
// holds the caller's pool filter first, parameters only as literal terms,
// at most maxValues of them per field. Seeds: testdata/fuzz/FuzzListParams.
func FuzzListParams(f *testing.F) {
	f.Add("operation_name=createUser&operation_name[]=login,x&operator_arn=arn:cn:authing:p:user:u1&clientip=1.2.3.4&start=2021-09-22&end=1632268800000&page=2&limit=100")
	eng := &fakeEngine{}
	signer, _ := NewSigner(testKey)
	s, err := New(Config{Transport: eng, Signer: signer})
	if err != nil {
		f.Fatal(err)
	}
	tok, _, _, _ := signer.Mint([]string{"poolA"}, time.Hour)
	f.Fuzz(func(t *testing.T, raw string) {
		eng.bodies = nil
		r := httptest.NewRequest(http.MethodGet, "/api/v2/analysis/audit", nil)
		r.URL.RawQuery = raw
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code >= 500 || w.Body.Len() > maxAnswer {
			t.Fatalf("%d, %d bytes: %.300s", w.Code, w.Body.Len(), w.Body)
		}
		if len(eng.bodies) == 0 {
			return
		}
		filter := eng.bodies[0]["query"].(map[string]any)["bool"].(map[string]any)["filter"].([]any)
		if !reflect.DeepEqual(filter[0], poolFilter("poolA")) {
			t.Fatalf("pool filter = %v", filter[0])
		}
		for _, f := range filter[1:] {
			m := f.(map[string]any)
			if rng, ok := m["range"]; ok {
				if _, ok := rng.(map[string]any)["@timestamp"]; !ok {
					t.Fatalf("range on %v", rng)
				}
				continue
			}
			terms, ok := m["terms"].(map[string]any)
			if !ok || len(m) != 1 || len(terms) != 1 {
				t.Fatalf("not a terms filter: %v", m)
			}
			for field, vals := range terms {
				if !strings.Contains("codes.eventType userId appId clientIp", field) || len(vals.([]any)) > maxValues {
					t.Fatalf("terms on %s: %d values", field, len(vals.([]any)))
				}
			}
		}
	})
}
