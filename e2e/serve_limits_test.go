package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// post sends a token-exchange body and returns the status, the answer and
// Retry-After.
func post(t *testing.T, addr, contentType, body string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/graphql/v2", strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header.Get("Retry-After")
}

// TestServeExchangeLimits: the reproductions of issue 9 against the real
// binary: hostile bodies refused at once with short answers, text/plain
// refused, the per-client rate limit with Retry-After, bounded filter
// lists and query strings.
func TestServeExchangeLimits(t *testing.T) {
	base := strings.TrimRight(need(t, "INGESTD_ENGINE_URL"), "/")
	addr := startServe(t, base)
	for _, tt := range []struct {
		name, contentType, body string
		want                    int
	}{
		{"text/plain (item 8)", "text/plain", `{"query":"{ __typename }"}`, 415},
		{"64 KiB of unknown fields (item 1)", "application/json", `{"query":"{` + strings.Repeat("a ", 32_761)[:65_520] + `}"}`, 413},
		{"depth behind a CR comment (item 2)", "application/json", `{"query":"#\r` + strings.Repeat("{a", 3000) + strings.Repeat("}", 3000) + `"}`, 413},
		{"depth behind a CR comment, lines of 3 bytes", "application/json", `{"query":"#\r` + strings.Repeat(`{a\n`, 1500) + strings.Repeat("}", 1500) + `"}`, 400},
		{"accessToken aliases (item 4)", "application/json", `{"query":"{a0:accessToken(userPoolId:\"` + poolA + `\",secret:\"` + secretA + `\"){iat} a1:accessToken(userPoolId:\"` + poolA + `\",secret:\"` + secretA + `\"){iat}}"}`, 400},
	} {
		code, answer, _ := post(t, addr, tt.contentType, tt.body)
		if code != tt.want || len(answer) > 512 {
			t.Errorf("%s: %d, %d bytes: %.200s; want a short %d", tt.name, code, len(answer), answer, tt.want)
		}
	}
	// Five requests so far; the default burst is 10 per client.
	for i := 6; i <= 11; i++ {
		code, _, retry := post(t, addr, "application/json", `{"query":"{ __typename }"}`)
		if i <= 10 && code != 200 {
			t.Errorf("request %d within the burst: %d", i, code)
		}
		if i == 11 && (code != 429 || retry == "") {
			t.Errorf("request 11: %d, Retry-After %q; want 429 with Retry-After", code, retry)
		}
	}
	tok := token(t, poolA)
	if code, r := get(t, addr, "/api/v2/analysis/audit?operation_name="+strings.Repeat("x,", 101), tok, nil); code != 400 || !strings.Contains(r.Message, "100") {
		t.Errorf("101 values (item 7): %d %q", code, r.Message)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/api/v2/analysis/audit?operation_name="+strings.Repeat("a,", 490_000), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestURITooLong && res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("980 KB query string (item 7): %d, want 414 or 431", res.StatusCode)
	}
}

// TestServeRefusesSecretFiles: serve refuses key and pools files other
// users can read (naming the file and chmod 600) and pools hashed below
// bcrypt cost 10, before it connects to any engine (issue 9, items 5, 6).
func TestServeRefusesSecretFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), mode)
		os.Chmod(p, mode)
		return p
	}
	h10, _ := bcrypt.GenerateFromPassword([]byte(secretA), 10)
	h4, _ := bcrypt.GenerateFromPassword([]byte(secretA), 4)
	key := write("key", signKey, 0o600)
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"key 0644", []string{"--signing-key-file", write("key-open", signKey, 0o644)}, "chmod 600"},
		{"pools 0640", []string{"--signing-key-file", key, "--pools", write("pools-open.yaml", "pools:\n  "+poolA+": "+string(h10)+"\n", 0o640)}, "chmod 600"},
		{"pools cost 4", []string{"--signing-key-file", key, "--pools", write("pools-4.yaml", "pools:\n  "+poolA+": "+string(h4)+"\n", 0o600)}, "cost 4"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, bin, append([]string{"serve", "--listen", "127.0.0.1:0", "--es", "http://127.0.0.1:1"}, tt.args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		cancel()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%s: %v, stderr %q; want exit 2 with %q", tt.name, err, stderr.String(), tt.want)
		}
	}
}
