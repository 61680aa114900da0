package parser

import (
	"errors"
	"os"
	"strings"
	"testing"
)

const seedLine = "[2021-09-22T07:47:21.559-0000] logId=c72c118e-c1a9-4fbd-bafe-c45d00da173b appId=null userName=@authing.cn userPoolId=61384d3e302f1f75e69ce95a userId=61384cf9628539c0f83943e7 requestId=6939cb03-9013-4c08-8954-2920babeed35 roleName=admin roleCode=null roleId=null userAgent=python-requests/2.26.0 clientIp=111.202.167.58 eventType=createUser eventDetails=null resourceType=DATA resourceName=user resourceDetails=shxbxpbodj operationType=create operationMode=sdk originValue=null targetValue=null eventResultCode=success operationParam=null eventResultMsg=null"

// line builds an audit line from the seed with some values replaced (by
// key name); a value of "\x00" drops the key.
func line(ts string, repl map[string]string, tail string) string {
	var b strings.Builder
	b.WriteString("[" + ts + "]")
	var ev Event
	if err := Parse([]byte(seedLine), &ev); err != nil {
		panic(err)
	}
	for k := Key(0); k < NumKeys; k++ {
		v, _ := ev.Get(k)
		if r, ok := repl[k.String()]; ok {
			if r == "\x00" {
				continue
			}
			v = []byte(r)
		}
		b.WriteString(" " + k.String() + "=" + string(v))
	}
	b.WriteString(tail)
	return b.String()
}

func TestSeedFileMatchesConstant(t *testing.T) {
	b, err := os.ReadFile("../testdata/audit.2021-09-22.log")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimRight(string(b), "\n"); got != seedLine {
		t.Fatalf("testdata seed line differs from seedLine:\n%s", got)
	}
}

