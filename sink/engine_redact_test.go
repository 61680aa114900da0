package sink

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
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
		{"http://127.0.0.1:9200/a@b", "http://***@b"},                 // over-redacts an @ in a path: harmless
		{"user:pw@127.0.0.1:9200", "***@127.0.0.1:9200"},              // no scheme: still masked
		{"http://u:p@ss@127.0.0.1:9200", "http://***@127.0.0.1:9200"}, // '@' in the password
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
