package source

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIdentifyEdges: the fingerprint is the hash of the first line with
// its newline, of its first maxFingerprint bytes when it is longer (at
// exactly maxFingerprint bytes without a newline too), and there is none
// while the first line is shorter and unterminated; IdentifyPartial then
// hashes what there is, marked partial. Real audit lines where lines
// matter.
func TestIdentifyEdges(t *testing.T) {
	t.Parallel()
	line := auditLine(gen(30))
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return hex.EncodeToString(sum[:16])
	}
	long := strings.Repeat("x", maxFingerprint)
	for _, tt := range []struct {
		name, content, fp, partial string
	}{
		{"empty", "", "", ""},
		{"an audit line", line + "\n" + line + "\n", hash(line + "\n"), hash(line + "\n")},
		{"an empty first line", "\n" + line + "\n", hash("\n"), hash("\n")},
		{"unterminated", line, "", partialPrefix + hash(line)},
		{"one byte", "x", "", partialPrefix + hash("x")},
		{"one short of the bound, unterminated", long[1:], "", partialPrefix + hash(long[1:])},
		{"at the bound, unterminated", long, hash(long), hash(long)},
		{"past the bound", long + "yz\n", hash(long), hash(long)},
		{"newline just at the bound", long[1:] + "\n", hash(long[1:] + "\n"), hash(long[1:] + "\n")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := openContent(t, tt.content)
			st, _ := f.Stat()
			wantDev, wantIno := devIno(st)
			id, size, err := Identify(f)
			if err != nil || id.Fingerprint != tt.fp || size != int64(len(tt.content)) || id.Dev != wantDev || id.Ino != wantIno || wantIno == 0 {
				t.Errorf("Identify = %+v, %d, %v; want fingerprint %q, size %d, inode %d", id, size, err, tt.fp, len(tt.content), wantIno)
			}
			id, size, err = IdentifyPartial(f)
			if err != nil || id.Fingerprint != tt.partial || size != int64(len(tt.content)) || id.Ino != wantIno {
				t.Errorf("IdentifyPartial = %+v, %d, %v; want fingerprint %q, size %d", id, size, err, tt.partial, len(tt.content))
			}
		})
	}
	closed, err := os.Open(filepath.Join(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	dir, err := os.Open(t.TempDir()) // stat works, reading does not
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	for name, identify := range map[string]func(*os.File) (FileID, int64, error){"Identify": Identify, "IdentifyPartial": IdentifyPartial} {
		for what, f := range map[string]*os.File{"a closed file": closed, "a directory": dir} {
			if id, size, err := identify(f); err == nil || id != (FileID{}) || size != 0 {
				t.Errorf("%s of %s = %+v, %d, %v; want an error", name, what, id, size, err)
			}
		}
	}
}

// openContent writes content to a fresh file and opens it for reading;
// the file is closed when the test ends.
func openContent(t *testing.T, content string) *os.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
