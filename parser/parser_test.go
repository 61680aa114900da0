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
			for name, want := range tt.want {
				k, ok := LookupKey(name)
				if !ok {
					t.Fatalf("bad key %q in test", name)
				}
				got, ok := ev.Get(k)
				if !ok || string(got) != want {
					t.Errorf("%s = %q (present %v), want %q", name, got, ok, want)
				}
			}
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