func TestParseValues(t *testing.T) {
	const ts = "2021-09-22T07:47:21.559-0000"
	chromeUA := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/94.0.4606.61 Safari/537.36"
	tests := []struct {
		name  string
		line  string
		want  map[string]string // known key -> value
		extra map[string]string
		bad   bool // invalid UTF-8
	}{
		{
			name: "seed",
			line: seedLine,
			want: map[string]string{"logId": "c72c118e-c1a9-4fbd-bafe-c45d00da173b", "userName": "@authing.cn",
				"userAgent": "python-requests/2.26.0", "clientIp": "111.202.167.58", "eventType": "createUser",
				"eventDetails": "null", "eventResultMsg": "null", "operationParam": "null"},
		},
		{
			name: "browser user agent with spaces, commas and parentheses",
			line: line(ts, map[string]string{"userAgent": chromeUA}, ""),
			want: map[string]string{"userAgent": chromeUA, "clientIp": "111.202.167.58"},
		},
		{
			name: "message with spaces",
			line: line(ts, map[string]string{"eventResultCode": "fail", "eventResultMsg": "permission denied"}, ""),
			want: map[string]string{"eventResultMsg": "permission denied", "eventResultCode": "fail"},
		},
		{
			name: "JSON value with spaces, = and a key-like string",
			line: line(ts, map[string]string{"operationParam": `{"ids":["a"],"note":"x y","q":"a b eventResultMsg=c"}`}, ""),
			want: map[string]string{"operationParam": `{"ids":["a"],"note":"x y","q":"a b eventResultMsg=c"}`, "eventResultMsg": "null"},
		},
		{
			name: "JSON array value",
			line: line(ts, map[string]string{"targetValue": `[{"k": "v w=1"}, 2]`}, ""),
			want: map[string]string{"targetValue": `[{"k": "v w=1"}, 2]`, "eventResultCode": "success"},
		},
		{
			name: "repeated known key is value text",
			line: line(ts, map[string]string{"eventResultMsg": "request failed appId=abc"}, ""),
			want: map[string]string{"eventResultMsg": "request failed appId=abc", "appId": "null"},
		},
		{
			name: "equals sign inside a value",
			line: line(ts, map[string]string{"resourceDetails": "a=b,c=d"}, ""),
			want: map[string]string{"resourceDetails": "a=b,c=d"},
		},
		{
			name: "Chinese text",
			line: line(ts, map[string]string{"eventDetails": "创建「 张三 」共 1 个用户", "userName": "张三"}, ""),
			want: map[string]string{"eventDetails": "创建「 张三 」共 1 个用户", "userName": "张三"},
		},
		{
			name: "quoted value is unquoted",
			line: line(ts, map[string]string{"userAgent": `"null"`, "eventResultMsg": `"a b c=d"`}, ""),
			want: map[string]string{"userAgent": "null", "eventResultMsg": "a b c=d"},
		},
		{
			name: "empty values",
			line: line(ts, map[string]string{"appId": "", "eventResultMsg": ""}, ""),
			want: map[string]string{"appId": "", "eventResultMsg": "", "userName": "@authing.cn"},
		},
		{
			name:  "unknown keys are kept",
			line:  line(ts, map[string]string{"roleId": "null tenantId=t-1"}, " traceId=abc def"),
			want:  map[string]string{"roleId": "null", "userAgent": "python-requests/2.26.0", "eventResultMsg": "null"},
			extra: map[string]string{"tenantId": "t-1", "traceId": "abc def"},
		},
		{
			name: "free-text word= is not an unknown key",
			line: line(ts, map[string]string{"resourceDetails": "a=b, c=(d) limit=10 x_y=1"}, ""),
			want: map[string]string{"resourceDetails": "a=b, c=(d) limit=10 x_y=1", "operationType": "create"},
		},
		{
			name: "missing keys",
			line: "[2021-09-22T15:47:21.559+0800] logId=x eventType=login eventResultCode=success",
			want: map[string]string{"logId": "x", "eventType": "login", "eventResultCode": "success"},
		},
		{
			name: "CRLF",
			line: seedLine + "\r\n",
			want: map[string]string{"eventResultMsg": "null"},
		},
		{
			name: "invalid UTF-8 is flagged, not fatal",
			line: line(ts, map[string]string{"userName": "bad\xff\xfename"}, ""),
			want: map[string]string{"userName": "bad\xff\xfename"},
			bad:  true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev Event
			if err := Parse([]byte(tt.line), &ev); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkValues(t, &ev, tt.want)
			if len(ev.Extra) != len(tt.extra) {
				t.Errorf("extra = %q, want %q", ev.Extra, tt.extra)
			}
			for _, f := range ev.Extra {
				if want, ok := tt.extra[string(f.Name)]; !ok || want != string(f.Value) {
					t.Errorf("extra %s = %q, want %q", f.Name, f.Value, want)
				}
			}
			if ev.InvalidUTF8 != tt.bad {
				t.Errorf("InvalidUTF8 = %v, want %v", ev.InvalidUTF8, tt.bad)
			}
		})
	}
}

