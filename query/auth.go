package query

import (
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/bcrypt"
)

// Claims are the claims of an ingestd access token.
type Claims struct {
	// UserPoolIDs are the pools whose logs the holder may read.
	UserPoolIDs []string `json:"userPoolIds"`
	jwt.RegisteredClaims
}

// Signer mints and verifies access tokens: HS256 with a shared secret, or
// EdDSA (Ed25519) or RS256 with a private key.
type Signer struct {
	method jwt.SigningMethod
	sign   any // []byte, ed25519.PrivateKey or *rsa.PrivateKey
	verify any // []byte, ed25519.PublicKey or *rsa.PublicKey
	skew   time.Duration
	issuer string
}

// NewSigner returns an HS256 Signer for a secret of at least 32 bytes.
func NewSigner(key []byte) (*Signer, error) {
	if len(key) < 32 {
		return nil, errors.New("signing key: want at least 32 bytes (e.g. openssl rand -base64 48)")
	}
	return &Signer{method: jwt.SigningMethodHS256, sign: key, verify: key, skew: 30 * time.Second, issuer: "ingestd"}, nil
}

// LoadSigner reads a key file: a PEM private key (PKCS#8 Ed25519 → EdDSA,
// RSA → RS256), or else an HS256 secret (trailing newline ignored).
func LoadSigner(path string) (*Signer, error) {
	b, err := readSecretFile("signing key", path)
	if err != nil {
		return nil, err
	}
	if blk, _ := pem.Decode(b); blk != nil {
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			if rk, rerr := x509.ParsePKCS1PrivateKey(blk.Bytes); rerr == nil {
				k, err = rk, nil
			}
		}
		if err != nil {
			return nil, fmt.Errorf("signing key %s: %w", path, err)
		}
		s := &Signer{skew: 30 * time.Second, issuer: "ingestd", sign: k}
		switch k := k.(type) {
		case ed25519.PrivateKey:
			s.method, s.verify = jwt.SigningMethodEdDSA, k.Public()
		case *rsa.PrivateKey:
			if k.N.BitLen() < 2048 {
				return nil, fmt.Errorf("signing key %s: RSA keys must have at least 2048 bits", path)
			}
			s.method, s.verify = jwt.SigningMethodRS256, &k.PublicKey
		default:
			return nil, fmt.Errorf("signing key %s: %T is not supported (Ed25519 or RSA)", path, k)
		}
		return s, nil
	}
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return NewSigner(b)
}

// Mint returns a token for pools valid for ttl, and its iat and exp.
func (s *Signer) Mint(pools []string, ttl time.Duration) (token string, iat, exp time.Time, err error) {
	iat = time.Now().Truncate(time.Second)
	exp = iat.Add(ttl)
	c := Claims{UserPoolIDs: pools, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: s.issuer, IssuedAt: jwt.NewNumericDate(iat), ExpiresAt: jwt.NewNumericDate(exp),
	}}
	if len(pools) == 1 {
		c.Subject = pools[0]
	}
	token, err = jwt.NewWithClaims(s.method, c).SignedString(s.sign)
	return token, iat, exp, err
}

// Verify checks the signature, algorithm, issuer and expiry (with a small
// clock-skew allowance) and returns the claims.
func (s *Signer) Verify(token string) (*Claims, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return s.verify, nil },
		jwt.WithValidMethods([]string{s.method.Alg()}), jwt.WithLeeway(s.skew), jwt.WithIssuer(s.issuer),
		jwt.WithExpirationRequired())
	if err != nil {
		return nil, err
	}
	if len(c.UserPoolIDs) == 0 {
		return nil, errors.New("token names no user pool")
	}
	return &c, nil
}

// Pools holds the pools' secrets, hashed with bcrypt, all at one cost.
type Pools struct {
	hashes map[string][]byte
	// dummy is checked for unknown pools: a hash at the pools' cost, so
	// that an unknown pool costs what a known one does.
	dummy []byte
	// checks counts bcrypt comparisons (tests: one per request at most).
	checks atomic.Int64
}

// MinCost is the lowest bcrypt cost a pools file may use.
const MinCost = bcrypt.DefaultCost

// poolsFile is the on-disk layout:
//
//	pools:
//	  61384d3e302f1f75e69ce95a: $2a$10$…   # bcrypt of the pool secret
type poolsFile struct {
	Pools map[string]string `yaml:"pools"`
}

// LoadPools reads a pools file. Every hash must have the same bcrypt cost,
// at least MinCost: the time a check takes then tells nothing about which
// pools exist. The dummy hash for unknown pools is made here, at that cost.
func LoadPools(path string) (*Pools, error) {
	b, err := readSecretFile("pools", path)
	if err != nil {
		return nil, err
	}
	var f poolsFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("pools %s: %w", path, err)
	}
	p := &Pools{hashes: map[string][]byte{}}
	cost := 0
	for _, id := range slices.Sorted(maps.Keys(f.Pools)) {
		h := []byte(f.Pools[id])
		c, err := bcrypt.Cost(h)
		switch {
		case err != nil:
			return nil, fmt.Errorf("pools %s: pool %s: not a bcrypt hash (use ingestd hash-secret)", path, id)
		case c < MinCost:
			return nil, fmt.Errorf("pools %s: pool %s: bcrypt cost %d, at least %d (hash the secret again with ingestd hash-secret)", path, id, c, MinCost)
		case cost != 0 && c != cost:
			return nil, fmt.Errorf("pools %s: pool %s: bcrypt cost %d, but other pools have %d: all hashes must have one cost, or check times tell pools apart", path, id, c, cost)
		}
		cost = c
		p.hashes[id] = h
	}
	if cost == 0 {
		cost = MinCost
	}
	if p.dummy, err = bcrypt.GenerateFromPassword([]byte("ingestd-unknown-pool"), cost); err != nil {
		return nil, fmt.Errorf("pools %s: %w", path, err)
	}
	return p, nil
}

// readSecretFile reads a file holding a secret, refusing one that other
// users may read.
func readSecretFile(what, path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if m := st.Mode(); m.IsRegular() && m.Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s file %s is open to other users (mode %04o): run chmod 600 %s", what, path, m.Perm(), path)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	return b, nil
}

// HashSecret returns the bcrypt hash to store for a pool secret.
func HashSecret(secret string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(secret), bcrypt.DefaultCost)
	return string(h), err
}

// Check reports whether secret is the pool's. bcrypt compares in constant
// time; an unknown pool costs the same as a known one.
func (p *Pools) Check(pool, secret string) bool {
	p.checks.Add(1)
	h, ok := p.hashes[pool]
	if !ok {
		h = p.dummy
	}
	return bcrypt.CompareHashAndPassword(h, []byte(secret)) == nil && ok
}

// narrow returns the pools a request may read: those of the token,
// restricted to the x-authing-userpool-id header when given. ok is false
// when the header names a pool the token does not allow.
func narrow(allowed []string, header string) ([]string, bool) {
	if header == "" {
		return allowed, true
	}
	if slices.Contains(allowed, header) {
		return []string{header}, true
	}
	return nil, false
}
