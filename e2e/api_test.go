package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ingestd/ingestd/query"
)

const (
	poolA   = "61384d3e302f1f75e69ce95a"
	poolB   = "7000000000000000000000bb"
	secretA = "secret-of-pool-a"
	signKey = "e2e-signing-key-0123456789abcdef0123456789"
)

// fixture is one line of the API test corpus.
type fixture struct {
	id, pool, eventType, user, app, ip string
	at                                 time.Time
}

func fixtures() []fixture {
	types := []string{"createUser", "login", "deleteUser"}
	var out []fixture
	for i := 0; i < 60; i++ {
		pool := poolA
		if i%3 == 0 {
			pool = poolB
		}
		out = append(out, fixture{
			id: fmt.Sprintf("fix-%03d", i), pool: pool, eventType: types[(i/3)%3],
			user: fmt.Sprintf("u%d", i%4), app: fmt.Sprintf("app%d", i%2), ip: fmt.Sprintf("36.112.24.%d", i%5),
			at: time.Date(2021, 9, 22, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute),
		})
	}
	return out
}

func (f fixture) line() string {
	return fmt.Sprintf("[%s] logId=%s appId=%s userName=n userPoolId=%s userId=%s requestId=r roleName=admin roleCode=null roleId=null userAgent=python-requests/2.26.0 clientIp=%s eventType=%s eventDetails=null resourceType=DATA resourceName=user resourceDetails=d operationType=create operationMode=sdk originValue=null targetValue=null eventResultCode=success operationParam=null eventResultMsg=null\n",
		f.at.Format("2006-01-02T15:04:05.000-0700"), f.id, f.app, f.pool, f.user, f.ip, f.eventType)
}

// expect returns the ids matching keep, newest first.
func expect(keep func(fixture) bool) []string {
	var ids []string
	all := fixtures()
	for i := len(all) - 1; i >= 0; i-- {
		if keep(all[i]) {
			ids = append(ids, all[i].id)
		}
	}
	return ids
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServe indexes the fixtures and starts `ingestd serve` on them.
func startServe(t *testing.T, base string) (addr string) {
	t.Helper()
	var b strings.Builder
	for _, f := range fixtures() {
		b.WriteString(f.line())
	}
	return startServeOn(t, base, b.String())
}

// startServeOn indexes the audit lines in corpus and starts `ingestd serve`
// on them.
func startServeOn(t *testing.T, base, corpus string) (addr string) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "audit.2021-09-22.log")
	os.WriteFile(file, []byte(corpus), 0o644)
	prefix := uniquePrefix("api")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ingestd(t, ctx, "replay", "--host", "e2e", "--no-geoip", "--dlq", filepath.Join(dir, "dlq"), "--es", base,
		"--index", prefix+"%{+yyyy.MM.dd}", file)
	call(t, http.MethodPost, base+"/"+prefix+"*/_refresh", nil, nil)

	h, err := query.HashSecret(secretA)
	if err != nil {
		t.Fatal(err)
	}
	pools := filepath.Join(dir, "pools.yaml")
	os.WriteFile(pools, []byte("pools:\n  "+poolA+": "+h+"\n"), 0o600)
	addr = freePort(t)
	cmd := exec.Command(bin, "serve", "--listen", addr, "--es", base, "--index", prefix+"*", "--pools", pools)
	cmd.Env = append(os.Environ(), "INGESTD_SIGNING_KEY="+signKey)
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("serve did not start")
	return ""
}

func token(t *testing.T, pools ...string) string {
	s, _ := query.NewSigner([]byte(signKey))
	tok, _, _, err := s.Mint(pools, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type listResult struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    struct {
		TotalCount int              `json:"totalCount"`
		List       []map[string]any `json:"list"`
	} `json:"data"`
}

func get(t *testing.T, addr, path, tok string, hdr map[string]string) (int, listResult) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r listResult
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		t.Fatalf("%s: answer is not JSON: %v", path, err)
	}
	return res.StatusCode, r
}

func ids(r listResult) []string {
	var out []string
	for _, d := range r.Data.List {
		out = append(out, d["logId"].(string))
	}
	return out
}

