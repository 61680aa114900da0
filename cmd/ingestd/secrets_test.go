package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Issue 9, item 6: engine URLs with user-info are refused, pointing to
// where credentials go, and never echo the password.
func TestEngineURLUserInfoRefused(t *testing.T) {
	const url = "http://elastic:s3cretpw@127.0.0.1:9"
	hints := []string{"INGESTD_ES_USER", "INGESTD_ES_PASSWORD", "--es-password-file", "--es-api-key-file"}

	// replay --es: refused before any connection attempt (the old code
	// retried the unreachable engine until the deadline).
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := newRootCmd(ctx)
	var out, errb bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs([]string{"replay", "--host", "h", "--no-geoip", "--dlq", filepath.Join(t.TempDir(), "dlq"), "--es", url, td + "audit.2021-09-22.log"})
	done := make(chan error, 1)
	go func() { done <- cmd.Execute() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("replay did not refuse the URL with a password at once")
	}
	if err == nil {
		t.Fatal("replay accepted a URL with a password")
	}
	msg := err.Error() + errb.String()
	for _, h := range hints {
		if !strings.Contains(msg, h) {
			t.Errorf("replay error does not point to %s: %s", h, msg)
		}
	}
	if strings.Contains(msg, "s3cretpw") {
		t.Errorf("replay error shows the password: %s", msg)
	}

	// The daemon's config: output.urls is checked like the flag.
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("input:\n  dir: "+dir+"\nregistry:\n  path: "+dir+"/reg.json\noutput:\n  urls: ["+url+"]\n"), 0o600)
	_, stderr, err := runCmd(t, "check-config", cfg)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("check-config accepted output.urls with a password: %v %s", err, stderr)
	}
	if !strings.Contains(stderr, "output.urls") || strings.Contains(stderr, "s3cretpw") {
		t.Errorf("check-config: want output.urls without the password:\n%s", stderr)
	}
	for _, h := range hints {
		if !strings.Contains(stderr, h) {
			t.Errorf("check-config does not point to %s:\n%s", h, stderr)
		}
	}
}

// A password or API-key file that its group or others can read is used,
// with one warning naming the file and chmod 600; a 0600 file is quiet.
func TestSecretFileReadableWarning(t *testing.T) {
	var logs bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(old)

	dir := t.TempDir()
	for _, tt := range []struct {
		mode os.FileMode
		warn bool
	}{{0o644, true}, {0o640, true}, {0o604, true}, {0o600, false}, {0o400, false}} {
		logs.Reset()
		file := filepath.Join(dir, "pw-"+tt.mode.String())
		if err := os.WriteFile(file, []byte("s3cret\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(file, tt.mode); err != nil {
			t.Fatal(err)
		}
		v, err := secret("INGESTD_NO_SUCH_ENV", file)
		if err != nil || v != "s3cret" {
			t.Fatalf("%v: secret = %q, %v", tt.mode, v, err)
		}
		got := logs.String()
		if n := strings.Count(got, "\n"); tt.warn && (n != 1 || !strings.Contains(got, file) || !strings.Contains(got, "chmod 600") || !strings.Contains(got, "level=WARN")) {
			t.Errorf("%v: want one warning naming %s and chmod 600, got:\n%s", tt.mode, file, got)
		} else if !tt.warn && got != "" {
			t.Errorf("%v: unexpected log:\n%s", tt.mode, got)
		}
		if strings.Contains(got, "s3cret") {
			t.Errorf("%v: the secret is logged:\n%s", tt.mode, got)
		}
	}
}
