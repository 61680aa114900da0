package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ingestd/ingestd/internal/exitcode"
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
	var ee *exitcode.Error
	if !errors.As(err, &ee) || ee.Code != 1 {
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
