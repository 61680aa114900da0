package source

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestExpandInputs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, n := range []string{"audit.2021-09-21.log", "audit.2021-09-22.log.gz", "audit.2021-09-23.log", "audit.log", "other.2021-09-22.log"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	os.Mkdir(filepath.Join(dir, "audit.sub"), 0o700)
	os.Symlink(filepath.Join(dir, "audit.2021-09-21.log"), filepath.Join(dir, "audit.link"))
	p := func(names ...string) []string {
		for i, n := range names {
			names[i] = filepath.Join(dir, n)
		}
		return names
	}
	for _, tt := range []struct {
		name     string
		args     []string
		from, to string
		want     []string
		skipped  int
	}{
		{"directory by pattern, links followed, subdirectories not", []string{dir}, "", "",
			p("audit.2021-09-21.log", "audit.2021-09-22.log.gz", "audit.2021-09-23.log", "audit.link", "audit.log"), 0},
		{"date range skips files without a date", []string{dir}, "2021-09-22", "", p("audit.2021-09-22.log.gz", "audit.2021-09-23.log"), 3},
		{"both bounds", []string{dir}, "2021-09-22", "2021-09-22", p("audit.2021-09-22.log.gz"), 4},
		{"glob, sorted, deduplicated", []string{filepath.Join(dir, "*2021-09-2[31]*"), filepath.Join(dir, "audit.2021-09-21.log")}, "", "",
			p("audit.2021-09-21.log", "audit.2021-09-23.log"), 0},
		{"a missing file is kept for the run to report", []string{filepath.Join(dir, "missing.log")}, "", "", p("missing.log"), 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseDateRange(tt.from, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			got, skipped, err := ExpandInputs(tt.args, "audit.*", r)
			if err != nil || !reflect.DeepEqual(got, tt.want) || skipped != tt.skipped {
				t.Errorf("got %v skipped %d err %v\nwant %v skipped %d", got, skipped, err, tt.want, tt.skipped)
			}
		})
	}
}

func TestParseDateRange(t *testing.T) {
	t.Parallel()
	_, err := ParseDateRange("2021-9-1", "tomorrow")
	if err == nil || !strings.Contains(err.Error(), `--from "2021-9-1": want YYYY-MM-DD`) || !strings.Contains(err.Error(), `--to "tomorrow"`) {
		t.Errorf("err = %v", err)
	}
	if _, err := ParseDateRange("", "2021-09-22"); err != nil {
		t.Error(err)
	}
}

// TestDocPath: with a directory, DIR/NAME without .gz; without, the file's
// absolute path.
func TestDocPath(t *testing.T) {
	t.Parallel()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ file, dir, want string }{
		{"/archive/audit.2021-09-22.log.gz", "/var/log/authing", "/var/log/authing/audit.2021-09-22.log"},
		{"/archive/audit.2021-09-22.log", "/var/log/authing", "/var/log/authing/audit.2021-09-22.log"},
		{"/archive/audit.2021-09-22.log.gz", "", "/archive/audit.2021-09-22.log.gz"},
		{"audit.2021-09-22.log", "", filepath.Join(wd, "audit.2021-09-22.log")},
	} {
		if got := DocPath(tt.file, tt.dir); got != tt.want {
			t.Errorf("DocPath(%q, %q) = %q, want %q", tt.file, tt.dir, got, tt.want)
		}
	}
}
