package enrich

import (
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
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

// FuzzAppendString: the output is valid UTF-8 and valid JSON (Go's decoder
// alone would accept raw invalid bytes), decodes to the input with each
// invalid byte replaced by U+FFFD, holds no raw control character or
// U+2028/U+2029, and bad says whether a replacement happened.
func FuzzAppendString(f *testing.F) {
	f.Add("a\"b\xff\u2028")
	f.Add("\x80")
	f.Add("plain ascii text!")
	f.Add("tab\tnl\ncr\rnul\x00\x1f\x7f")
	f.Add("\xe5\x88创建\xed\xa0\x80\ufffd")
	f.Fuzz(func(t *testing.T, s string) {
		out, bad := appendString(nil, []byte(s))
		if !utf8.Valid(out) || !json.Valid(out) {
			t.Fatalf("%q -> %q: not valid UTF-8 JSON", s, out)
		}
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q -> %s: %v", s, out, err)
		}
		var want strings.Builder
		for i := 0; i < len(s); {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				want.WriteRune(utf8.RuneError)
			} else {
				want.WriteString(s[i : i+size])
			}
			i += size
		}
		if back != want.String() {
			t.Fatalf("%q -> %s decodes to %q, want %q", s, out, back, want.String())
		}
		if bad != !utf8.ValidString(s) {
			t.Fatalf("%q: bad = %v", s, bad)
		}
		if strings.ContainsAny(string(out), "\u2028\u2029") || strings.ContainsFunc(string(out), func(r rune) bool { return r < 0x20 }) {
			t.Fatalf("%q -> %q: raw control character or line separator", s, out)
		}
		if str := appendStr(nil, s); string(str) != string(out) {
			t.Fatalf("appendStr and appendString differ: %q vs %q", str, out)
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
