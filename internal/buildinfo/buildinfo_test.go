package buildinfo

import (
	"testing"
	"time"
)

func TestPseudoVersionTime(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want time.Time
	}{
		{"v0.0.0-20260529044130-17c35e68e58c", time.Date(2026, 5, 29, 4, 41, 30, 0, time.UTC)},
		{"v1.2.4-0.20240102030405-abcdefabcdef", time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"v1.2.3", time.Time{}},
		{"(devel)", time.Time{}},
		{"v0.0.0-notadate-abc", time.Time{}},
	} {
		if got := pseudoVersionTime(tc.v); !got.Equal(tc.want) {
			t.Errorf("%s: got %v, want %v", tc.v, got, tc.want)
		}
	}
}

func TestGetFillsEveryField(t *testing.T) {
	i := Get()
	if i.Version == "" || i.Commit == "" || i.GoVersion == "" || i.UAPVersion == "" {
		t.Fatalf("empty field in %+v", i)
	}
}
