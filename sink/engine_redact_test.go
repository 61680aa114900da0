package sink

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRedactURL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"http://elastic:s3cret@127.0.0.1:9200", "http://***@127.0.0.1:9200"},
		{"https://user@es.example:9243/prefix", "https://***@es.example:9243/prefix"},
		{"http://127.0.0.1:9200", "http://127.0.0.1:9200"},
		{"http://127.0.0.1:9200/a@b", "http://***@b"},                 // over-redacts an @ in a path: harmless
		{"user:pw@127.0.0.1:9200", "***@127.0.0.1:9200"},              // no scheme: still masked
		{"http://u:p@ss@127.0.0.1:9200", "http://***@127.0.0.1:9200"}, // '@' in the password
		{"@127.0.0.1:9200", "***@127.0.0.1:9200"},                     // empty user-info
		{"://u@h", "://***@h"},
		{"", ""},
	} {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestConnectRedactsURLCredentials: credentials written into an engine URL
// are refused before any request (issue 9, item 6), and the error names the
// URL without the secret.
func TestConnectRedactsURLCredentials(t *testing.T) {
	var auth []string
	srv := httptest.NewServer(esInfo(&auth))
	defer srv.Close()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	for _, withPW := range []string{
		strings.Replace(srv.URL, "http://", "http://elastic:s3cret-pw@", 1),
		strings.Replace(srv.URL, "http://", "http://u:s3cret-pw@", 1) + "/",
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		_, _, err := Connect(ctx, EngineConfig{URLs: []string{withPW}, Logger: log})
		cancel()
		if !errors.Is(err, ErrURLUserInfo) || !strings.Contains(err.Error(), "***@127.0.0.1") {
			t.Errorf("Connect = %v, want ErrURLUserInfo naming the redacted URL", err)
		}
		if err != nil && strings.Contains(logs.String()+err.Error(), "s3cret-pw") {
			t.Errorf("secret leaked:\n%s\n%v", logs.String(), err)
		}
	}
	if len(auth) != 0 {
		t.Errorf("a request reached the engine: %q", auth)
	}
}

// TestHTTPTransportSettings: a CA file adds to the system's roots, never
// replaces them; handshakes and idle connections are bounded.
func TestHTTPTransportSettings(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)
	tr, err := httpTransport(EngineConfig{CAFile: caFile, Logger: slog.Default()})
	if err != nil {
		t.Fatal(err)
	}
	sys, err := x509.SystemCertPool()
	if err != nil {
		t.Fatal(err)
	}
	//lint:ignore SA1019 the pools compared here are file-based (Linux), Subjects lists them
	if got, want := len(tr.TLSClientConfig.RootCAs.Subjects()), len(sys.Subjects())+1; got != want {
		t.Errorf("%d trusted roots, want the system's and the CA file's: %d", got, want)
	}
	if tr.TLSHandshakeTimeout != 10*time.Second || tr.IdleConnTimeout != 90*time.Second || tr.MaxIdleConnsPerHost != 16 ||
		tr.TLSClientConfig.MinVersion != tls.VersionTLS12 || tr.TLSClientConfig.InsecureSkipVerify {
		t.Errorf("transport settings: handshake %v idle %v per host %d TLS min %x skip %v", tr.TLSHandshakeTimeout,
			tr.IdleConnTimeout, tr.MaxIdleConnsPerHost, tr.TLSClientConfig.MinVersion, tr.TLSClientConfig.InsecureSkipVerify)
	}
	if _, err := httpTransport(EngineConfig{CAFile: filepath.Join(t.TempDir(), "none.pem")}); err == nil || !strings.Contains(err.Error(), "engine CA file") {
		t.Errorf("missing CA file: %v", err)
	}
	empty := filepath.Join(t.TempDir(), "empty.pem")
	os.WriteFile(empty, []byte("not a certificate"), 0o600)
	if _, err := httpTransport(EngineConfig{CAFile: empty}); err == nil || !strings.Contains(err.Error(), "no PEM certificates") {
		t.Errorf("CA file without certificates: %v", err)
	}
}

// TestDetectRetries: while the engine does not answer, detection retries
// with a growing wait (not in a busy loop) and warns once per 30 s, then
// gives up with the last error when ctx ends.
func TestDetectRetries(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	var logs bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
	defer cancel()
	_, _, err := Connect(ctx, EngineConfig{URLs: []string{srv.URL}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err == nil || !strings.Contains(err.Error(), "could not detect its flavor") || !strings.Contains(err.Error(), "status 503") {
		t.Errorf("Connect = %v", err)
	}
	if n := requests.Load(); n < 1 || n > 3 {
		t.Errorf("%d requests in 600 ms, want 2 (at 0 and 250 ms)", n)
	}
	if n := strings.Count(logs.String(), "engine not reachable yet"); n != 1 {
		t.Errorf("%d warnings, want 1:\n%s", n, logs.String())
	}
}
