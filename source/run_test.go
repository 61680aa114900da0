package source

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTailDirectoryWatchWarning: when the directory cannot be watched (a
// pattern spanning directories) Run says so and lists it every poll
// instead, still delivering the lines; when it can, it says nothing.
func TestTailDirectoryWatchWarning(t *testing.T) {
	t.Parallel()
	const warning = "cannot watch the directory"
	for _, spans := range []bool{false, true} {
		dir := t.TempDir()
		file, pattern := filepath.Join(dir, "audit.2021-09-22.log"), DefaultPattern
		if spans {
			if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
				t.Fatal(err)
			}
			file, pattern = filepath.Join(dir, "sub", "audit.2021-09-22.log"), filepath.Join("sub", DefaultPattern)
		}
		want := appendLines(t, create(t, file), "a", 0, 3)
		rec := newRecorder()
		h, logs := startHandler(t, TailConfig{Dir: dir, Pattern: pattern, PollInterval: 30 * time.Millisecond, RotateGrace: 300 * time.Millisecond}, rec, rec)
		equal(t, h.rec.waitFor(t, len(want)), want)
		h.stop()
		if got := strings.Contains(logs.String(), warning); got != spans {
			t.Errorf("pattern %q: warned %v, want %v:\n%s", pattern, got, spans, logs)
		}
	}
}
