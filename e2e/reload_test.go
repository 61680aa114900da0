package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/ingestd/ingestd/internal/syncbuf"
	"time"
)

// reloadIP is in the real GeoLite2 City database and not in the test one.
const reloadIP = "81.2.69.142"

// reloadLine is the seed line with its own logId and reloadIP.
func reloadLine(n int) (id, line string) {
	id = fmt.Sprintf("reload-%04d-c1a9-4fbd-bafe-c45d00da173b", n)
	line = fmt.Sprintf("[2021-09-22T07:47:%02d.559-0000] logId=%s appId=null userName=@authing.cn userPoolId=61384d3e302f1f75e69ce95a userId=61384cf9628539c0f83943e7 requestId=6939cb03-9013-4c08-8954-2920babeed35 roleName=admin roleCode=null roleId=null userAgent=python-requests/2.26.0 clientIp=%s eventType=createUser eventDetails=null resourceType=DATA resourceName=user resourceDetails=shxbxpbodj operationType=create operationMode=sdk originValue=null targetValue=null eventResultCode=success operationParam=null eventResultMsg=null\n", 20+n, id, reloadIP)
	return id, line
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// renameOver writes b next to path and renames it over path, as
// geoipupdate does.
func renameOver(t *testing.T, path string, b []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// metricValue scrapes one sample (name with its labels, as printed).
func metricValue(t *testing.T, addr, sample string) float64 {
	t.Helper()
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return -1
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sample) + ` (\S+)$`).FindSubmatch(b)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

func waitMetric(t *testing.T, addr, sample string, want float64, log *syncbuf.Buffer) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if metricValue(t, addr, sample) == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never reached %v (last %v)\n%s", sample, want, metricValue(t, addr, sample), lastLines(log.String(), 20))
}

// getDoc returns the stored document with this _id.
func getDoc(t *testing.T, base, index, id string) map[string]any {
	t.Helper()
	var res struct {
		Source map[string]any `json:"_source"`
	}
	call(t, http.MethodGet, base+"/"+index+"/_doc/"+id, nil, &res)
	return res.Source
}

