package parser

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestTimestampFieldEdges: every field of the timestamp at both ends of
// its range and one step beyond, so that no real January, December, 1st,
// 31st, 23:xx or :59 is ever dead-lettered, and no impossible one passes.
func TestTimestampFieldEdges(t *testing.T) {
	tests := []struct {
		ts string
		ok bool
	}{
		{"2021-01-01T00:00:00Z", true},
		{"2021-12-31T23:59:59Z", true},
		{"2021-00-10T10:10:10Z", false},
		{"2021-13-10T10:10:10Z", false},
		{"2021-10-00T10:10:10Z", false},
		{"2021-01-31T10:10:10Z", true},
		{"2021-01-32T10:10:10Z", false},
		{"2021-03-31T10:10:10Z", true},
		{"2021-04-30T10:10:10Z", true},
		{"2021-04-31T10:10:10Z", false},
		{"2021-06-31T10:10:10Z", false},
		{"2021-09-31T10:10:10Z", false},
		{"2021-11-30T10:10:10Z", true},
		{"2021-11-31T10:10:10Z", false},
		{"2021-12-31T10:10:10Z", true},
		{"2021-12-32T10:10:10Z", false},
		{"2021-02-28T10:10:10Z", true},
		{"2021-02-29T10:10:10Z", false},
		{"2024-02-29T10:10:10Z", true},
		{"2024-02-30T10:10:10Z", false},
		{"2000-02-29T10:10:10Z", true},  // divisible by 400: leap
		{"1900-02-29T10:10:10Z", false}, // by 100 only: not
		{"2100-02-29T10:10:10Z", false},
		{"2021-10-10T00:10:10Z", true},
		{"2021-10-10T23:10:10Z", true},
		{"2021-10-10T24:00:00Z", false},
		{"2021-10-10T10:00:10Z", true},
		{"2021-10-10T10:59:10Z", true},
		{"2021-10-10T10:60:10Z", false},
		{"2021-10-10T10:10:00Z", true},
		{"2021-10-10T10:10:59Z", true},
		{"2021-10-10T10:10:60Z", false},
		{"2021-10-10 10:10:10Z", true}, // a space instead of T
		// separators and digits in every place
		{"2021/10-10T10:10:10Z", false},
		{"2021-10/10T10:10:10Z", false},
		{"2021-10-10t10:10:10Z", false},
		{"2021-10-10T10-10:10Z", false},
		{"2021-10-10T10:10-10Z", false},
		{"202a-10-10T10:10:10Z", false},
		{"2021-1a-10T10:10:10Z", false},
		{"2021-10-1aT10:10:10Z", false},
		{"2021-10-10T1a:10:10Z", false},
		{"2021-10-10T10:1a:10Z", false},
		{"2021-10-10T10:10:1aZ", false},
		{"2021-10-10T10:10:1/Z", false},
		{"2021-10-10T10:10:1:Z", false},
		{"2021-10-10T10:10:10", false}, // 19 bytes
		{"2021-10-10T10:10:10z", false},
		{"2021-10-10T10:10:10ZZ", false},
		// fractions
		{"2021-10-10T10:10:10.Z", false},
		{"2021-10-10T10:10:10,5Z", true},
		{"2021-10-10T10:10:10.5", false},
		{"2021-10-10T10:10:10.5/Z", false},
		{"2021-10-10T10:10:10.5:Z", false},
		// offsets
		{"2021-10-10T10:10:10+0000", true},
		{"2021-10-10T10:10:10+2359", true},
		{"2021-10-10T10:10:10+2400", false},
		{"2021-10-10T10:10:10+0060", false},
		{"2021-10-10T10:10:10+23:59", true},
		{"2021-10-10T10:10:10+23:60", false},
		{"2021-10-10T10:10:10+24:00", false},
		{"2021-10-10T10:10:10+08-00", false},
		{"2021-10-10T10:10:10+080", false},
		{"2021-10-10T10:10:10+08:000", false},
		{"2021-10-10T10:10:10+0800Z", false},
		{"2021-10-10T10:10:10*0800", false},
		{"2021-10-10T10:10:10+a800", false},
		{"2021-10-10T10:10:10+08a0", false},
		{"2021-10-10T10:10:10+08:a0", false},
	}
	for _, tt := range tests {
		ms, off, ok := parseTimestamp([]byte(tt.ts))
		if ok != tt.ok {
			t.Errorf("%s: ok = %v, want %v", tt.ts, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		want, err := time.Parse("2006-01-02T15:04:05.999999999Z07:00", normalise(tt.ts))
		if err != nil {
			t.Fatalf("%s: %v", tt.ts, err)
		}
		_, wantOff := want.Zone()
		if ms != want.UnixMilli() || off != int32(wantOff) {
			t.Errorf("%s: %d %+d, want %d %+d", tt.ts, ms, off, want.UnixMilli(), wantOff)
		}
	}
}

// normalise rewrites the accepted variants into RFC 3339 for time.Parse.
func normalise(ts string) string {
	ts = strings.Replace(ts, " ", "T", 1)
	ts = strings.Replace(ts, ",", ".", 1)
	if n := len(ts); n > 5 && (ts[n-5] == '+' || ts[n-5] == '-') {
		ts = ts[:n-2] + ":" + ts[n-2:]
	}
	return ts
}

// TestTimestampFractions: the fraction gives milliseconds; digits beyond
// the third are ignored, not rounded.
func TestTimestampFractions(t *testing.T) {
	base := time.Date(2021, 9, 22, 7, 47, 21, 0, time.UTC).UnixMilli()
	for _, tt := range []struct {
		frac string
		ms   int64
	}{
		{".0", 0}, {".9", 900}, {".5", 500}, {".05", 50}, {".005", 5}, {".0005", 0},
		{".999", 999}, {".9999", 999}, {".1239", 123}, {".000000009", 0}, {".123456789", 123},
	} {
		ms, _, ok := parseTimestamp([]byte("2021-09-22T07:47:21" + tt.frac + "Z"))
		if !ok || ms-base != tt.ms {
			t.Errorf("%s: %d ms (ok %v), want %d", tt.frac, ms-base, ok, tt.ms)
		}
	}
	ms, off, _ := parseTimestamp([]byte("2021-09-22T02:17:21-05:30"))
	if ms != base || off != -(5*3600+30*60) {
		t.Errorf("-05:30: %d %d", ms, off)
	}
}

// TestEventDate: the date in the line's own offset, from the timestamp text.
func TestEventDate(t *testing.T) {
	for _, tt := range []struct {
		ts   string
		want uint32
	}{
		{"2021-09-22", 20210922},
		{"2021-12-31T23:59:59.999-0800", 20211231},
		{"2021-09-2", 0},
		{"", 0},
	} {
		ev := Event{Timestamp: []byte(tt.ts)}
		if got := ev.Date(); got != tt.want {
			t.Errorf("Date(%q) = %d, want %d", tt.ts, got, tt.want)
		}
	}
}

const ts = "[2021-09-22T07:47:21.559-0000]"

// TestFirstKeyEdges: what counts as the first key=value after the
// timestamp, and which error a line without one gets.
func TestFirstKeyEdges(t *testing.T) {
	tests := []struct {
		rest  string
		err   error
		col   int
		name  string // the first key, when parsed
		value string
	}{
		{" word", ErrNoKeyValue, 32, "", ""},
		{" a", ErrNoKeyValue, 32, "", ""},
		{"   ", ErrNoKeyValue, 34, "", ""},
		{"", ErrNoKeyValue, 31, "", ""},
		{" word more words", ErrNoKeyValue, 32, "", ""},
		{" =x", ErrLeadingText, 32, "", ""},
		{" 1a=b", ErrLeadingText, 32, "", ""},
		{" a-b=c", ErrLeadingText, 32, "", ""},
		{" a`=1", ErrLeadingText, 32, "", ""},
		{" a{=1", ErrLeadingText, 32, "", ""},
		{" a@=1", ErrLeadingText, 32, "", ""},
		{" a[=1", ErrLeadingText, 32, "", ""},
		{" a/=1", ErrLeadingText, 32, "", ""},
		{" a:=1", ErrLeadingText, 32, "", ""},
		{" `a=1", ErrLeadingText, 32, "", ""},
		{" {a=1", ErrLeadingText, 32, "", ""},
		{" @a=1", ErrLeadingText, 32, "", ""},
		{" [a=1", ErrLeadingText, 32, "", ""},
		{" a=1", nil, 0, "a", "1"},
		{" z=1", nil, 0, "z", "1"},
		{" A=1", nil, 0, "A", "1"},
		{" Z=1", nil, 0, "Z", "1"},
		{" _=1", nil, 0, "_", "1"},
		{" a0=1", nil, 0, "a0", "1"},
		{" a9=", nil, 0, "a9", ""},
		{" aA_Zz=x y", nil, 0, "aA_Zz", "x y"},
		{"logId=1", nil, 0, "logId", "1"},
		{"  logId=1", nil, 0, "logId", "1"},
	}
	for _, tt := range tests {
		var ev Event
		err := Parse([]byte(ts+tt.rest), &ev)
		if tt.err != nil {
			var pe *ParseError
			if !errors.Is(err, tt.err) || !errors.As(err, &pe) || pe.Column != tt.col {
				t.Errorf("%q: err %v, want %v at column %d", tt.rest, err, tt.err, tt.col)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.rest, err)
			continue
		}
		if k, ok := LookupKey(tt.name); ok {
			if v, _ := ev.Get(k); string(v) != tt.value || len(ev.Extra) != 0 {
				t.Errorf("%q: %s=%q extra %q", tt.rest, k, v, ev.Extra)
			}
			continue
		}
		if len(ev.Extra) != 1 || string(ev.Extra[0].Name) != tt.name || string(ev.Extra[0].Value) != tt.value {
			t.Errorf("%q: extra %q, want %s=%q", tt.rest, ev.Extra, tt.name, tt.value)
		}
	}
}

// TestUnknownKeyEdges: after a known key, " name=" starts a new (unknown)
// key only for camelCase names of 2 to 64 letters and digits starting with
// a lowercase letter; anything else is value text.
func TestUnknownKeyEdges(t *testing.T) {
	upper64 := "a" + strings.Repeat("B", 63)
	tests := []struct {
		name string
		key  bool
	}{
		{"aB", true},
		{"zB", true},
		{"mA", true},
		{"mZ", true},
		{"aB0", true},
		{"aB9", true},
		{"a0Z", true},
		{"tenantId", true},
		{upper64, true},
		{upper64 + "C", false},
		{"X", false},
		{"ab", false}, // no uppercase letter
		{"az09", false},
		{"AB", false},
		{"Ab", false},
		{"ZB", false},
		{"_aB", false},
		{"aB_", false},
		{"a_B", false},
	}
	for _, tt := range tests {
		l := ts + " logId=1 " + tt.name + "=2 userId=3"
		var ev Event
		if err := Parse([]byte(l), &ev); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		logID, _ := ev.Get(LogID)
		userID, _ := ev.Get(UserID)
		if string(userID) != "3" {
			t.Errorf("%s: userId=%q", tt.name, userID)
		}
		if tt.key {
			if string(logID) != "1" || len(ev.Extra) != 1 || string(ev.Extra[0].Name) != tt.name || string(ev.Extra[0].Value) != "2" {
				t.Errorf("%s: logId=%q extra %q, want a key", tt.name, logID, ev.Extra)
			}
		} else if want := "1 " + tt.name + "=2"; string(logID) != want || len(ev.Extra) != 0 {
			t.Errorf("%s: logId=%q extra %q, want value text %q", tt.name, logID, ev.Extra, want)
		}
	}
	// An unknown key already in Extra is value text. (Current behaviour:
	// the key being read is not in Extra yet, so its second occurrence is
	// still a key and only the third is value text.)
	var ev Event
	if err := Parse([]byte(ts+" logId=1 tenantId=a tenantId=b tenantId=c"), &ev); err != nil {
		t.Fatal(err)
	}
	if len(ev.Extra) != 2 || string(ev.Extra[0].Value) != "a" || string(ev.Extra[1].Value) != "b tenantId=c" {
		t.Errorf("repeated unknown key: %q", ev.Extra)
	}
	// Two different unknown keys are both keys.
	if err := Parse([]byte(ts+" logId=1 tenantId=a tenantIds=b"), &ev); err != nil {
		t.Fatal(err)
	}
	if len(ev.Extra) != 2 || string(ev.Extra[1].Name) != "tenantIds" || string(ev.Extra[0].Value) != "a" {
		t.Errorf("two unknown keys: %q", ev.Extra)
	}
}

// TestValueScanningEdges: JSON and quoted values are skipped as a whole
// when they close on the line; a truncated one (unclosed at the end of the
// line) is plain text and does not swallow or crash anything.
func TestValueScanningEdges(t *testing.T) {
	tests := []struct {
		rest   string
		logID  string
		userID string // "-" when the line has none
	}{
		{`logId={`, `{`, "-"},
		{`logId=[`, `[`, "-"},
		{`logId="`, `"`, "-"},
		{`logId={"a":`, `{"a":`, "-"},
		{`logId={"a":"b\`, `{"a":"b\`, "-"},
		{`logId=[[1]`, `[[1]`, "-"},
		{`logId="a b`, `"a b`, "-"},
		{`logId={"a":1 userId=2`, `{"a":1`, "2"},
		{`logId="a userId=2`, `"a`, "2"},
		{`logId={"a":"x userId=9"} userId=2`, `{"a":"x userId=9"}`, "2"},
		{`logId={"a":"}"} userId=2`, `{"a":"}"}`, "2"},
		{`logId={"a":"\"} userId=9"} userId=2`, `{"a":"\"} userId=9"}`, "2"},
		{`logId=[{"a":[1]},"]"] userId=2`, `[{"a":[1]},"]"]`, "2"},
		{`logId={"a":1]x userId=2`, `{"a":1]x`, "2"},
		{`logId={}`, `{}`, "-"},
		{`logId=[]`, `[]`, "-"},
		{`logId="a userId=9" userId=2`, `a userId=9`, "2"},
		{`logId="a"b userId=9" userId=2`, `a"b userId=9`, "2"},
		{`logId="a userId=9"`, `a userId=9`, "-"},
		{`logId=""`, ``, "-"},
		{`logId="" userId=2`, ``, "2"},
		{`logId=" userId=2`, `"`, "2"},
		{`logId=x"y" userId=2`, `x"y"`, "2"},
		{`logId= userId=2`, ``, "2"},
		{`logId=  userId=2`, ` `, "2"},
	}
	for _, tt := range tests {
		var ev Event
		if err := Parse([]byte(ts+" "+tt.rest), &ev); err != nil {
			t.Errorf("%s: %v", tt.rest, err)
			continue
		}
		logID, _ := ev.Get(LogID)
		userID, ok := ev.Get(UserID)
		if !ok {
			userID = []byte("-")
		}
		if string(logID) != tt.logID || string(userID) != tt.userID {
			t.Errorf("%s: logId=%s userId=%s, want logId=%s userId=%s", tt.rest, logID, userID, tt.logID, tt.userID)
		}
	}
}

// TestLineEndings: one "\n", "\r\n" or "\r" ends the line; nothing more is
// trimmed.
func TestLineEndings(t *testing.T) {
	for _, tt := range []struct{ end, want string }{
		{"", "x"}, {"\n", "x"}, {"\r\n", "x"}, {"\r", "x"}, {"\r\r\n", "x\r"}, {"\n\n", "x\n"}, {"\n\r", "x\n"}, {" ", "x "},
	} {
		var ev Event
		if err := Parse([]byte(ts+" logId=x"+tt.end), &ev); err != nil {
			t.Fatal(err)
		}
		if v, _ := ev.Get(LogID); string(v) != tt.want || string(ev.Line) != ts+" logId="+tt.want {
			t.Errorf("ending %q: logId=%q line %q", tt.end, v, ev.Line)
		}
	}
	var ev Event
	if err := Parse([]byte("\n"), &ev); !errors.Is(err, ErrNoTimestamp) {
		t.Errorf("empty line: %v", err)
	}
}

// TestLookupKey: every known key by its name, and names that are not keys.
func TestLookupKey(t *testing.T) {
	for k := Key(0); k < NumKeys; k++ {
		got, ok := LookupKey(k.String())
		if !ok || got != k {
			t.Errorf("LookupKey(%q) = %v %v", k.String(), got, ok)
		}
	}
	for _, name := range []string{"", "logid", "LogId", "logId ", " logId", "logI", "logIdx", "eventResultMsgs", "unknown", "null", "userPoolID"} {
		if k, ok := LookupKey(name); ok || k != NumKeys {
			t.Errorf("LookupKey(%q) = %v %v, want not a key", name, k, ok)
		}
	}
	if NumKeys.String() != "unknown" || Key(200).String() != "unknown" || EventResultMsg.String() != "eventResultMsg" || LogID.String() != "logId" {
		t.Errorf("String: %s %s %s", NumKeys, EventResultMsg, LogID)
	}
}

// TestKeySetBounds: a set never reports a key beyond the known ones.
func TestKeySetBounds(t *testing.T) {
	all := KeySet(^uint32(0))
	if all.Has(NumKeys) || all.Has(NumKeys+1) || !all.Has(NumKeys-1) || !all.Has(LogID) {
		t.Errorf("Has at the bounds: %v %v %v", all.Has(NumKeys), all.Has(NumKeys-1), all.Has(LogID))
	}
	n := 0
	for k := range all.All() {
		if k >= NumKeys {
			t.Errorf("All yields %d", k)
		}
		n++
	}
	if n != int(NumKeys) {
		t.Errorf("All yields %d keys, want %d", n, NumKeys)
	}
	s := KeySet(1<<LogID | 1<<EventResultMsg)
	if s.String() != "logId,eventResultMsg" || s.Len() != 2 || KeySet(0).String() != "" {
		t.Errorf("String %q Len %d", s.String(), s.Len())
	}
	var got []Key
	for k := range s.All() {
		got = append(got, k)
		break
	}
	if fmt.Sprint(got) != fmt.Sprint([]Key{LogID}) {
		t.Errorf("All after break: %v", got)
	}
	var ev Event
	if _, ok := ev.Get(NumKeys); ok || ev.Has(NumKeys) {
		t.Error("Get/Has beyond the known keys")
	}
}

// TestParseErrorText: the message forms of ParseError.
func TestParseErrorText(t *testing.T) {
	for _, tt := range []struct {
		e    ParseError
		want string
	}{
		{ParseError{File: "a.log", Line: 3, Column: 5, Err: ErrBadTimestamp}, "a.log:3:5: bad timestamp"},
		{ParseError{Line: 3, Column: 5, Err: ErrBadTimestamp}, "line 3, column 5: bad timestamp"},
		{ParseError{File: "a.log", Column: 5, Err: ErrBadTimestamp}, "column 5: bad timestamp"},
		{ParseError{Column: 1, Err: ErrNoTimestamp}, "column 1: line does not start with a [timestamp]"},
	} {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.e, got, tt.want)
		}
	}
}

// TestSkippedValueKeys: known keys written inside a skipped JSON value
// (after one space or several) make the same key of the line repeated;
// unknown names there change nothing, and keys in the server's order stay
// in order.
func TestSkippedValueKeys(t *testing.T) {
	for _, tt := range []struct {
		rest     string
		repeated KeySet
	}{
		{`logId={"a":"x userId=9"} userId=2`, 1 << UserID},
		{`logId={"a":"x  userId=9"} userId=2`, 1 << UserID},
		{`logId={"a":"x   userId=9"} userId=2`, 1 << UserID},
		{`logId={"a":"x fooBar=1 zzz=2"} userId=2 eventType=e`, 0},
		{`logId={"a":"x =1"} userId=2`, 0},
		{`logId="x userName=9" userId=2`, 0}, // userName is not a key of the line
		{`logId="x userId=" userId=2`, 1 << UserID},
		{`logId={"a":"x userId="} userId=2`, 1 << UserID},
		{`logId={x userId=} userId=2`, 1 << UserID},
		{`logId=" userId=9" userId=2`, 1 << UserID},
	} {
		var ev Event
		if err := Parse([]byte(ts+" "+tt.rest), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Repeated() != tt.repeated || ev.OutOfOrder() != 0 {
			t.Errorf("%s: repeated {%s} out of order {%s}, want {%s} {}", tt.rest, ev.Repeated(), ev.OutOfOrder(), tt.repeated)
		}
		if v, _ := ev.Get(UserID); string(v) != "2" {
			t.Errorf("%s: userId=%q", tt.rest, v)
		}
	}
}
