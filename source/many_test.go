package source

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestDateInName(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		want string // "" for none
	}{
		{"audit.2021-09-22.log", "2021-09-22"},
		{"audit.2021.09.22.log", "2021-09-22"},
		{"audit_20210922.log", "2021-09-22"},
		{"/var/log/2019-12-31/audit.log", ""}, // only the name counts
		{"audit.2021-09-22.log.1", "2021-09-22"},
		{"audit.2021-0922.log", ""}, // mixed separators
		{"audit.2021-13-01.log", ""},
		{"audit.2021-02-30.log", ""}, // no such day
		{"audit.120210922.log", ""},  // part of a longer number
		{"audit.log", ""},
	} {
		d, ok := dateInName(c.name)
		got := ""
		if ok {
			got = d.Format("2006-01-02")
		}
		if got != c.want {
			t.Errorf("dateInName(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}

func setMtime(t *testing.T, path string, mt time.Time) {
	t.Helper()
	if err := os.Chtimes(path, mt, mt); err != nil {
		t.Fatal(err)
	}
}

// TestTailIgnoreOlder: files modified before ignore_older, or whose name's
// date is that old, are not read, are counted, and their registry entries
// (a done one from an earlier run) are dropped; newer files are read.
func TestTailIgnoreOlder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	g := gen(20)
	today := time.Now().UTC().Format("2006-01-02")
	old := filepath.Join(dir, "audit.2021-09-20.log")
	done := filepath.Join(dir, "audit.2021-09-21.log")
	copied := filepath.Join(dir, "audit.2021-09-22.log") // restored from an archive: a fresh mtime
	young := filepath.Join(dir, "audit."+today+".log")
	writeAudit(t, create(t, old), g, 5)
	writeAudit(t, create(t, done), g, 5)
	writeAudit(t, create(t, copied), g, 5)
	want := writeAudit(t, create(t, young), g, 7)
	weekAgo := time.Now().Add(-7 * 24 * time.Hour)
	setMtime(t, old, weekAgo)
	setMtime(t, done, weekAgo)
	reg := newRegistry(t)
	f, _ := os.Open(done)
	id, size, err := Identify(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	reg.Set(Entry{FileID: id, Path: done, Offset: size, Done: true})
	h := startTailerCfg(t, TailConfig{Dir: dir, Registry: reg, PollInterval: 30 * time.Millisecond,
		RotateGrace: 200 * time.Millisecond, IgnoreOlder: 48 * time.Hour})
	equal(t, h.rec.waitFor(t, len(want)), want)
	h.stop()
	if n := h.tl.IgnoredOlder(); n != 3 {
		t.Errorf("IgnoredOlder = %d, want 3", n)
	}
	if e := reg.Entries(); len(e) != 1 || e[0].Path != young {
		t.Errorf("registry holds %+v, want only %s", e, young)
	}
}

// TestTailIgnoreOlderHalfRead: a file half read when ingestd stops, which
// is older than ignore_older at the next start (ingestd was down for
// long), is finished — its remaining lines read, before the newer file —
// not abandoned.
func TestTailIgnoreOlderHalfRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	g := gen(21)
	p22 := filepath.Join(dir, "audit."+time.Now().UTC().AddDate(0, 0, -1).Format("2006-01-02")+".log")
	d22 := create(t, p22)
	first := writeAudit(t, d22, g, 10)
	reg := newRegistry(t)
	cfg := TailConfig{Dir: dir, Registry: reg, PollInterval: 30 * time.Millisecond, RotateGrace: 200 * time.Millisecond, IgnoreOlder: 48 * time.Hour}
	h := startTailerCfg(t, cfg)
	equal(t, h.rec.waitFor(t, 10), first)
	h.stop()

	rest := writeAudit(t, d22, g, 6)
	setMtime(t, p22, time.Now().Add(-30*24*time.Hour))
	newer := writeAudit(t, create(t, filepath.Join(dir, "audit."+time.Now().UTC().Format("2006-01-02")+".log")), g, 4)
	cfg.Registry = reopen(t, reg)
	h2 := startTailerCfg(t, cfg)
	equal(t, h2.rec.waitFor(t, len(rest)+len(newer)), append(rest, newer...))
	h2.stop()
	if n := h2.tl.IgnoredOlder(); n != 0 {
		t.Errorf("IgnoredOlder = %d, want 0", n)
	}
	st, _ := d22.Stat()
	if e, ok := cfg.Registry.Lookup(h2.tl.Files()[0].ID); !ok || !e.Done || e.Offset != st.Size() {
		t.Errorf("the half-read file's entry: %+v, want done at %d", e, st.Size())
	}
}

// TestTailStartAtEndIgnoreOlder: on the first start with start_at end,
// files older than ignore_older are not registered at their end; younger
// ones are.
func TestTailStartAtEndIgnoreOlder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	g := gen(22)
	old := filepath.Join(dir, "audit.2021-09-22.log")
	writeAudit(t, create(t, old), g, 3)
	setMtime(t, old, time.Now().Add(-10*24*time.Hour))
	young := create(t, filepath.Join(dir, "audit."+time.Now().UTC().Format("2006-01-02")+".log"))
	writeAudit(t, young, g, 3)
	reg := newRegistry(t)
	h := startTailerCfg(t, TailConfig{Dir: dir, Registry: reg, StartAtEnd: true, PollInterval: 30 * time.Millisecond,
		RotateGrace: 200 * time.Millisecond, IgnoreOlder: 24 * time.Hour})
	waitUntil(t, "the young file registered", func() bool { return len(reg.Entries()) == 1 })
	want := writeAudit(t, young, g, 2)
	equal(t, h.rec.waitFor(t, 2), want)
	h.stop()
	if e := reg.Entries(); len(e) != 1 || e[0].Path == old {
		t.Errorf("registry %+v, want the young file only", e)
	}
}

// TestTailForgetsRemovedFiles: a finished file deleted from disk leaves
// the registry (and Files) while ingestd follows the newest file.
func TestTailForgetsRemovedFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	g := gen(23)
	p21, p22 := filepath.Join(dir, "audit.2021-09-21.log"), filepath.Join(dir, "audit.2021-09-22.log")
	want := writeAudit(t, create(t, p21), g, 3)
	want = append(want, writeAudit(t, create(t, p22), g, 3)...)
	reg := newRegistry(t)
	h := startTailerCfg(t, TailConfig{Dir: dir, Registry: reg, PollInterval: 30 * time.Millisecond, RotateGrace: 100 * time.Millisecond})
	equal(t, h.rec.waitFor(t, len(want)), want)
	waitUntil(t, "two entries", func() bool { return len(reg.Entries()) == 2 })
	if err := os.Remove(p21); err != nil {
		t.Fatal(err)
	}
	// While the newest file is followed (no new day, no new lines).
	waitUntil(t, "the deleted file forgotten", func() bool {
		e := reg.Entries()
		return len(e) == 1 && e[0].Path == p22
	})
	for _, f := range h.tl.Files() {
		if f.Path == p21 {
			t.Errorf("Files still holds the deleted %s", p21)
		}
	}
	h.stop()
}