// TestAPIFilters: each filter alone and combined, in every request shape
// the SDKs use, against the real engine.
func TestAPIFilters(t *testing.T) {
	base := strings.TrimRight(need(t, "INGESTD_ENGINE_URL"), "/")
	addr := startServe(t, base)
	tokA := token(t, poolA)
	inA := func(f fixture) bool { return f.pool == poolA }
	start := time.Date(2021, 9, 22, 10, 20, 0, 0, time.UTC)
	end := time.Date(2021, 9, 22, 10, 40, 0, 0, time.UTC)
	tests := []struct {
		q    string
		keep func(fixture) bool
	}{
		{"", inA},
		{"operation_name=createUser", func(f fixture) bool { return inA(f) && f.eventType == "createUser" }},
		{"operation_name=createUser&operation_name=login", func(f fixture) bool { return inA(f) && f.eventType != "deleteUser" }},
		{"operation_name[]=createUser&operation_name[]=login", func(f fixture) bool { return inA(f) && f.eventType != "deleteUser" }},
		{"operation_name=createUser,login", func(f fixture) bool { return inA(f) && f.eventType != "deleteUser" }},
		{"eventType=deleteUser", func(f fixture) bool { return inA(f) && f.eventType == "deleteUser" }},
		{"operator_arn=arn:cn:authing:user:u1", func(f fixture) bool { return inA(f) && f.user == "u1" }},
		{"operator_arn=arn:cn:authing:" + poolA + ":user:u2&operator_arn=u3", func(f fixture) bool { return inA(f) && (f.user == "u2" || f.user == "u3") }},
		{"userId=u1", func(f fixture) bool { return inA(f) && f.user == "u1" }},
		{"app_id=app1", func(f fixture) bool { return inA(f) && f.app == "app1" }},
		{"app_id[]=app0&app_id[]=app1", inA},
		{"clientip=36.112.24.3", func(f fixture) bool { return inA(f) && f.ip == "36.112.24.3" }},
		{fmt.Sprintf("start=%d&end=%d", start.UnixMilli(), end.UnixMilli()), func(f fixture) bool { return inA(f) && !f.at.Before(start) && !f.at.After(end) }},
		{"start=2021-09-22T10:20:00Z&end=2021-09-22T10:40:00.000Z", func(f fixture) bool { return inA(f) && !f.at.Before(start) && !f.at.After(end) }},
		{"operation_name=login&app_id=app0&operator_arn=u0,u2&clientip=36.112.24.4", func(f fixture) bool {
			return inA(f) && f.eventType == "login" && f.app == "app0" && (f.user == "u0" || f.user == "u2") && f.ip == "36.112.24.4"
		}},
	}
	for _, tt := range tests {
		want := expect(tt.keep)
		code, r := get(t, addr, "/api/v2/analysis/audit?limit=100&"+tt.q, tokA, nil)
		if code != 200 || r.Code != 200 || r.Data.TotalCount != len(want) || strings.Join(ids(r), ",") != strings.Join(want, ",") {
			t.Errorf("%q: status %d, totalCount %d, ids %v; want %d: %v", tt.q, code, r.Data.TotalCount, ids(r), len(want), want)
		}
	}
	// Documents come back as indexed, shaped like the sample.
	_, r := get(t, addr, "/api/v2/analysis/audit?limit=1", tokA, nil)
	if d := r.Data.List[0]; d["eventType"] != "登录" || d["codes"].(map[string]any)["eventType"] != "login" || d["userPoolId"] != poolA {
		t.Errorf("document: %v", d)
	}
}

