package source

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Tests of issue 15 for registry.go: the file's format and order, the
// bookkeeping of entries (count, duplicates, forgetting), when a save
// writes, and which copy becomes the backup.

func openReg(t *testing.T, path string) *Registry {
	t.Helper()
	r, err := OpenRegistry(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func entry(ino uint64, fp, path string, off int64) Entry {
	return Entry{FileID: FileID{Dev: 1, Ino: ino, Fingerprint: fp}, Path: path, Offset: off, Line: off / 10}
}

// paths returns the paths of the entries of the registry file, in the
// file's order, and checks it is one entry per line.
func filePaths(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if lines[0] != `{"version":1,"files":[` || !strings.HasPrefix(lines[len(lines)-1], `],"checksum":"`) {
		t.Fatalf("registry file:\n%s", b)
	}
	var out []string
	for i, l := range lines[1 : len(lines)-1] {
		if last := i == len(lines)-3; strings.HasSuffix(l, ",") == last {
			t.Fatalf("line %d %q: a comma after every entry but the last", i+1, l)
		}
		var e Entry
		if err := json.Unmarshal([]byte(strings.TrimSuffix(l, ",")), &e); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		out = append(out, e.Path)
	}
	return out
}

// TestRegistryFileOrder: saved entries are listed one per line by path,
// for any number of entries (the checksum covers them all), also after an
// entry's path changed (a rename) and after entries were forgotten.
func TestRegistryFileOrder(t *testing.T) {
	t.Parallel()
	for n := range 4 {
		t.Run(fmt.Sprint(n, " entries"), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "registry.json")
			r := openReg(t, path)
			var want []string
			for i := n; i > 0; i-- { // set in reverse order
				p := fmt.Sprintf("/x/audit.2021-09-%02d.log", 20+i)
				r.Set(entry(uint64(i), "fp", p, int64(100*i)))
				want = append([]string{p}, want...)
			}
			if err := r.Save(); err != nil {
				t.Fatal(err)
			}
			if got := filePaths(t, path); !reflect.DeepEqual(got, want) && n > 0 {
				t.Errorf("file order %q, want %q", got, want)
			}
			r2 := openReg(t, path)
			if !reflect.DeepEqual(r2.Entries(), r.Entries()) || r2.Len() != n {
				t.Errorf("reloaded %+v (%d), want %+v", r2.Entries(), r2.Len(), r.Entries())
			}
		})
	}
	path := filepath.Join(t.TempDir(), "registry.json")
	r := openReg(t, path)
	r.Set(entry(1, "a", "/x/audit.2021-09-21.log", 10))
	r.Set(entry(2, "b", "/x/audit.2021-09-22.log", 20))
	r.Set(entry(3, "c", "/x/audit.2021-09-23.log", 30))
	if err := r.Save(); err != nil {
		t.Fatal(err)
	}
	r.Set(entry(1, "a", "/x/audit.2021-09-24.log", 10)) // renamed: now last
	if err := r.Save(); err != nil {
		t.Fatal(err)
	}
	if got, want := filePaths(t, path), []string{"/x/audit.2021-09-22.log", "/x/audit.2021-09-23.log", "/x/audit.2021-09-24.log"}; !reflect.DeepEqual(got, want) {
		t.Errorf("after a rename: file order %q, want %q", got, want)
	}
	r.Set(entry(2, "b", "/x/audit.2021-09-22.log", 25)) // same path: the order holds, the offset changes
	if err := r.Save(); err != nil {
		t.Fatal(err)
	}
	if e, _ := openReg(t, path).Lookup(FileID{Dev: 1, Ino: 2, Fingerprint: "b"}); e.Offset != 25 {
		t.Errorf("an entry changed in place saved at %d, want 25", e.Offset)
	}
	if n := r.Forget(func(e Entry) bool { return e.Ino != 3 }); n != 1 {
		t.Errorf("Forget = %d, want 1", n)
	}
	if err := r.Save(); err != nil {
		t.Fatal(err)
	}
	if got, want := filePaths(t, path), []string{"/x/audit.2021-09-22.log", "/x/audit.2021-09-24.log"}; !reflect.DeepEqual(got, want) {
		t.Errorf("after Forget: file order %q, want %q", got, want)
	}
}