// TestTailIdentifiesOncePerChange: after the catch-up of many files, idle
// listings do not open and identify unchanged files again; each file is
// identified a bounded number of times, whatever the number of files.
func TestTailIdentifiesOncePerChange(t *testing.T) {
	t.Parallel()
	for _, poll := range []bool{false, true} {
		dir := t.TempDir()
		const n = 200
		lines := writeDayFiles(t, dir, n, 2)
		h := startTailerCfg(t, TailConfig{Dir: dir, Registry: newRegistry(t), PollInterval: 20 * time.Millisecond,
			RotateGrace: 100 * time.Millisecond, Poll: poll})
		h.rec.waitFor(t, lines)
		after := h.tl.identified.Load()
		time.Sleep(300 * time.Millisecond) // 15 poll intervals
		idle := h.tl.identified.Load() - after
		h.stop()
		if after > 2*n || idle != 0 {
			t.Errorf("poll=%v: %d identifications for the catch-up of %d files (want at most %d), %d more while idle (want 0)",
				poll, after, n, 2*n, idle)
		}
	}
}

// TestTailRotationPolling: without inotify (input.poll), the directory is
// listed every poll interval and settled files are stat'ed only now and
// then: a day's file renamed away and replaced under its name, and a new
// day, are still read in order, nothing lost.
func TestTailRotationPolling(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	g := gen(24)
	path := filepath.Join(dir, "audit.2021-09-22.log")
	old := create(t, path)
	want := writeAudit(t, old, g, 20)
	h := startTailerCfg(t, TailConfig{Dir: dir, Registry: newRegistry(t), PollInterval: 30 * time.Millisecond,
		RotateGrace: 200 * time.Millisecond, Poll: true})
	equal(t, h.rec.waitFor(t, len(want)), want)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	want = append(want, writeAudit(t, old, g, 5)...) // written after the rename
	time.Sleep(100 * time.Millisecond)
	want = append(want, writeAudit(t, create(t, path), g, 7)...)
	equal(t, h.rec.waitFor(t, len(want)), want)
	want = append(want, writeAudit(t, create(t, filepath.Join(dir, "audit.2021-09-23.log")), g, 4)...)
	equal(t, h.rec.waitFor(t, len(want)), want)
	h.stop()
}
