package enrich

import (
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"testing"
)

func TestAppendString(t *testing.T) {
	tests := []struct {
		in, want string
		bad      bool
	}{
		{"plain", `"plain"`, false},
		{`q"b\`, `"q\"b\\"`, false},
		{"tab\tnl\ncr\rnul\x00", `"tab\tnl\ncr\rnul\u0000"`, false},
		{"创建「 x 」", `"创建「 x 」"`, false},
		{"bad\xff\xfeend", `"bad\ufffd\ufffdend"`, true},
		{"cut\xe5\x88", `"cut\ufffd\ufffd"`, true},
		{"ls\u2028", `"ls\u2028"`, false},
	}
	for _, tt := range tests {
		got, bad := appendString(nil, []byte(tt.in))
		if string(got) != tt.want || bad != tt.bad {
			t.Errorf("appendString(%q) = %s %v, want %s %v", tt.in, got, bad, tt.want, tt.bad)
		}
		if !json.Valid(got) {
			t.Errorf("appendString(%q) = %s is not valid JSON", tt.in, got)
		}
		gotS := appendStr(nil, tt.in)
		if string(gotS) != string(got) {
			t.Errorf("string and []byte forms differ: %s vs %s", gotS, got)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("a\"b\xff\u2028")
	f.Fuzz(func(t *testing.T, s string) {
		out := appendStr(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q -> %s: %v", s, out, err)
		}
	})
}

func TestNeedsWork(t *testing.T) {
	naive := func(b []byte) bool {
		for _, c := range b {
			if c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
				return true
			}
		}
		return false
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200_000 {
		var b [8]byte
		for i := range b {
			b[i] = byte(0x20 + r.IntN(0x5f)) // printable ASCII
			if r.IntN(12) == 0 {
				b[i] = byte(r.IntN(256))
			}
		}
		if got, want := needsWork(binary.LittleEndian.Uint64(b[:])), naive(b[:]); got != want {
			t.Fatalf("needsWork(%q) = %v, want %v", b, got, want)
		}
	}
}
