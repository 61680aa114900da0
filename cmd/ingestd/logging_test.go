package main

import (
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/ingestd/ingestd/internal/exitcode"
)

func TestLogFlags(t *testing.T) {
	for _, tc := range []struct {
		format, level string
		wantErr       string
		json          bool
		debug         bool
	}{
		{format: "text", level: "info"},
		{format: "json", level: "debug", json: true, debug: true},
		{format: "JSON", level: "warn", json: true},
		{format: "xml", level: "info", wantErr: `--log-format "xml"`},
		{format: "text", level: "loud", wantErr: `--log-level "loud"`},
	} {
		l := logFlags{format: tc.format, level: tc.level}
		h, err := l.handler()
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%+v: err %v, want %q", tc, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%+v: %v", tc, err)
		}
		if _, isJSON := h.(*slog.JSONHandler); isJSON != tc.json {
			t.Errorf("%+v: handler %T", tc, h)
		}
		if got := h.Enabled(t.Context(), slog.LevelDebug); got != tc.debug {
			t.Errorf("%+v: debug enabled %v", tc, got)
		}
	}
}

// TestLogFlagsEveryCommand: the flags are accepted by every command, and a
// bad value is a usage error (exit status 2).
func TestLogFlagsEveryCommand(t *testing.T) {
	out, _, err := runCmd(t, "version", "--log-format", "json", "--log-level", "warn")
	if err != nil || !strings.HasPrefix(out, "ingestd ") {
		t.Fatalf("version with log flags: %v %q", err, out)
	}
	_, _, err = runCmd(t, "check-config", "--log-format", "yaml", "x.yaml")
	var ee *exitcode.Error
	if err == nil || !strings.Contains(err.Error(), "--log-format") || !errors.As(err, &ee) || ee.Code != 2 {
		t.Fatalf("bad --log-format: %v", err)
	}
	t.Cleanup(func() { runCmd(t, "version", "--log-format", "text", "--log-level", "info") })
}