func TestParseTimestamp(t *testing.T) {
	tests := []struct {
		ts     string
		ms     int64
		offset int32
	}{
		{"2021-09-22T07:47:21.559-0000", 1632296841559, 0},
		{"2021-09-22T15:47:21.559+0800", 1632296841559, 8 * 3600},
		{"2021-09-22T15:47:21.559+08:00", 1632296841559, 8 * 3600},
		{"2021-09-22T07:47:21Z", 1632296841000, 0},
		{"2021-09-22T07:47:21.559123Z", 1632296841559, 0},
		{"2021-09-22T02:17:21.5-0530", 1632296841500, -(5*3600 + 30*60)},
		{"2024-02-29T00:00:00.000+0000", 1709164800000, 0},
	}
	for _, tt := range tests {
		ms, off, ok := parseTimestamp([]byte(tt.ts))
		if !ok || ms != tt.ms || off != tt.offset {
			t.Errorf("%s: got %d %d %v, want %d %d", tt.ts, ms, off, ok, tt.ms, tt.offset)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		line string
		err  error
		col  int
	}{
		{"empty", "", ErrNoTimestamp, 1},
		{"no timestamp", "logId=1 appId=2", ErrNoTimestamp, 1},
		{"unclosed bracket", "[2021-09-22T07:47:21.559-0000 logId=1", ErrNoTimestamp, 1},
		{"bad month", "[2021-13-22T07:47:21.559-0000] logId=1", ErrBadTimestamp, 2},
		{"Feb 30", "[2021-02-30T07:47:21.559-0000] logId=1", ErrBadTimestamp, 2},
		{"no offset", "[2021-09-22T07:47:21.559] logId=1", ErrBadTimestamp, 2},
		{"not a time", "[hello] logId=1", ErrBadTimestamp, 2},
		{"nothing after timestamp", "[2021-09-22T07:47:21.559-0000]", ErrNoKeyValue, 31},
		{"no key=value", "[2021-09-22T07:47:21.559-0000] something happened", ErrNoKeyValue, 32},
		{"text before first key", "[2021-09-22T07:47:21.559-0000] oops logId=1", ErrLeadingText, 32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev Event
			err := Parse([]byte(tt.line), &ev)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *ParseError", err)
			}
			if !errors.Is(err, tt.err) || pe.Column != tt.col {
				t.Errorf("err = %v (column %d), want %v at column %d", err, pe.Column, tt.err, tt.col)
			}
			pe.File, pe.Line = "audit.log", 7
			if want := "audit.log:7:"; !strings.HasPrefix(pe.Error(), want) {
				t.Errorf("Error() = %q, want prefix %q", pe.Error(), want)
			}
		})
	}
}

func TestParseReusesEvent(t *testing.T) {
	var ev Event
	if err := Parse([]byte(line("2021-09-22T07:47:21.559-0000", nil, " x=1")), &ev); err != nil {
		t.Fatal(err)
	}
	if err := Parse([]byte("[2021-09-22T07:47:21.559-0000] logId=2"), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Has(AppID) || len(ev.Extra) != 0 {
		t.Fatalf("state leaked from the previous line: appId %v, extra %q", ev.Has(AppID), ev.Extra)
	}
}

func TestParseLongLine(t *testing.T) {
	big := strings.Repeat("x y,", 300_000) // 1.2 MB value
	var ev Event
	if err := Parse([]byte(line("2021-09-22T07:47:21.559-0000", map[string]string{"operationParam": big}, "")), &ev); err != nil {
		t.Fatal(err)
	}
	if v, _ := ev.Get(OperationParam); string(v) != big {
		t.Fatalf("long value cut to %d bytes", len(v))
	}
	if v, _ := ev.Get(EventResultMsg); string(v) != "null" {
		t.Fatalf("eventResultMsg after long value = %q", v)
	}
}

func TestParseAllocs(t *testing.T) {
	var ev Event
	b := []byte(line("2021-09-22T07:47:21.559-0000", nil, " tenantId=abc"))
	Parse(b, &ev) // warm up Extra
	if n := testing.AllocsPerRun(100, func() { _ = Parse(b, &ev) }); n != 0 {
		t.Fatalf("Parse allocates %.1f times per line, want 0", n)
	}
}

// casesLine returns the line of testdata/cases.log whose logId is id.
func casesLine(t *testing.T, id string) string {
	t.Helper()
	b, err := os.ReadFile("../testdata/cases.log")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, " logId="+id+" ") {
			return l
		}
	}
	t.Fatalf("no line with logId %s in cases.log", id)
	return ""
}

func keySet(names ...string) KeySet {
	var s KeySet
	for _, n := range names {
		k, ok := LookupKey(n)
		if !ok {
			panic("bad key " + n)
		}
		s |= 1 << k
	}
	return s
}

