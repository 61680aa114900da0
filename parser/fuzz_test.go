package parser

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// FuzzParse: no input makes Parse panic, errors are *ParseError with a
// column inside the line, every value it returns lies inside the line, and
// the ambiguity sets only name keys the line has.
func FuzzParse(f *testing.F) {
	f.Add(seedLine)
	f.Add(line("2021-09-22T07:47:21.559-0000", map[string]string{"operationParam": `{"a":"b c=d"}`}, " newKey=1"))
	f.Add(`[2021-09-22T07:47:21.559+08:00] userAgent="null" x={"y":[1,2 z=3`)
	f.Add("[2021-09-22T07:47:21Z] a= b= c=\r\n")
	f.Add(line("2021-09-22T07:47:21.559-0000", map[string]string{"userName": "x userPoolId=evilpool clientIp=1.2.3.4"}, ""))
	f.Add(line("2021-09-22T07:47:21.559-0000", map[string]string{"userName": `{"n":"`, "userAgent": `"} userPoolId=e`}, ""))
	f.Fuzz(func(t *testing.T, s string) {
		var ev Event
		err := Parse([]byte(s), &ev)
		if err != nil {
			pe, ok := err.(*ParseError)
			if !ok || pe.Column < 1 || pe.Column > len(s)+1 {
				t.Fatalf("bad error %#v for %q", err, s)
			}
			return
		}
		inside := func(v []byte) bool {
			return len(v) == 0 || strings.Contains(s, string(v))
		}
		for k := Key(0); k < NumKeys; k++ {
			if v, ok := ev.Get(k); ok && !inside(v) {
				t.Fatalf("%s=%q not in line %q", k, v, s)
			}
		}
		for _, f := range ev.Extra {
			if !inside(f.Value) || !inside(f.Name) {
				t.Fatalf("extra %q=%q not in line %q", f.Name, f.Value, s)
			}
		}
		for k := Key(0); k < NumKeys; k++ {
			if (ev.Repeated().Has(k) || ev.OutOfOrder().Has(k)) && !ev.Has(k) {
				t.Fatalf("%s repeated (%v) or out of order (%v) but not on line %q", k, ev.Repeated().Has(k), ev.OutOfOrder().Has(k), s)
			}
			if ev.Repeated().Has(k) && strings.Count(s, k.String()+"=") < 2 {
				t.Fatalf("%s repeated but written once in %q", k, s)
			}
		}
	})
}

// FuzzRoundTrip: an event generated from the fuzzer's input, written with
// AppendLine and parsed back, is the same event, and is not ambiguous.
func FuzzRoundTrip(f *testing.F) {
	f.Add(int64(1632296841559), int16(0), "c72c118e\x1fnull\x1f@authing.cn\x1f\x1fpython-requests/2.26.0 (x; y)", "tenantId\x1fa b")
	f.Add(int64(0), int16(480), "a=b,c\x1f\x1f\x1f\"null\"\x1f创建「 x 」", "")
	f.Fuzz(func(t *testing.T, ms int64, offMin int16, values, extra string) {
		ms = ms % (1 << 42) // keep years in 4 digits
		if ms < 0 {
			ms = -ms
		}
		off := int32(offMin%(24*60)) * 60
		var want Event
		want.Timestamp = time.UnixMilli(ms).In(time.FixedZone("", int(off))).AppendFormat(nil, "2006-01-02T15:04:05.000-0700")
		want.UnixMilli, want.Offset = ms, off
		for i, v := range strings.Split(values, "\x1f") {
			if i%int(NumKeys+1) == int(NumKeys) { // leave some keys out
				continue
			}
			if !Representable([]byte(v)) {
				t.Skip()
			}
			want.Set(Key(i%int(NumKeys)), []byte(v))
		}
		parts := strings.Split(extra, "\x1f")
		for i := 0; i+1 < len(parts); i += 2 {
			name, v := []byte(parts[i]), []byte(parts[i+1])
			if !serverStyle(name) || lookupKey(name) < NumKeys || want.hasExtra(name) || !Representable(v) {
				t.Skip()
			}
			want.Extra = append(want.Extra, Field{Name: name, Value: v})
		}
		if len(want.Extra) == 0 && want.seen == 0 {
			t.Skip()
		}
		b := AppendLine(nil, &want)
		var got Event
		if err := Parse(b, &got); err != nil {
			t.Fatalf("Parse(%q): %v", b, err)
		}
		if got.UnixMilli != want.UnixMilli || got.Offset != want.Offset || !bytes.Equal(got.Timestamp, want.Timestamp) {
			t.Fatalf("time: got %s %d %d, want %s %d %d", got.Timestamp, got.UnixMilli, got.Offset, want.Timestamp, want.UnixMilli, want.Offset)
		}
		for k := Key(0); k < NumKeys; k++ {
			gv, gok := got.Get(k)
			wv, wok := want.Get(k)
			if gok != wok || !bytes.Equal(gv, wv) {
				t.Fatalf("line %q: %s = %q (%v), want %q (%v)", b, k, gv, gok, wv, wok)
			}
		}
		if got.Repeated() != 0 || got.OutOfOrder() != 0 {
			t.Fatalf("line %q: Repeated {%s}, OutOfOrder {%s}, want none", b, got.Repeated(), got.OutOfOrder())
		}
		if len(got.Extra) != len(want.Extra) {
			t.Fatalf("line %q: extra %q, want %q", b, got.Extra, want.Extra)
		}
		for i := range got.Extra {
			if !bytes.Equal(got.Extra[i].Name, want.Extra[i].Name) || !bytes.Equal(got.Extra[i].Value, want.Extra[i].Value) {
				t.Fatalf("line %q: extra %q, want %q", b, got.Extra, want.Extra)
			}
		}
	})
}
