package query

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestVerifyRefuses keeps what held in the hostile review of issue 9:
// alg none, another algorithm, a missing or expired exp, a future nbf, a
// wrong issuer and a token naming no pool are all refused.
func TestVerifyRefuses(t *testing.T) {
	s, _ := NewSigner(testKey)
	now := time.Now()
	claims := func(mod func(*Claims)) *Claims {
		c := &Claims{UserPoolIDs: []string{"poolA"}, RegisteredClaims: jwt.RegisteredClaims{
			Issuer: "ingestd", IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}}
		mod(c)
		return c
	}
	sign := func(m jwt.SigningMethod, key any, c *Claims) string {
		tok, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	ok := sign(jwt.SigningMethodHS256, testKey, claims(func(*Claims) {}))
	if _, err := s.Verify(ok); err != nil {
		t.Fatalf("a good token: %v", err)
	}
	for name, tok := range map[string]string{
		"alg none":    sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(func(*Claims) {})),
		"HS384":       sign(jwt.SigningMethodHS384, testKey, claims(func(*Claims) {})),
		"no exp":      sign(jwt.SigningMethodHS256, testKey, claims(func(c *Claims) { c.ExpiresAt = nil })),
		"expired":     sign(jwt.SigningMethodHS256, testKey, claims(func(c *Claims) { c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Minute)) })),
		"future nbf":  sign(jwt.SigningMethodHS256, testKey, claims(func(c *Claims) { c.NotBefore = jwt.NewNumericDate(now.Add(time.Hour)) })),
		"issuer":      sign(jwt.SigningMethodHS256, testKey, claims(func(c *Claims) { c.Issuer = "someone" })),
		"no pool":     sign(jwt.SigningMethodHS256, testKey, claims(func(c *Claims) { c.UserPoolIDs = nil })),
		"bad sig":     ok[:len(ok)-4] + "AAAA",
		"alg in text": strings.Replace(ok, strings.Split(ok, ".")[0], "eyJhbGciOiJub25lIn0", 1),
	} {
		if _, err := s.Verify(tok); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// panicEngine panics in Perform, as a bug anywhere under a request would.
type panicEngine struct{}

func (panicEngine) Perform(*http.Request) (*http.Response, error) { panic("boom pool-a-secret") }

// TestErrorsGenericAndQuiet keeps what held: a wrong secret and an unknown
// pool get the same answer; a panic is caught and answered with a generic
// 500; neither secrets nor tokens reach the log.
func TestErrorsGenericAndQuiet(t *testing.T) {
	var logs bytes.Buffer
	signer, _ := NewSigner(testKey)
	s, err := New(Config{Transport: panicEngine{}, Signer: signer, Pools: testPools(t),
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	wrong := exchangeRecorder(s, context.Background(), "application/json", "",
		exchangeBody(sdkAccessToken, map[string]any{"userPoolId": "poolA", "secret": "pool-a-secret-not"}))
	unknown := exchangeRecorder(s, context.Background(), "application/json", "",
		exchangeBody(sdkAccessToken, map[string]any{"userPoolId": "poolZ", "secret": "pool-a-secret-not"}))
	if wrong.Code != unknown.Code || wrong.Body.String() != unknown.Body.String() {
		t.Errorf("wrong secret and unknown pool differ:\n%s\n%s", wrong.Body, unknown.Body)
	}
	tok, _, _, _ := signer.Mint([]string{"poolA"}, time.Hour)
	code, body := do(s, "GET", "/api/v2/analysis/audit", tok, nil, "")
	if code != 500 || body["message"] != "internal error" {
		t.Errorf("panic: %d %v", code, body)
	}
	if strings.Contains(logs.String(), "pool-a-secret-not") || strings.Contains(logs.String(), tok) {
		t.Errorf("a secret or token in the log: %s", logs.String())
	}
}