// TestParseAmbiguousKeys: the first occurrence of a known key wins, and
// Repeated and OutOfOrder report the lines where that choice was a guess.
func TestParseAmbiguousKeys(t *testing.T) {
	const ts = "2021-09-22T07:47:21.559-0000"
	tests := []struct {
		name       string
		line       string
		want       map[string]string // known key -> value
		repeated   KeySet
		outOfOrder KeySet
	}{
		{
			name: "seed line is not ambiguous",
			line: seedLine,
			want: map[string]string{"userName": "@authing.cn", "userPoolId": "61384d3e302f1f75e69ce95a", "clientIp": "111.202.167.58"},
		},
		{
			name: "browser login from cases.log is not ambiguous",
			line: casesLine(t, "0a1b2c3d-0001-4000-8000-000000000001"),
			want: map[string]string{"userName": "张三", "clientIp": "8.8.8.8"},
		},
		{
			name: "unknown keys at the end are not ambiguous",
			line: casesLine(t, "0a1b2c3d-0001-4000-8000-000000000004"),
			want: map[string]string{"clientIp": "192.168.1.20", "eventResultMsg": "null"},
		},
		{
			name: "missing keys in server order are not ambiguous",
			line: "[2021-09-22T15:47:21.559+0800] logId=x userPoolId=p eventType=login eventResultCode=success",
			want: map[string]string{"userPoolId": "p", "eventType": "login"},
		},
		{
			name: "user name spoofing userPoolId and clientIp",
			line: line(ts, map[string]string{"userName": "x userPoolId=evilpool clientIp=1.2.3.4"}, ""),
			// First wins: the spoofed values. The real ones are value text
			// of the spoofed clientIp, and reported.
			want: map[string]string{"userName": "x", "userPoolId": "evilpool", "userId": "61384cf9628539c0f83943e7",
				"clientIp": "1.2.3.4 userPoolId=61384d3e302f1f75e69ce95a", "eventType": "createUser"},
			repeated:   keySet("userPoolId", "clientIp"),
			outOfOrder: keySet("userId"), // the real userId follows the spoofed clientIp
		},
		{
			name: "legitimate message naming a key",
			line: line(ts, map[string]string{"eventResultCode": "fail", "eventResultMsg": "request failed appId=abc"}, ""),
			want: map[string]string{"eventResultMsg": "request failed appId=abc", "appId": "null"},
			// The message is kept whole, but a machine cannot know that the
			// server did not write a second appId.
			repeated: keySet("appId"),
		},
		{
			name: "cases.log: message with appId, JSON parameter with eventResultMsg",
			line: casesLine(t, "0a1b2c3d-0001-4000-8000-000000000002"),
			want: map[string]string{"appId": "null", "eventResultMsg": "permission denied for role admin appId=abc",
				"operationParam": `{"ids":["a","b"],"note":"x y","q":"k eventResultMsg=v"}`},
			repeated: keySet("appId", "eventResultMsg"),
		},
		{
			name:     "spoof after the real key is value text",
			line:     line(ts, map[string]string{"userAgent": "curl/7.68.0 userPoolId=evilpool"}, ""),
			want:     map[string]string{"userPoolId": "61384d3e302f1f75e69ce95a", "userAgent": "curl/7.68.0 userPoolId=evilpool"},
			repeated: keySet("userPoolId"),
		},
		{
			name: "JSON value swallowing the real key",
			line: line(ts, map[string]string{"userName": `{"n":"`, "userAgent": `"} userPoolId=evilpool`}, ""),
			want: map[string]string{"userPoolId": "evilpool", "clientIp": "111.202.167.58"},
			// userId … userAgent are inside the JSON and lost; userPoolId is
			// both inside it and a key, and comes after the hidden userAgent.
			repeated:   keySet("userPoolId"),
			outOfOrder: keySet("userPoolId"),
		},
		{
			name:       "quoted value swallowing the real key",
			line:       line(ts, map[string]string{"userName": `"x`, "userAgent": `y" userPoolId=evilpool`}, ""),
			want:       map[string]string{"userPoolId": "evilpool", "clientIp": "111.202.167.58"},
			repeated:   keySet("userPoolId"),
			outOfOrder: keySet("userPoolId"),
		},
		{
			name:       "spoofed key the server did not write, out of order",
			line:       "[2021-09-22T07:47:21.559-0000] logId=1 userPoolId=p userAgent=curl/7.68.0 roleName=admin clientIp=1.1.1.1 eventType=login",
			want:       map[string]string{"userAgent": "curl/7.68.0", "roleName": "admin", "clientIp": "1.1.1.1"},
			outOfOrder: keySet("roleName"),
		},
		{
			name: "spoofed key the server did not write, in order, is undetectable",
			line: "[2021-09-22T07:47:21.559-0000] logId=1 userName=x userPoolId=evilpool userId=u eventType=login",
			want: map[string]string{"userName": "x", "userPoolId": "evilpool"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev Event
			if err := Parse([]byte(tt.line), &ev); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkValues(t, &ev, tt.want)
			if ev.Repeated() != tt.repeated {
				t.Errorf("Repeated = {%s}, want {%s}", ev.Repeated(), tt.repeated)
			}
			if ev.OutOfOrder() != tt.outOfOrder {
				t.Errorf("OutOfOrder = {%s}, want {%s}", ev.OutOfOrder(), tt.outOfOrder)
			}
		})
	}
}