// TestLiveReload (issue 11 acceptance): against the real engine, the daemon
// takes a GeoIP database renamed over its path, refuses a corrupt one and
// keeps the one in use, and takes a changed dictionary on SIGHUP — no
// restart, every line indexed exactly once.
func TestLiveReload(t *testing.T) {
	base := need(t, "INGESTD_ENGINE_URL")
	realDB := need(t, "INGESTD_GEOLITE2_CITY")
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	os.MkdirAll(logs, 0o755)
	geoPath := filepath.Join(dir, "geoip", "GeoLite2-City.mmdb")
	os.MkdirAll(filepath.Dir(geoPath), 0o755)
	copyFile(t, "../testdata/GeoLite2-City-Test.mmdb", geoPath)
	dictPath := filepath.Join(dir, "dict.yaml")
	writeDict := func(display string) {
		if err := os.WriteFile(dictPath, []byte("fields:\n  eventType:\n    createUser: "+display+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeDict("创建用户-v1")
	prefix := uniquePrefix("reload")
	index := prefix + "%{+yyyy.MM.dd}"
	pattern := prefix + "*"
	metricsAddr := freePort(t)
	cfg := fmt.Sprintf(`input:
  dir: %s
  poll_interval: 100ms
registry:
  path: %s
  flush_interval: 50ms
enrich:
  host: e2e
  geoip_db: %s
  geoip_check_interval: 100ms
  dict: %s
output:
  urls: [%s]
  engine: opensearch
  index: "%s"
  flush_interval: 100ms
dead_letter:
  path: %s
metrics:
  listen: %s
`, logs, filepath.Join(dir, "registry.json"), geoPath, dictPath, base, index, filepath.Join(dir, "dlq.ndjson"), metricsAddr)
	cfgPath := filepath.Join(dir, "ingestd.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// systemd's notify socket: READY=1 once the engine answered, STOPPING=1
	// at SIGTERM.
	notifyPath := filepath.Join(dir, "notify")
	notifyConn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: notifyPath, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer notifyConn.Close()
	t.Setenv("NOTIFY_SOCKET", notifyPath)
	notified := func(want string) {
		t.Helper()
		notifyConn.SetReadDeadline(time.Now().Add(30 * time.Second))
		buf := make([]byte, 256)
		n, err := notifyConn.Read(buf)
		if err != nil || !strings.HasPrefix(string(buf[:n]), want) {
			t.Fatalf("notify socket: got %q (%v), want %s", buf[:n], err, want)
		}
	}

	var log syncbuf.Buffer
	d := startDaemon(t, cfgPath, &log)
	exited := make(chan error, 1)
	go func() { exited <- d.Wait() }()
	defer func() {
		select {
		case <-exited:
		default:
			d.Process.Kill()
		}
	}()

	logFile, err := os.OpenFile(filepath.Join(logs, "audit.2021-09-22.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	var ids []string
	// write appends line n and waits until the engine holds n documents.
	write := func(n int) map[string]any {
		t.Helper()
		id, line := reloadLine(n)
		ids = append(ids, id)
		if _, err := logFile.WriteString(line); err != nil {
			t.Fatal(err)
		}
		if got := waitCount(t, base, pattern, n, 30*time.Second); got != n {
			t.Fatalf("after line %d the engine holds %d documents\n%s", n, got, lastLines(log.String(), 20))
		}
		return getDoc(t, base, strings.ReplaceAll(index, "%{+yyyy.MM.dd}", "2021.09.22"), id)
	}
	country := func(doc map[string]any) any {
		g, _ := doc["geoip"].(map[string]any)
		return g["country_code2"]
	}

	notified("READY=1")
	if !strings.Contains(log.String(), "indexing into the engine") {
		t.Fatal("READY=1 before the engine answered")
	}
	doc := write(1)
	if _, ok := doc["geoip"]; ok {
		t.Fatalf("the test database should not place %s: %v", reloadIP, doc["geoip"])
	}
	if doc["eventType"] != "创建用户-v1" {
		t.Fatalf("eventType %q, want the dictionary's", doc["eventType"])
	}

	// geoipupdate-style replacement by the real database.
	realBytes, err := os.ReadFile(realDB)
	if err != nil {
		t.Fatal(err)
	}
	renameOver(t, geoPath, realBytes)
	waitMetric(t, metricsAddr, `ingestd_reloads_total{result="success",what="geoip"}`, 1, &log)
	if doc := write(2); country(doc) != "GB" {
		t.Fatalf("after the reload %s has no GB geoip: %v", reloadIP, doc["geoip"])
	}

	// A corrupt replacement is refused; the real database stays in use.
	corrupt := bytes.Clone(realBytes[:len(realBytes)/2])
	renameOver(t, geoPath, corrupt)
	waitMetric(t, metricsAddr, `ingestd_reloads_total{result="failure",what="geoip"}`, 1, &log)
	if doc := write(3); country(doc) != "GB" {
		t.Fatalf("after a refused replacement the old database is not in use: %v", doc["geoip"])
	}
	if n := strings.Count(log.String(), "geoip database replacement refused"); n != 1 {
		t.Errorf("%d refusal log lines, want 1\n%s", n, lastLines(log.String(), 20))
	}

	// A changed dictionary on SIGHUP.
	writeDict("创建用户-v2")
	if err := d.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	notified("RELOADING=1")
	notified("READY=1")
	waitMetric(t, metricsAddr, `ingestd_reloads_total{result="success",what="tables"}`, 1, &log)
	if doc := write(4); doc["eventType"] != "创建用户-v2" || country(doc) != "GB" {
		t.Fatalf("after SIGHUP: eventType %q geoip %v", doc["eventType"], doc["geoip"])
	}
	// A broken dictionary on SIGHUP is refused; the last good one stays.
	if err := os.WriteFile(dictPath, []byte("fields: [not, a, map\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d.Process.Signal(syscall.SIGHUP)
	notified("RELOADING=1")
	notified("READY=1")
	waitMetric(t, metricsAddr, `ingestd_reloads_total{result="failure",what="tables"}`, 1, &log)
	if doc := write(5); doc["eventType"] != "创建用户-v2" {
		t.Fatalf("after a refused dictionary: eventType %q", doc["eventType"])
	}

	select {
	case err := <-exited:
		t.Fatalf("the daemon exited during the reloads: %v\n%s", err, lastLines(log.String(), 20))
	default:
	}
	got := allIDs(t, base, pattern)
	if strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Errorf("engine holds %v, want exactly %v", got, ids)
	}
	if v := metricValue(t, metricsAddr, "ingestd_geoip_database_build_timestamp_seconds"); v < 1.5e9 {
		t.Errorf("database build time %v", v)
	}
	d.Process.Signal(syscall.SIGTERM)
	notified("STOPPING=1")
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("daemon exit: %v\n%s", err, lastLines(log.String(), 20))
		}
	case <-time.After(30 * time.Second):
		t.Fatal("daemon did not stop")
	}
}
