package sink

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"net/http/httptest"
	"testing"
	"time"
)

type testCert struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// newCert makes a certificate for ips/names, signed by parent (self-signed
// when parent is nil).
func newCert(t *testing.T, cn string, isCA bool, parent *testCert, ips []net.IP, names []string) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: ips, DNSNames: names, IsCA: isCA, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &testCert{c, key}
}

// TestFingerprintPinVerifiesChain: pinning a CA (as Elasticsearch's
// ca_trusted_fingerprint does) must not accept a server that merely sends
// the public CA certificate next to a leaf it signed itself, nor a leaf the
// CA issued for another host.
func TestFingerprintPinVerifiesChain(t *testing.T) {
	loopback := []net.IP{net.IPv4(127, 0, 0, 1)}
	ca := newCert(t, "engine CA", true, nil, nil, nil)
	good := newCert(t, "engine", false, ca, loopback, []string{"localhost"})
	forged := newCert(t, "engine", false, nil, loopback, []string{"localhost"})
	otherHost := newCert(t, "elsewhere", false, ca, []net.IP{net.IPv4(10, 9, 9, 9)}, []string{"elsewhere.example"})
	sum := sha256.Sum256(ca.cert.Raw)
	pin := hex.EncodeToString(sum[:])

	tests := []struct {
		name  string
		chain []*testCert // what the server presents; first is the leaf
		ok    bool
	}{
		{"leaf issued by the pinned CA", []*testCert{good, ca}, true},
		{"self-made leaf next to the public CA", []*testCert{forged, ca}, false},
		{"pinned CA's leaf for another host", []*testCert{otherHost, ca}, false},
		{"pinned CA not presented", []*testCert{good}, false},
		{"the pinned certificate is the leaf", []*testCert{ca}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var auth []string
			srv := httptest.NewUnstartedServer(esInfo(&auth))
			tc := tls.Certificate{PrivateKey: tt.chain[0].key, Leaf: tt.chain[0].cert}
			for _, c := range tt.chain {
				tc.Certificate = append(tc.Certificate, c.cert.Raw)
			}
			srv.TLS = &tls.Config{Certificates: []tls.Certificate{tc}}
			srv.Config.ErrorLog = log.New(io.Discard, "", 0)
			srv.StartTLS()
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
			defer cancel()
			_, _, err := Connect(ctx, EngineConfig{URLs: []string{srv.URL}, CAFingerprint: pin, Flavor: FlavorAuto, Logger: slog.New(slog.DiscardHandler)})
			if tt.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
