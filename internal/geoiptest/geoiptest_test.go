package geoiptest

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the committed test database")

// TestCommittedDatabaseIsCurrent keeps testdata's database equal to Build's
// output; run with -update after changing places.
func TestCommittedDatabaseIsCurrent(t *testing.T) {
	want, err := Build()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", Path)
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/geoiptest -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run go test ./internal/geoiptest -update", Path)
	}
}
