package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ingestd/ingestd/internal/auditgen"
	"github.com/ingestd/ingestd/parser"
)

// writer appends generated lines to dated files in dir at a steady pace and
// records every logId it wrote.
type writer struct {
	dir   string
	mu    sync.Mutex
	ids   []string
	total int
}

func (w *writer) run(t *testing.T, ctx context.Context, n, perTick int, tick time.Duration, seed uint64) {
	g := auditgen.New(seed, time.Date(2021, 9, 22, 23, 59, 0, 0, time.UTC))
	var ev parser.Event
	var f *os.File
	var day string
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	for written := 0; written < n; {
		var buf []byte
		for i := 0; i < perTick && written < n; i++ {
			d := g.Time().Format("2006-01-02")
			if d != day {
				if len(buf) > 0 {
					f.Write(buf)
					buf = buf[:0]
				}
				if f != nil {
					f.Close()
				}
				var err error
				f, err = os.OpenFile(filepath.Join(w.dir, "audit."+d+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
				if err != nil {
					t.Error(err)
					return
				}
				day = d
			}
			start := len(buf)
			buf = g.Append(buf)
			parser.Parse(buf[start:], &ev)
			id, _ := ev.Get(parser.LogID)
			w.mu.Lock()
			w.ids = append(w.ids, string(id))
			w.mu.Unlock()
			written++
		}
		if _, err := f.Write(buf); err != nil {
			t.Error(err)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(tick):
		}
	}
}

func writeConfig(t *testing.T, dir, esURL, index string, extra string) string {
	t.Helper()
	cfg := fmt.Sprintf(`input:
  dir: %s
  poll_interval: 100ms
  rotate_grace: 500ms
registry:
  path: %s
  flush_interval: 5ms
enrich:
  host: e2e
  no_geoip: true
output:
  urls: [%s]
  engine: opensearch
  index: "%s"
  flush_interval: 200ms
  request_timeout: 5s
dead_letter:
  path: %s
status_interval: 1s
%s`, filepath.Join(dir, "logs"), filepath.Join(dir, "registry.json"), esURL, index, filepath.Join(dir, "dlq.ndjson"), extra)
	path := filepath.Join(dir, "ingestd.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "check-config", path).CombinedOutput()
	if err != nil {
		t.Fatalf("check-config: %v\n%s", err, out)
	}
	return path
}

func startDaemon(t *testing.T, cfg string, log io.Writer) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "run", "--config", cfg)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// allIDs returns every _id in the indices matching pattern.
func allIDs(t *testing.T, base, pattern string) []string {
	t.Helper()
	call(t, http.MethodPost, base+"/"+pattern+"/_refresh", nil, nil)
	var ids []string
	var after []any
	for {
		q := map[string]any{"size": 5000, "_source": false, "sort": []any{map[string]string{"logId": "asc"}}}
		if after != nil {
			q["search_after"] = after
		}
		b, _ := json.Marshal(q)
		var res struct {
			Hits struct {
				Hits []struct {
					ID   string `json:"_id"`
					Sort []any  `json:"sort"`
				} `json:"hits"`
			} `json:"hits"`
		}
		call(t, http.MethodPost, base+"/"+pattern+"/_search", bytes.NewReader(b), &res)
		if len(res.Hits.Hits) == 0 {
			return ids
		}
		for _, h := range res.Hits.Hits {
			ids = append(ids, h.ID)
		}
		after = res.Hits.Hits[len(res.Hits.Hits)-1].Sort
	}
}

func waitCount(t *testing.T, base, pattern string, want int, within time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(within)
	got := -1
	for time.Now().Before(deadline) {
		got = countQuiet(base, pattern)
		if got == want {
			return got
		}
		time.Sleep(250 * time.Millisecond)
	}
	return got
}

func countQuiet(base, pattern string) int {
	http.Post(base+"/"+pattern+"/_refresh", "application/json", nil)
	res, err := http.Get(base + "/" + pattern + "/_count")
	if err != nil {
		return -1
	}
	defer res.Body.Close()
	var c struct {
		Count int `json:"count"`
	}
	json.NewDecoder(res.Body).Decode(&c)
	return c.Count
}

func checkExact(t *testing.T, base, pattern string, w *writer) {
	t.Helper()
	got := allIDs(t, base, pattern)
	want := map[string]bool{}
	for _, id := range w.ids {
		want[id] = true
	}
	if len(got) != len(w.ids) {
		t.Errorf("index holds %d documents, %d lines were written", len(got), len(w.ids))
	}
	seen := map[string]bool{}
	for _, id := range got {
		if !want[id] {
			t.Errorf("unexpected document %s", id)
		}
		if seen[id] {
			t.Errorf("document %s twice", id)
		}
		seen[id] = true
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("line %s lost", id)
		}
	}
}

// TestDaemonCrashRestart: a writer appends lines (crossing midnight into the
// next day's file) while ingestd is kill -9'ed and restarted at random
// moments, at least 10 times (the registry is saved every 5 ms, so kills
// land during registry writes too). At the end the index holds exactly the
// written lines.
func TestDaemonCrashRestart(t *testing.T) {
	base := strings.TrimRight(need(t, "INGESTD_ENGINE_URL"), "/")
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "logs"), 0o755)
	prefix := uniquePrefix("crash")
	cfg := writeConfig(t, dir, base, prefix+"%{+yyyy.MM.dd}", "")
	var logs bytes.Buffer
	var logMu sync.Mutex
	logw := writerFunc(func(p []byte) (int, error) { logMu.Lock(); defer logMu.Unlock(); return logs.Write(p) })

	w := &writer{dir: filepath.Join(dir, "logs")}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const total = 30_000
	wdone := make(chan struct{})
	go func() { defer close(wdone); w.run(t, ctx, total, 300, 40*time.Millisecond, 11) }()

	rnd := rand.New(rand.NewPCG(1, 2))
	for cycle := 0; cycle < 12; cycle++ {
		d := startDaemon(t, cfg, logw)
		time.Sleep(time.Duration(300+rnd.IntN(1500)) * time.Millisecond)
		d.Process.Signal(syscall.SIGKILL)
		d.Wait()
	}
	<-wdone
	d := startDaemon(t, cfg, logw)
	got := waitCount(t, base, prefix+"*", total, 3*time.Minute)
	d.Process.Signal(syscall.SIGTERM)
	d.Wait()
	if got != total {
		logMu.Lock()
		t.Logf("daemon log:\n%s", lastLines(logs.String(), 40))
		logMu.Unlock()
	}
	checkExact(t, base, prefix+"*", w)
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// flakyProxy forwards TCP to the engine and can be taken down (its
// listener closed: connection refused) and brought back on the same port.
type flakyProxy struct {
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func (p *flakyProxy) up(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { io.Copy(u, c); u.Close() }()
			go func() { io.Copy(c, u); c.Close() }()
		}
	}()
}