// TestRegistryEntries: entries of one inode (inode reuse) are told apart
// by fingerprint; an entry without a fingerprint matches either, and
// setting it merges them into one; Forget drops some or all of an inode's
// entries and counts them; Len follows.
func TestRegistryEntries(t *testing.T) {
	t.Parallel()
	r := openReg(t, filepath.Join(t.TempDir(), "registry.json"))
	r.Set(entry(5, "aa", "/x/a", 10))
	r.Set(entry(5, "bb", "/x/b", 20))
	r.Set(entry(6, "cc", "/x/c", 30))
	if r.Len() != 3 {
		t.Fatalf("Len = %d, want 3", r.Len())
	}
	for fp, off := range map[string]int64{"aa": 10, "bb": 20} {
		if e, ok := r.Lookup(FileID{Dev: 1, Ino: 5, Fingerprint: fp}); !ok || e.Offset != off {
			t.Errorf("Lookup(%s) = %+v, %v; want offset %d", fp, e, ok, off)
		}
	}
	if _, ok := r.Lookup(FileID{Dev: 1, Ino: 5, Fingerprint: "zz"}); ok {
		t.Error("Lookup of a third file of the inode found one")
	}
	if _, ok := r.Lookup(FileID{Dev: 2, Ino: 5, Fingerprint: "aa"}); ok {
		t.Error("Lookup on another device found one")
	}
	r.Set(entry(5, "bb", "/x/b", 25)) // the second of the inode, set again: still two
	if e, _ := r.Lookup(FileID{Dev: 1, Ino: 5, Fingerprint: "bb"}); e.Offset != 25 || r.Len() != 3 {
		t.Errorf("set again: %+v, Len %d; want offset 25, 3", e, r.Len())
	}
	r.Set(entry(5, "", "/x/a", 40)) // matches both: one entry left
	if r.Len() != 2 {
		t.Errorf("after merging: Len = %d, want 2; entries %+v", r.Len(), r.Entries())
	}
	got := r.Entries()
	if len(got) != 2 || got[0].Path != "/x/a" || got[0].Offset != 40 || got[1].Path != "/x/c" {
		t.Errorf("entries %+v, want /x/a at 40 and /x/c", got)
	}
	r.Set(entry(7, "dd", "/x/d", 1))
	r.Set(entry(7, "ee", "/x/e", 2))
	if n := r.Forget(func(e Entry) bool { return e.Fingerprint != "dd" }); n != 1 || r.Len() != 3 {
		t.Errorf("Forget one of an inode's two: %d, Len %d; want 1, 3", n, r.Len())
	}
	if _, ok := r.Lookup(FileID{Dev: 1, Ino: 7, Fingerprint: "ee"}); !ok {
		t.Error("Forget dropped the other entry of the inode")
	}
	if n := r.Forget(func(Entry) bool { return true }); n != 0 || r.Len() != 3 {
		t.Errorf("Forget nothing: %d, Len %d; want 0, 3", n, r.Len())
	}
	if n := r.Forget(func(Entry) bool { return false }); n != 3 || r.Len() != 0 || len(r.Entries()) != 0 {
		t.Errorf("Forget all: %d, Len %d; want 3, 0", n, r.Len())
	}
}