// TestAPIPagingIsolationErrors: paging, isolation between pools, errors.
func TestAPIPagingIsolationErrors(t *testing.T) {
	base := strings.TrimRight(need(t, "INGESTD_ENGINE_URL"), "/")
	addr := startServe(t, base)
	all := expect(func(f fixture) bool { return f.pool == poolA })
	tokA := token(t, poolA)
	var got []string
	pages := (len(all) + 6) / 7
	for p := 1; p <= pages; p++ {
		_, r := get(t, addr, fmt.Sprintf("/api/v2/analysis/audit?page=%d&limit=7", p), tokA, nil)
		if r.Data.TotalCount != len(all) {
			t.Fatalf("page %d: totalCount %d, want %d", p, r.Data.TotalCount, len(all))
		}
		want := min(7, len(all)-(p-1)*7)
		if len(r.Data.List) != want {
			t.Errorf("page %d has %d documents, want %d", p, len(r.Data.List), want)
		}
		got = append(got, ids(r)...)
	}
	if strings.Join(got, ",") != strings.Join(all, ",") {
		t.Errorf("pages do not add up to the whole, newest first:\n got %v\nwant %v", got, all)
	}
	if _, r := get(t, addr, "/api/v2/analysis/audit?page=999&limit=7", tokA, nil); len(r.Data.List) != 0 || r.Data.TotalCount != len(all) {
		t.Errorf("beyond the last page: %d documents, total %d", len(r.Data.List), r.Data.TotalCount)
	}

	// Isolation.
	onlyB := expect(func(f fixture) bool { return f.pool == poolB })
	_, r := get(t, addr, "/api/v2/analysis/audit?limit=100", token(t, poolB), nil)
	if strings.Join(ids(r), ",") != strings.Join(onlyB, ",") {
		t.Errorf("pool B sees %v, want %v", ids(r), onlyB)
	}
	_, r = get(t, addr, "/api/v2/analysis/audit?limit=100", token(t, poolA, poolB), map[string]string{"x-authing-userpool-id": poolB})
	if strings.Join(ids(r), ",") != strings.Join(onlyB, ",") {
		t.Errorf("header narrowing: %v", ids(r))
	}
	_, r = get(t, addr, "/api/v2/analysis/user-action?limit=100", token(t, poolA, poolB), nil)
	if r.Data.TotalCount != 60 {
		t.Errorf("user-action with both pools: %d", r.Data.TotalCount)
	}

	s, _ := query.NewSigner([]byte(signKey))
	expired, _, _, _ := s.Mint([]string{poolA}, -time.Hour)
	for _, tt := range []struct {
		name, path, tok string
		hdr             map[string]string
		status          int
	}{
		{"no token", "/api/v2/analysis/audit", "", nil, 401},
		{"expired token", "/api/v2/analysis/audit", expired, nil, 401},
		{"forged token", "/api/v2/analysis/audit", tokA[:len(tokA)-4] + "AAAA", nil, 401},
		{"pool not allowed", "/api/v2/analysis/audit", tokA, map[string]string{"x-authing-userpool-id": poolB}, 403},
		{"non-numeric page", "/api/v2/analysis/audit?page=two", tokA, nil, 400},
		{"limit out of range", "/api/v2/analysis/audit?limit=1000", tokA, nil, 400},
		{"bad IP", "/api/v2/analysis/audit?clientip=1.2.3.999", tokA, nil, 400},
		{"bad date", "/api/v2/analysis/audit?start=last-week", tokA, nil, 400},
		{"beyond the result window", "/api/v2/analysis/audit?page=200&limit=100", tokA, nil, 400},
	} {
		code, r := get(t, addr, tt.path, tt.tok, tt.hdr)
		if code != tt.status || r.Code != tt.status || r.Message == "" {
			t.Errorf("%s: %d %+v, want %d with a message", tt.name, code, r, tt.status)
		}
	}

	// Engine unavailable: 503.
	dead := freePort(t)
	addr2 := freePort(t)
	cmd := exec.Command(bin, "serve", "--listen", addr2, "--es", "http://"+dead, "--engine", "opensearch")
	cmd.Env = append(os.Environ(), "INGESTD_SIGNING_KEY="+signKey)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	time.Sleep(500 * time.Millisecond)
	if code, r := get(t, addr2, "/api/v2/analysis/audit", tokA, nil); code != 503 || r.Code != 503 {
		t.Errorf("engine down: %d %+v, want 503", code, r)
	}
}