func (p *flakyProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func rssKB(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			n, _ := strconv.Atoi(strings.Fields(l)[1])
			return n
		}
	}
	return -1
}

// TestDaemonEngineDown: the engine becomes unreachable mid-stream while
// lines keep coming; ingestd stops reading (memory stays bounded: the log
// files are the buffer) and catches up once the engine is back.
func TestDaemonEngineDown(t *testing.T) {
	base := strings.TrimRight(need(t, "INGESTD_ENGINE_URL"), "/")
	target := strings.TrimPrefix(strings.TrimPrefix(base, "http://"), "https://")
	proxy := &flakyProxy{target: target, addr: "127.0.0.1:0"}
	proxy.up(t)
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "logs"), 0o755)
	prefix := uniquePrefix("down")
	cfg := writeConfig(t, dir, "http://"+proxy.addr, prefix+"%{+yyyy.MM.dd}", "")
	var logs bytes.Buffer
	var logMu sync.Mutex
	logw := writerFunc(func(p []byte) (int, error) { logMu.Lock(); defer logMu.Unlock(); return logs.Write(p) })

	w := &writer{dir: filepath.Join(dir, "logs")}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const total = 120_000
	wdone := make(chan struct{})
	go func() { defer close(wdone); w.run(t, ctx, total, 4000, 50*time.Millisecond, 12) }()

	d := startDaemon(t, cfg, logw)
	time.Sleep(2 * time.Second)
	proxy.down()
	maxRSS := 0
	for i := 0; i < 30; i++ { // 6 s with the engine unreachable
		maxRSS = max(maxRSS, rssKB(d.Process.Pid))
		time.Sleep(200 * time.Millisecond)
	}
	proxy.up(t)
	<-wdone
	got := waitCount(t, base, prefix+"*", total, 4*time.Minute)
	maxRSS = max(maxRSS, rssKB(d.Process.Pid))
	d.Process.Signal(syscall.SIGTERM)
	if err := d.Wait(); err != nil {
		t.Errorf("daemon exit: %v", err)
	}
	logMu.Lock()
	out := logs.String()
	logMu.Unlock()
	if got != total {
		t.Logf("daemon log:\n%s", lastLines(out, 40))
	}
	checkExact(t, base, prefix+"*", w)
	t.Logf("max RSS while the engine was down or catching up: %d MB", maxRSS/1024)
	if maxRSS > 400*1024 {
		t.Errorf("RSS reached %d MB: memory is not bounded", maxRSS/1024)
	}
	if !strings.Contains(out, "engine requests failing") {
		t.Errorf("the outage was not reported:\n%s", lastLines(out, 20))
	}
}

type osProcess = exec.Cmd

func newDaemonCmd(cfg string) *exec.Cmd {
	cmd := exec.Command(bin, "run", "--config", cfg)
	cmd.Stderr = io.Discard
	return cmd
}
