package enrich

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ingestd/ingestd/parser"
)

// TestDocumentExtra: keys the parser does not know are kept, in line order,
// in an "extra" object; a line without them has no "extra" at all.
func TestDocumentExtra(t *testing.T) {
	e := New(Config{Host: "h"})
	tests := []struct {
		line  string
		extra map[string]any // nil: no "extra" field
	}{
		{"[2021-09-22T07:47:21.559-0000] logId=1 userId=u", nil},
		{"[2021-09-22T07:47:21.559-0000] logId=1 tenantId=t1", map[string]any{"tenantId": "t1"}},
		{`[2021-09-22T07:47:21.559-0000] logId=1 tenantId=t1 traceId="a \"b\" c" spanId=`,
			map[string]any{"tenantId": "t1", "traceId": `a \"b\" c`, "spanId": ""}},
		{"[2021-09-22T07:47:21.559-0000] tenantId=x\x80y", map[string]any{"tenantId": "x\ufffdy"}},
	}
	for _, tt := range tests {
		var ev parser.Event
		if err := parser.Parse([]byte(tt.line), &ev); err != nil {
			t.Fatal(err)
		}
		doc := e.AppendDocument(nil, &ev, "/p")
		var m map[string]any
		if err := json.Unmarshal(doc, &m); err != nil || !utf8.Valid(doc) {
			t.Fatalf("%q: invalid document %s: %v", tt.line, doc, err)
		}
		got, has := m["extra"]
		if tt.extra == nil {
			if has {
				t.Errorf("%q: extra %v, want none", tt.line, got)
			}
			continue
		}
		if !reflect.DeepEqual(got, tt.extra) {
			t.Errorf("%q: extra %v, want %v", tt.line, got, tt.extra)
		}
	}
	// The order of the line is kept.
	var ev parser.Event
	parser.Parse([]byte("[2021-09-22T07:47:21.559-0000] logId=1 zetaKey=1 alphaKey=2"), &ev)
	if doc := string(e.AppendDocument(nil, &ev, "/p")); !strings.Contains(doc, `"extra":{"zetaKey":"1","alphaKey":"2"}`) {
		t.Errorf("extra order: %s", doc)
	}
}

// TestDocumentInvalidUTF8Byte80: a lone continuation byte (0x80, the
// smallest non-ASCII byte) is never written raw, in any field.
func TestDocumentInvalidUTF8Byte80(t *testing.T) {
	e := New(Config{Host: "h\x80"})
	var ev parser.Event
	parser.Parse([]byte("[2021-09-22T07:47:21.559-0000] logId=\x80 userName=abcdefgh\x80 eventType=\x80\x80"), &ev)
	doc := e.AppendDocument(nil, &ev, "/p\x80")
	if !utf8.Valid(doc) || strings.ContainsRune(string(doc), 0x80) {
		t.Fatalf("raw invalid byte in %q", doc)
	}
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	if m["logId"] != "\ufffd" || m["userName"] != "abcdefgh\ufffd" || m["host"] != "h\ufffd" || m["path"] != "/p\ufffd" {
		t.Errorf("replacement: %s", doc)
	}
	if e.InvalidUTF8.Load() != 1 || !reflect.DeepEqual(m["tags"], []any{"_invalid_utf8"}) {
		t.Errorf("counted %d, tags %v", e.InvalidUTF8.Load(), m["tags"])
	}
}

// TestAppendStringEdges: every byte class at the edges of the SWAR fast
// path (0x1f/0x20, 0x7f/0x80, '"', '\\') at each position of an 8-byte
// block, checked against a byte-by-byte reference.
func TestAppendStringEdges(t *testing.T) {
	special := []byte{0x00, 0x08, 0x09, 0x0a, 0x0c, 0x0d, 0x1f, 0x20, '"', '\\', 0x7e, 0x7f, 0x80, 0xbf, 0xc0, 0xff}
	for _, c := range special {
		for pos := range 17 {
			b := []byte(strings.Repeat("a", 17))
			b[pos] = c
			got, bad := appendString(nil, b)
			want, wantBad := referenceString(b)
			if string(got) != want || bad != wantBad {
				t.Fatalf("appendString(%q) = %s %v, want %s %v", b, got, bad, want, wantBad)
			}
		}
	}
	for _, s := range []string{"", "a", "abcdefgh", "abcdefghi", "\u00e9", "中文中文中文", "\u2028\u2029", "x\u2029y", "\u2027\u202a", "\xe2\x80", "\xf0\x9f\x98\x80", "\xed\xa0\x80", "\ufffd"} {
		got, bad := appendString(nil, []byte(s))
		want, wantBad := referenceString([]byte(s))
		if string(got) != want || bad != wantBad {
			t.Errorf("appendString(%q) = %s %v, want %s %v", s, got, bad, want, wantBad)
		}
	}
	// The prefix is kept.
	if got, _ := appendString([]byte("x:"), []byte("y")); string(got) != `x:"y"` {
		t.Errorf("prefix: %s", got)
	}
	if got := appendKey([]byte("{"), "k"); string(got) != `{"k":` {
		t.Errorf("appendKey: %s", got)
	}
}

