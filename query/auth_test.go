package query

import (
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