// TestRegistrySavesOnlyChanges: a save writes only when something changed
// (Set, Forget dropping entries, a failed save); SaveAfter's barrier runs
// only when there is something to write.
func TestRegistrySavesOnlyChanges(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "registry.json")
	r := openReg(t, path)
	r.Set(entry(1, "a", "/x/a", 10))
	if err := r.Save(); err != nil {
		t.Fatal(err)
	}
	inode := func() uint64 {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		_, ino := devIno(st)
		return ino
	}
	written := func(what string, want bool, save func() error) {
		t.Helper()
		before := inode()
		if err := save(); err != nil {
			t.Fatal(err)
		}
		if got := inode() != before; got != want {
			t.Errorf("%s: written %v, want %v", what, got, want)
		}
	}
	barrier := 0
	written("nothing changed", false, func() error { return r.SaveAfter(func() error { barrier++; return nil }) })
	if barrier != 0 {
		t.Error("the barrier ran for a save with nothing to write")
	}
	r.Forget(func(Entry) bool { return true })
	written("Forget dropped nothing", false, r.Save)
	r.Set(entry(1, "a", "/x/a", 20))
	written("an offset changed", true, func() error { return r.SaveAfter(func() error { barrier++; return nil }) })
	if barrier != 1 {
		t.Errorf("the barrier ran %d times, want once", barrier)
	}
	r.Set(entry(2, "b", "/x/b", 20))
	r.Forget(func(e Entry) bool { return e.Ino != 2 })
	written("Forget dropped one", true, r.Save)
	r.Set(entry(3, "c", "/x/c", 30))
	// The backup cannot be made (a non-empty directory is in its way):
	// the save fails, and the next one writes what it could not.
	os.Remove(path + ".bak")
	if err := os.MkdirAll(filepath.Join(path+".bak", "in the way"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := r.Save(); err == nil {
		t.Error("a save that could not keep the backup succeeded")
	}
	if err := os.RemoveAll(path + ".bak"); err != nil {
		t.Fatal(err)
	}
	written("after a failed save", true, r.Save)
	if e, ok := openReg(t, path).Lookup(FileID{Dev: 1, Ino: 3, Fingerprint: "c"}); !ok || e.Offset != 30 {
		t.Errorf("saved %+v, %v; want offset 30", e, ok)
	}
}

// TestRegistryBackup: the registry file ingestd wrote becomes the backup
// at the next save; one changed behind its back is kept as the backup
// only if it is a valid registry; a registry missing while its backup
// exists is read from the backup (and is not a first start).
func TestRegistryBackup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "registry.json")
	r := openReg(t, path)
	r.Set(entry(1, "a", "/x/a", 10))
	if err := r.Save(); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(path)
	r.Set(entry(1, "a", "/x/a", 20))
	if err := r.Save(); err != nil {
		t.Fatal(err)
	}
	if bak, _ := os.ReadFile(path + ".bak"); !bytes.Equal(bak, first) {
		t.Errorf("backup %q, want the previous save %q", bak, first)
	}

	// Another valid registry put in place (restored by hand): kept.
	other := openReg(t, filepath.Join(dir, "other", "registry.json"))
	other.Set(entry(9, "z", "/x/z", 90))
	if err := other.Save(); err != nil {
		t.Fatal(err)
	}
	restored, _ := os.ReadFile(filepath.Join(dir, "other", "registry.json"))
	if err := os.WriteFile(path, restored, 0o600); err != nil {
		t.Fatal(err)
	}
	r.Set(entry(1, "a", "/x/a", 30))
	if err := r.Save(); err != nil {
		t.Fatal(err)
	}
	if bak, _ := os.ReadFile(path + ".bak"); !bytes.Equal(bak, restored) {
		t.Errorf("backup %q, want the valid registry put in place %q", bak, restored)
	}
	// Garbage put in place: not kept, the backup stays.
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.Set(entry(1, "a", "/x/a", 40))
	if err := r.Save(); err != nil {
		t.Fatal(err)
	}
	if bak, _ := os.ReadFile(path + ".bak"); !bytes.Equal(bak, restored) {
		t.Errorf("backup %q, want still %q (garbage is no backup)", bak, restored)
	}

	// Registry gone, backup there: read from the backup.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	r2 := openReg(t, path)
	if e, ok := r2.Lookup(FileID{Dev: 1, Ino: 9, Fingerprint: "z"}); !ok || e.Offset != 90 || r2.FirstStart() {
		t.Errorf("from the backup: %+v, %v, first start %v; want offset 90, not a first start", e, ok, r2.FirstStart())
	}
}

// TestRegistryRefusesVersion: a registry of another version (valid
// checksum) is not read; its backup is.
func TestRegistryRefusesVersion(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "registry.json")
	r := openReg(t, path)
	r.Set(entry(1, "a", "/x/a", 10))
	if err := r.Save(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path+".bak", b, 0o600); err != nil {
		t.Fatal(err)
	}
	v2 := bytes.Replace(b, []byte(`"version":1`), []byte(`"version":2`), 1)
	if err := os.WriteFile(path, v2, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readRegistry(path); err == nil || !strings.Contains(err.Error(), "unknown version 2") {
		t.Errorf("version 2: %v, want unknown version", err)
	}
	if e, ok := openReg(t, path).Lookup(FileID{Dev: 1, Ino: 1, Fingerprint: "a"}); !ok || e.Offset != 10 {
		t.Errorf("from the backup: %+v, %v", e, ok)
	}
	if _, err := OpenRegistry(filepath.Join(path, "sub", "registry.json"), nil); err == nil {
		t.Error("a registry under a file: no error")
	}
}

// TestRegistrySaveFailsIntoDirectory: when the new registry file cannot
// replace the old one (a directory is in its place), Save says so.
func TestRegistrySaveFailsIntoDirectory(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "registry.json")
	r := openReg(t, path)
	r.Set(entry(1, "a", "/x/a", 10))
	if err := os.MkdirAll(filepath.Join(path, "in the way"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := r.Save(); err == nil {
		t.Fatal("Save over a directory succeeded")
	}
	if err := os.RemoveAll(path); err != nil {
		t.Fatal(err)
	}
	if err := r.Save(); err != nil { // still dirty: written now
		t.Fatal(err)
	}
	if e, ok := openReg(t, path).Lookup(FileID{Dev: 1, Ino: 1, Fingerprint: "a"}); !ok || e.Offset != 10 {
		t.Errorf("saved %+v, %v", e, ok)
	}
}