// TestNodeSDK drives the official Node SDK (npm authing-js-sdk@4.23.55),
// unmodified, with host pointed at ingestd: it exchanges its pool secret
// for a token over GraphQL and lists audit logs.
func TestNodeSDK(t *testing.T) {
	base := strings.TrimRight(need(t, "INGESTD_ENGINE_URL"), "/")
	sdk := need(t, "INGESTD_NODE_SDK_DIR") // holds node_modules/authing-js-sdk
	addr := startServe(t, base)
	script := filepath.Join(t.TempDir(), "sdk.js")
	os.WriteFile(script, []byte(`
const { ManagementClient } = require(process.env.SDK + '/node_modules/authing-js-sdk');
(async () => {
  const c = new ManagementClient({ userPoolId: process.env.POOL, secret: process.env.SECRET, host: process.env.HOST });
  const r = await c.statistics.listAuditLogs({ eventType: 'createUser', page: 2, limit: 3 });
  let bad = null;
  try {
    await new ManagementClient({ userPoolId: process.env.POOL, secret: 'wrong', host: process.env.HOST }).statistics.listAuditLogs({});
  } catch (e) { bad = e; }
  console.log(JSON.stringify({ totalCount: r.totalCount, ids: r.list.map(d => d.logId), bad }));
})().catch(e => { console.error('SDK error', e); process.exit(1); });
`), 0o644)
	cmd := exec.Command("node", script)
	cmd.Env = append(os.Environ(), "SDK="+sdk, "POOL="+poolA, "SECRET="+secretA, "HOST=http://"+addr)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("node SDK: %v\n%s\n%s", err, out, stderr)
	}
	var got struct {
		TotalCount int            `json:"totalCount"`
		IDs        []string       `json:"ids"`
		Bad        map[string]any `json:"bad"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := expect(func(f fixture) bool { return f.pool == poolA && f.eventType == "createUser" })
	if got.TotalCount != len(want) || strings.Join(got.IDs, ",") != strings.Join(want[3:6], ",") {
		t.Errorf("SDK page 2: total %d ids %v; want %d %v", got.TotalCount, got.IDs, len(want), want[3:6])
	}
	if got.Bad == nil || fmt.Sprint(got.Bad["code"]) != "2003" {
		t.Errorf("wrong secret: SDK error %v, want code 2003", got.Bad)
	}
	sort.Strings(got.IDs)
}

// TestPythonSDK drives the official Python SDK (PyPI authing 4.x),
// unmodified: token exchange over GraphQL, then list_audit_logs without
// filters (what the SDK usually sends) and with user and app filters (its
// operation_names handling overwrites operation_name with page and limit,
// which are None, so only operator_arn and app_id reach the server).
func TestPythonSDK(t *testing.T) {
	base := strings.TrimRight(need(t, "INGESTD_ENGINE_URL"), "/")
	python := need(t, "INGESTD_PY_SDK_PYTHON") // a python with authing 4.x installed
	addr := startServe(t, base)
	script := filepath.Join(t.TempDir(), "sdk.py")
	os.WriteFile(script, []byte(`
import json, os
from authing.v2.management.types import ManagementClientOptions
from authing.v2.management.authing import ManagementClient
c = ManagementClient(ManagementClientOptions(user_pool_id=os.environ["POOL"], secret=os.environ["SECRET"], host=os.environ["HOST"]))
a = c.auditLog.list_audit_logs()
b = c.auditLog.list_audit_logs(operation_names=["createUser"], user_ids=["u1"], app_ids=["app1"])
print(json.dumps({"a": [a["data"]["totalCount"], [d["logId"] for d in a["data"]["list"]]],
                  "b": [b["data"]["totalCount"], [d["logId"] for d in b["data"]["list"]]]}))
`), 0o644)
	cmd := exec.Command(python, script)
	cmd.Env = append(os.Environ(), "POOL="+poolA, "SECRET="+secretA, "HOST=http://"+addr)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python SDK: %v\n%s", err, out)
	}
	var got map[string][2]json.RawMessage
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	check := func(name string, keep func(fixture) bool, page int) {
		want := expect(keep)
		var total int
		var ids []string
		json.Unmarshal(got[name][0], &total)
		json.Unmarshal(got[name][1], &ids)
		if total != len(want) || strings.Join(ids, ",") != strings.Join(want[:min(page, len(want))], ",") {
			t.Errorf("%s: total %d ids %v; want %d %v", name, total, ids, len(want), want[:min(page, len(want))])
		}
	}
	check("a", func(f fixture) bool { return f.pool == poolA }, 10)
	check("b", func(f fixture) bool { return f.pool == poolA && f.user == "u1" && f.app == "app1" }, 10)
}

// TestAPISpoofedPool: a user name posing as a later key
// (`userName=x userPoolId=<B>`) makes the parser's first-wins rule give the
// document pool B. The line is flagged, and both pools the line names see
// it: the real pool A does not lose the event to the spoof; other pools
// see nothing.
func TestAPISpoofedPool(t *testing.T) {
	base := strings.TrimRight(need(t, "INGESTD_ENGINE_URL"), "/")
	at := time.Date(2021, 9, 22, 10, 0, 0, 0, time.UTC)
	normalA := fixture{id: "sp-1", pool: poolA, eventType: "login", user: "u1", app: "app0", ip: "36.112.24.1", at: at}
	spoof := fixture{id: "sp-2", pool: poolA, eventType: "createUser", user: "u2", app: "app0", ip: "36.112.24.2", at: at.Add(time.Minute)}
	normalB := fixture{id: "sp-3", pool: poolB, eventType: "login", user: "u3", app: "app0", ip: "36.112.24.3", at: at.Add(2 * time.Minute)}
	spoofLine := strings.Replace(spoof.line(), "userName=n ", "userName=x userPoolId="+poolB+" ", 1)
	// A user agent naming pool B after the real key must not show pool
	// A's event to pool B.
	uaSpoof := fixture{id: "sp-4", pool: poolA, eventType: "login", user: "u4", app: "app0", ip: "36.112.24.4", at: at.Add(3 * time.Minute)}
	uaLine := strings.Replace(uaSpoof.line(), "userAgent=python-requests/2.26.0", "userAgent=curl/8 userPoolId="+poolB, 1)
	// Issue 9: repeating userAgent in the user agent must not switch the
	// cut off, nor may a quote the user name opens and the user agent
	// closes hide the server's keys.
	plant := fixture{id: "sp-5", pool: poolA, eventType: "login", user: "u5", app: "app0", ip: "36.112.24.5", at: at.Add(4 * time.Minute)}
	plantLine := strings.Replace(plant.line(), "userAgent=python-requests/2.26.0", "userAgent=curl/8 userAgent=x userPoolId="+poolB, 1)
	quoted := fixture{id: "sp-6", pool: poolA, eventType: "login", user: "u6", app: "app0", ip: "36.112.24.6", at: at.Add(5 * time.Minute)}
	quotedLine := strings.Replace(strings.Replace(quoted.line(), "userAgent=python-requests/2.26.0", `userAgent=y" userPoolId=`+poolB, 1), "userName=n ", `userName="x `, 1)
	addr := startServeOn(t, base, normalA.line()+spoofLine+normalB.line()+uaLine+plantLine+quotedLine)

	for _, tt := range []struct {
		pool string
		want string
	}{
		{poolA, "sp-6,sp-5,sp-4,sp-2,sp-1"},
		{poolB, "sp-3,sp-2"},
		{"8000000000000000000000cc", ""},
	} {
		_, r := get(t, addr, "/api/v2/analysis/audit?limit=100", token(t, tt.pool), nil)
		if got := strings.Join(ids(r), ","); got != tt.want || r.Data.TotalCount != len(ids(r)) {
			t.Errorf("pool %s sees %q (total %d), want %q", tt.pool, got, r.Data.TotalCount, tt.want)
		}
		for _, d := range r.Data.List {
			if d["logId"] != "sp-2" {
				continue
			}
			amb, _ := d["ambiguousKeys"].(map[string]any)
			// First wins: the value runs up to the next new key, so it
			// holds the spoofed pool and the real key as text.
			if pid, _ := d["userPoolId"].(string); !strings.HasPrefix(pid, poolB) || amb == nil || fmt.Sprint(amb["userPoolIds"]) != fmt.Sprint([]any{poolB, poolA}) {
				t.Errorf("spoofed document not flagged as expected: userPoolId %v, ambiguousKeys %v", d["userPoolId"], amb)
			}
		}
	}
}
