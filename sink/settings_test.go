package sink

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A password or API-key file that its group or others can read is used,
// with one warning naming the file and chmod 600; a 0600 file is quiet.
func TestSecretFileReadableWarning(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))

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
		v, err := secret("INGESTD_NO_SUCH_ENV", file, log)
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
