package source

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestTailConfigProblems: each setting at the edge of what is accepted,
// and one past it.
func TestTailConfigProblems(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	good := TailConfig{Dir: dir, Pattern: DefaultPattern, MaxLine: MinMaxLine, PollInterval: time.Nanosecond}
	for _, tt := range []struct {
		name string
		edit func(*TailConfig)
		want []string // the keys of the problems
	}{
		{"the smallest valid settings", func(*TailConfig) {}, nil},
		{"missing dir", func(c *TailConfig) { c.Dir = filepath.Join(dir, "missing") }, []string{"dir"}},
		{"dir is a file", func(c *TailConfig) { c.Dir = file }, []string{"dir"}},
		{"empty pattern", func(c *TailConfig) { c.Pattern = "" }, []string{"pattern"}},
		{"bad pattern", func(c *TailConfig) { c.Pattern = "audit.[.log" }, []string{"pattern"}},
		{"max_line one short", func(c *TailConfig) { c.MaxLine = MinMaxLine - 1 }, []string{"max_line"}},
		{"poll_interval zero", func(c *TailConfig) { c.PollInterval = 0 }, []string{"poll_interval"}},
		{"rotate_grace negative", func(c *TailConfig) { c.RotateGrace = -1 }, []string{"rotate_grace"}},
		{"rotate_grace zero", func(c *TailConfig) { c.RotateGrace = 0 }, nil},
		{"ignore_older negative", func(c *TailConfig) { c.IgnoreOlder = -1 }, []string{"ignore_older"}},
		{"ignore_older equal to rotate_grace", func(c *TailConfig) { c.RotateGrace, c.IgnoreOlder = time.Minute, time.Minute }, []string{"ignore_older"}},
		{"ignore_older just over rotate_grace", func(c *TailConfig) { c.RotateGrace, c.IgnoreOlder = time.Minute, time.Minute+1 }, nil},
		{"everything wrong", func(c *TailConfig) {
			*c = TailConfig{Dir: file, Pattern: "[", MaxLine: 1, PollInterval: -1, RotateGrace: -2, IgnoreOlder: -3}
		}, []string{"dir", "pattern", "max_line", "poll_interval", "rotate_grace", "ignore_older"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.edit(&c)
			var keys []string
			for _, p := range c.Problems() {
				k, _, ok := strings.Cut(p, ": ")
				if !ok {
					t.Errorf("problem %q is not key: message", p)
				}
				keys = append(keys, k)
			}
			if !reflect.DeepEqual(keys, tt.want) {
				t.Errorf("problems %q, want keys %q", c.Problems(), tt.want)
			}
		})
	}
}

// TestNewTailerRefuses: no registry, a bad pattern, a negative
// ignore_older; and the defaults applied to zero values.
func TestNewTailerRefuses(t *testing.T) {
	t.Parallel()
	reg := newRegistry(t)
	for name, cfg := range map[string]TailConfig{
		"no registry":          {Dir: t.TempDir()},
		"bad pattern":          {Dir: t.TempDir(), Registry: reg, Pattern: "["},
		"negative ignoreOlder": {Dir: t.TempDir(), Registry: reg, IgnoreOlder: -time.Nanosecond},
	} {
		if tl, err := NewTailer(cfg); err == nil || tl != nil {
			t.Errorf("%s: NewTailer = %v, %v; want an error", name, tl, err)
		}
	}
	tl, err := NewTailer(TailConfig{Dir: t.TempDir(), Registry: reg, IgnoreOlder: 0})
	if err != nil {
		t.Fatal(err)
	}
	if c := tl.cfg; c.Pattern != DefaultPattern || c.PollInterval != DefaultPollInterval || c.RotateGrace != DefaultRotateGrace || c.Logger == nil {
		t.Errorf("defaults not applied: %+v", c)
	}
}

// TestOpenCounting: the bytes read from disk are counted (the compressed
// ones for an archive); a directory is refused.
func TestOpenCounting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.2021-09-22.log")
	content := strings.Repeat(auditLine(gen(33))+"\n", 3)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	f, err := OpenCounting(path, &n)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 10)
	if _, err := f.Read(b); err != nil || string(b) != content[:10] {
		t.Fatalf("read %q, %v", b, err)
	}
	if got := n.Load(); got != int64(len(content)) || f.Size != int64(len(content)) || f.Compressed {
		t.Errorf("counted %d, size %d, compressed %v; want %d (buffered whole), %d, false", got, f.Size, f.Compressed, len(content), len(content))
	}
	if err := f.Close(); err != nil {
		t.Error(err)
	}
	if f, err := Open(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("Open(dir) = %v, %v; want an error", f, err)
	}
	if f, err := Open(filepath.Join(dir, "missing")); err == nil {
		t.Errorf("Open(missing) = %v, nil; want an error", f)
	}
}
