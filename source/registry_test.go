package source

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestRegistryRoundTripAndFallback(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "reg", "registry.json")
	r, err := OpenRegistry(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	e1 := Entry{FileID: FileID{Dev: 1, Ino: 2, Fingerprint: "aa"}, Path: "/x/audit.2021-09-22.log", Offset: 100, Line: 3}
	r.Set(e1)
	if err := r.Save(); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	e1.Offset = 200
	r.Set(e1)
	if err := r.Save(); err != nil { // the first save becomes the backup
		t.Fatal(err)
	}
	load := func() (Entry, error) {
		r, err := OpenRegistry(path, nil)
		if err != nil {
			return Entry{}, err
		}
		e, _ := r.Lookup(e1.FileID)
		return e, nil
	}
	if e, err := load(); err != nil || e.Offset != 200 || e.Line != 3 {
		t.Fatalf("reload: %+v %v", e, err)
	}
	for name, content := range map[string]string{"empty": "", "truncated": `{"version":1,"files":[{"dev"`, "checksum": `{"version":1,"files":[],"checksum":"00"}`} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		e, err := load()
		if err != nil || e.Offset != 100 {
			t.Errorf("%s registry: got %+v %v, want the backup's offset 100", name, e, err)
		}
	}
	os.WriteFile(path+".bak", []byte("garbage"), 0o600)
	if _, err := load(); !errors.Is(err, ErrRegistryCorrupt) {
		t.Errorf("both copies corrupt: err = %v, want ErrRegistryCorrupt (never a silent restart)", err)
	}
}

func TestFileIDSame(t *testing.T) {
	t.Parallel()
	a := FileID{Dev: 1, Ino: 2, Fingerprint: "aa"}
	if !a.Same(FileID{Dev: 1, Ino: 2, Fingerprint: "aa"}) || !a.Same(FileID{Dev: 1, Ino: 2}) {
		t.Error("same file not recognised")
	}
	if a.Same(FileID{Dev: 1, Ino: 2, Fingerprint: "bb"}) || a.Same(FileID{Dev: 1, Ino: 3, Fingerprint: "aa"}) {
		t.Error("inode reuse or another inode taken for the same file")
	}
}

// TestRegistrySaveAfterBarrier: offsets are taken before the barrier (the
// dead-letter fsync) runs, and written only when it succeeds, so a committed
// offset never covers a dead letter that is not yet on disk.
func TestRegistrySaveAfterBarrier(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "registry.json")
	r, err := OpenRegistry(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := Entry{FileID: FileID{Dev: 1, Ino: 2, Fingerprint: "aa"}, Path: "/x/audit.2021-09-22.log", Offset: 100}
	r.Set(e)
	if err := r.SaveAfter(func() error { return errors.New("disk full") }); err == nil {
		t.Fatal("SaveAfter reported success although the barrier failed")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("registry written although the barrier failed: %v", err)
	}
	// An ack arriving while the barrier runs is not part of this save.
	err = r.SaveAfter(func() error {
		e.Offset = 300
		r.Set(e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := OpenRegistry(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := r2.Lookup(e.FileID); got.Offset != 100 {
		t.Errorf("saved offset %d, want 100 (the snapshot taken before the barrier)", got.Offset)
	}
	if err := r.Save(); err != nil { // still dirty: the later offset follows
		t.Fatal(err)
	}
	r3, _ := OpenRegistry(path, nil)
	if got, _ := r3.Lookup(e.FileID); got.Offset != 300 {
		t.Errorf("next save wrote offset %d, want 300", got.Offset)
	}
}

// TestRegistryFirstStart: only a registry that never existed is a first
// start; one emptied by pruning is not (start_at: end must not skip the
// files that appear while ingestd is stopped).
func TestRegistryFirstStart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "registry.json")
	r, err := OpenRegistry(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r.FirstStart() {
		t.Fatal("a missing registry is not reported as the first start")
	}
	if err := r.Save(); err != nil { // saved although empty
		t.Fatal(err)
	}
	r2, err := OpenRegistry(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r2.FirstStart() || len(r2.Entries()) != 0 {
		t.Errorf("empty saved registry: FirstStart %v, %d entries", r2.FirstStart(), len(r2.Entries()))
	}
}