// referenceString is appendString written the slow, obvious way.
func referenceString(s []byte) (string, bool) {
	var b strings.Builder
	bad := false
	b.WriteByte('"')
	for len(s) > 0 {
		r, size := utf8.DecodeRune(s)
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\ufffd`)
			bad = true
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hexDigits[r>>4])
			b.WriteByte(hexDigits[r&0xf])
		case r == 0x2028:
			b.WriteString(`\u2028`)
		case r == 0x2029:
			b.WriteString(`\u2029`)
		default:
			b.Write(s[:size])
		}
		s = s[size:]
	}
	b.WriteByte('"')
	return b.String(), bad
}

// TestCompileTemplateEdges: eventDetails templates with a key at either
// end, keys back to back, and the errors for broken ones.
func TestCompileTemplateEdges(t *testing.T) {
	var ev parser.Event
	if err := parser.Parse([]byte(`[2021-09-22T07:47:21.559-0000] userName=alice userId=u1 eventType=login`), &ev); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ tmpl, want string }{
		{"{userName} logged in", `"alice logged in"`},
		{"user {userName}", `"user alice"`},
		{"{userName}{userId}", `"aliceu1"`},
		{"{userName}", `"alice"`},
		{"no keys", `"no keys"`},
		{`quote " {userId}`, `"quote \" u1"`},
	} {
		tm, err := compileTemplate(tt.tmpl)
		if err != nil {
			t.Fatalf("%q: %v", tt.tmpl, err)
		}
		d := &Dictionary{templates: map[string]template{"login": tm}}
		got, ok, bad := d.appendDetails(nil, &ev)
		if string(got) != tt.want || !ok || bad {
			t.Errorf("%q renders %s (ok %v, bad %v), want %s", tt.tmpl, got, ok, bad, tt.want)
		}
	}
	for _, tt := range []struct{ tmpl, want string }{
		{"{userName", "unclosed {"},
		{"x {nope} y", "{nope}: not a known key"},
		{"{}", "{}: not a known key"},
	} {
		if _, err := compileTemplate(tt.tmpl); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err %v, want %q", tt.tmpl, err, tt.want)
		}
	}
	// No template for the event type: not ok, nothing written.
	d := &Dictionary{templates: map[string]template{}}
	if got, ok, _ := d.appendDetails([]byte("x"), &ev); ok || string(got) != "x" {
		t.Errorf("missing template: %q %v", got, ok)
	}
}

// TestNewUsesConfig: the dictionary, directory and user-agent parser given
// to New are the ones documents use; without them codes stay raw, the
// default photo is used and there is no "ua".
func TestNewUsesConfig(t *testing.T) {
	const line = "[2021-09-22T07:47:21.559-0000] logId=1 userPoolId=p1 userId=u1 userAgent=python-requests/2.26.0 eventType=createUser"
	var ev parser.Event
	if err := parser.Parse([]byte(line), &ev); err != nil {
		t.Fatal(err)
	}
	d, err := LoadDictionary("zh-CN", "")
	if err != nil {
		t.Fatal(err)
	}
	translated := string(d.Translate(parser.EventType, []byte("createUser")))
	if translated == "createUser" {
		t.Fatal("zh-CN has no translation for createUser")
	}
	ua, err := NewUserAgents(16)
	if err != nil {
		t.Fatal(err)
	}
	dir := &Directory{UserPools: map[string]string{"p1": "Pool One"}, Photos: map[string]string{"u1": "https://x/u1.png"}, DefaultPhotoURL: "https://x/default.png"}
	doc := func(e *Enricher) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(e.AppendDocument(nil, &ev, "/p"), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	full := doc(New(Config{Dict: d, Directory: dir, UA: ua, Host: "h"}))
	if full["eventType"] != translated || full["userPoolName"] != "Pool One" || full["photoUrl"] != "https://x/u1.png" {
		t.Errorf("with config: eventType %v userPoolName %v photoUrl %v", full["eventType"], full["userPoolName"], full["photoUrl"])
	}
	if uaObj, ok := full["ua"].(map[string]any); !ok || uaObj["name"] != "Python Requests" {
		t.Errorf("with config: ua %v", full["ua"])
	}
	bare := doc(New(Config{Host: "h"}))
	if bare["eventType"] != "createUser" || bare["userPoolName"] != nil || bare["photoUrl"] != DefaultPhotoURL || bare["ua"] != nil {
		t.Errorf("without config: eventType %v userPoolName %v photoUrl %v ua %v", bare["eventType"], bare["userPoolName"], bare["photoUrl"], bare["ua"])
	}
}

// TestDefaultGeoIPPaths: the cache directory scripts/fetch-geolite.sh fills
// is searched after the system paths: $INGESTD_CACHE, else the user cache.
func TestDefaultGeoIPPaths(t *testing.T) {
	t.Setenv("INGESTD_CACHE", "/c")
	p := defaultGeoIPPaths()
	if len(p) != 3 || p[2] != "/c/geoip/GeoLite2-City.mmdb" || p[0] != "/usr/share/GeoIP/GeoLite2-City.mmdb" {
		t.Errorf("with INGESTD_CACHE: %q", p)
	}
	t.Setenv("INGESTD_CACHE", "")
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	p = defaultGeoIPPaths()
	if len(p) != 3 || p[2] != "/xdg/ingestd/geoip/GeoLite2-City.mmdb" {
		t.Errorf("with XDG_CACHE_HOME: %q", p)
	}
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "")
	if p = defaultGeoIPPaths(); len(p) != 2 {
		t.Errorf("without any cache directory: %q", p)
	}
}

// TestOpenGeoIPCacheSize: a cache size of 0 or less still opens (one entry).
func TestOpenGeoIPCacheSize(t *testing.T) {
	for _, n := range []int{0, -5, 1} {
		g, err := OpenGeoIP(testDB, n)
		if err != nil {
			t.Fatalf("cache size %d: %v", n, err)
		}
		if frag := g.lookup([]byte("111.202.167.58")); !strings.Contains(string(frag), "Beijing") {
			t.Errorf("cache size %d: %s", n, frag)
		}
		g.Close()
	}
}