func TestParseAmbiguousReset(t *testing.T) {
	var ev Event
	if err := Parse([]byte("[2021-09-22T07:47:21.559-0000] userAgent=a roleName=x userPoolId=p appId=1 userPoolId=q operationParam={\"a\":\" userAgent=b\"}"), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Repeated() != keySet("userPoolId", "userAgent") || ev.OutOfOrder() != keySet("roleName", "userPoolId", "appId") {
		t.Fatalf("Repeated {%s}, OutOfOrder {%s}", ev.Repeated(), ev.OutOfOrder())
	}
	if err := Parse([]byte(seedLine), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Repeated() != 0 || ev.OutOfOrder() != 0 {
		t.Fatalf("state leaked from the previous line: Repeated {%s}, OutOfOrder {%s}", ev.Repeated(), ev.OutOfOrder())
	}
}

func TestParseAmbiguousAllocs(t *testing.T) {
	var ev Event
	b := []byte(line("2021-09-22T07:47:21.559-0000", map[string]string{
		"userName": "x userPoolId=evilpool clientIp=1.2.3.4", "operationParam": `{"q":"a eventResultMsg=b"}`}, ""))
	if n := testing.AllocsPerRun(100, func() { _ = Parse(b, &ev) }); n != 0 {
		t.Fatalf("Parse allocates %.1f times per ambiguous line, want 0", n)
	}
	if ev.Repeated().Len() != 3 {
		t.Fatalf("Repeated = {%s}", ev.Repeated())
	}
}

func TestKeySet(t *testing.T) {
	s := keySet("clientIp", "userPoolId")
	if s.String() != "userPoolId,clientIp" || s.Len() != 2 || !s.Has(UserPoolID) || s.Has(UserID) || s.Has(NumKeys) {
		t.Errorf("set %q len %d", s, s.Len())
	}
	var got []Key
	for k := range s.All() {
		got = append(got, k)
		break
	}
	if len(got) != 1 || got[0] != UserPoolID {
		t.Errorf("All with break yielded %v", got)
	}
	if KeySet(0).String() != "" || KeySet(0).Len() != 0 {
		t.Error("empty set")
	}
}

// checkValues compares the known keys of ev with want (key name → value).
func checkValues(t *testing.T, ev *Event, want map[string]string) {
	t.Helper()
	for name, w := range want {
		k, ok := LookupKey(name)
		if !ok {
			t.Fatalf("bad key %q in test", name)
		}
		if got, ok := ev.Get(k); !ok || string(got) != w {
			t.Errorf("%s = %q (present %v), want %q", name, got, ok, w)
		}
	}
}
