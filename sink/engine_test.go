package sink

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"io"
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

// esInfo answers GET / like Elasticsearch 8 and records the Authorization
// header of every request.
func esInfo(auth *[]string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		*auth = append(*auth, r.Header.Get("Authorization"))
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		io.WriteString(w, `{"version":{"number":"8.15.0"}}`)
	}
}

func TestConnectTLSAndAuth(t *testing.T) {
	var auth []string
	srv := httptest.NewTLSServer(esInfo(&auth))
	defer srv.Close()
	cert := srv.Certificate()
	sum := sha256.Sum256(cert.Raw)
	pin := hex.EncodeToString(sum[:])
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600)

	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	tests := []struct {
		name string
		cfg  EngineConfig
		ok   bool
	}{
		{"verification on by default", EngineConfig{}, false},
		{"CA file", EngineConfig{CAFile: caFile, Username: "elastic", Password: "s3cret-pw"}, true},
		{"fingerprint pin", EngineConfig{CAFingerprint: strings.ToUpper(pin[:2]) + ":" + pin[2:], APIKey: "a2V5LWlkOmtleQ=="}, true},
		{"wrong pin", EngineConfig{CAFingerprint: strings.Repeat("ab", 32)}, false},
		{"CA file and wrong pin", EngineConfig{CAFile: caFile, CAFingerprint: strings.Repeat("ab", 32)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth = nil
			cfg := tt.cfg
			cfg.URLs, cfg.Flavor, cfg.Logger = []string{srv.URL}, FlavorAuto, log
			c, cancelOne := context.WithTimeout(ctx, 600*time.Millisecond)
			defer cancelOne()
			_, flavor, err := Connect(c, cfg)
			if tt.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && flavor != FlavorElasticsearch {
				t.Errorf("flavor %s", flavor)
			}
			if cfg.Password != "" && (len(auth) == 0 || !strings.HasPrefix(auth[0], "Basic ")) {
				t.Errorf("basic auth not sent: %q", auth)
			}
			if cfg.APIKey != "" && (len(auth) == 0 || auth[0] != "ApiKey "+cfg.APIKey) {
				t.Errorf("API key not sent: %q", auth)
			}
		})
	}
	if strings.Contains(logs.String(), "s3cret-pw") || strings.Contains(logs.String(), "a2V5LWlkOmtleQ") {
		t.Errorf("a secret reached the logs:\n%s", logs.String())
	}
	if _, _, err := Connect(ctx, EngineConfig{URLs: []string{srv.URL}, Password: "p", APIKey: "k"}); err == nil {
		t.Error("password and API key together accepted")
	}
	if _, _, err := Connect(ctx, EngineConfig{URLs: []string{srv.URL}, CAFingerprint: "abc"}); err == nil {
		t.Error("short fingerprint accepted")
	}
}

// TestProductCheck: the Elasticsearch flavor refuses a server that does
// not say it is Elasticsearch, as go-elasticsearch/v8 does.
func TestProductCheck(t *testing.T) {
	var requests atomic.Int64
	var genuine atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if genuine.Load() {
			w.Header().Set("X-Elastic-Product", "Elasticsearch")
		}
		io.WriteString(w, `{"version":{"number":"8.15.0"},"took":1,"errors":false,"items":[]}`)
	}))
	defer srv.Close()
	tr, _, err := Connect(context.Background(), EngineConfig{URLs: []string{srv.URL}, Flavor: FlavorElasticsearch})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	// go-elasticsearch/v8 has no exported error for this: its message is
	// the contract ("the client noticed that the server is not
	// Elasticsearch ...").
	_, err = tr.Perform(req)
	if err == nil || !strings.Contains(err.Error(), "not Elasticsearch") {
		t.Fatalf("Perform = %v, want the product-check error", err)
	}
	if n := requests.Load(); n != 1 {
		t.Fatalf("server saw %d requests, want 1: the error did not come from its answer", n)
	}
	// The same server, now saying it is Elasticsearch, passes.
	genuine.Store(true)
	req, _ = http.NewRequest(http.MethodGet, "/", nil)
	res, err := tr.Perform(req)
	if err != nil {
		t.Fatalf("genuine server refused: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || requests.Load() != 2 {
		t.Errorf("status %d after %d requests", res.StatusCode, requests.Load())
	}
}

func TestTemplate(t *testing.T) {
	base := []byte(`{"index_patterns":["authing-audit-*"],"template":{}}`)
	b, err := Template(base, "audit-%{+yyyy.MM.dd}", "")
	if err != nil || !strings.Contains(string(b), `"index_patterns":["audit-*"]`) {
		t.Fatalf("%s %v", b, err)
	}
	b, err = Template(base, DefaultIndex, "logs-authing-audit")
	if err != nil || !strings.Contains(string(b), `"data_stream":{}`) || !strings.Contains(string(b), `["logs-authing-audit"]`) {
		t.Fatalf("%s %v", b, err)
	}
	if TemplateName(DefaultIndex, "") != "ingestd-authing-audit" || TemplateName("", "logs-x") != "ingestd-logs-x" {
		t.Errorf("template names %s %s", TemplateName(DefaultIndex, ""), TemplateName("", "logs-x"))
	}
}
