package sink

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRedactURL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"http://elastic:s3cret@127.0.0.1:9200", "http://***@127.0.0.1:9200"},
		{"https://user@es.example:9243/prefix", "https://***@es.example:9243/prefix"},
		{"http://127.0.0.1:9200", "http://127.0.0.1:9200"},
		{"http://127.0.0.1:9200/a@b", "http://***@b"}, // over-redacts an @ in a path: harmless
		{"user:pw@127.0.0.1:9200", "user:pw@127.0.0.1:9200"},
		{"", ""},
	} {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestConnectRedactsURLCredentials: credentials written into an engine URL
// are used but never logged or put in an error.
func TestConnectRedactsURLCredentials(t *testing.T) {
	var auth []string
	srv := httptest.NewServer(esInfo(&auth))
	defer srv.Close()
	withPW := strings.Replace(srv.URL, "http://", "http://elastic:s3cret-pw@", 1)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	_, flavor, err := Connect(context.Background(), EngineConfig{URLs: []string{withPW}, Logger: log})
	if err != nil || flavor != FlavorElasticsearch {
		t.Fatalf("Connect = %s, %v", flavor, err)
	}
	if len(auth) != 1 || !strings.HasPrefix(auth[0], "Basic ") {
		t.Errorf("credentials of the URL not sent: %q", auth)
	}
	if !strings.Contains(logs.String(), "engine detected") || !strings.Contains(logs.String(), "***@127.0.0.1") {
		t.Errorf("detection not logged with the redacted URL:\n%s", logs.String())
	}

	// An engine that refuses: the error names the URL without the secret.
	deny := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer deny.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	logs.Reset()
	_, _, err = Connect(ctx, EngineConfig{URLs: []string{strings.Replace(deny.URL, "http://", "http://elastic:s3cret-pw@", 1)}, Logger: log})
	if err == nil || !strings.Contains(err.Error(), "status 401") || !strings.Contains(err.Error(), "***@127.0.0.1") {
		t.Errorf("Connect = %v, want status 401 naming the redacted URL", err)
	}
	if strings.Contains(logs.String()+err.Error(), "s3cret-pw") {
		t.Errorf("secret leaked:\n%s\n%v", logs.String(), err)
	}

	// An answer that is not JSON: the error names the URL without the secret.
	junk := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<html>")
	}))
	defer junk.Close()
	ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, _, err = Connect(ctx, EngineConfig{URLs: []string{strings.Replace(junk.URL, "http://", "http://u:s3cret-pw@", 1)}, Logger: log})
	if err == nil || strings.Contains(err.Error(), "s3cret-pw") || !strings.Contains(err.Error(), "***@127.0.0.1") {
		t.Errorf("Connect = %v", err)
	}
}
