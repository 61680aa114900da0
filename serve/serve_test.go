package serve

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ingestd/ingestd/internal/exitcode"
	"github.com/ingestd/ingestd/internal/fakees"
	"github.com/ingestd/ingestd/query"
	"github.com/ingestd/ingestd/sink"
)

// fileLog is a logger writing to a file of t's, and a func returning
// what it wrote so far.
func fileLog(t *testing.T) (*slog.Logger, func() string) {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return slog.New(slog.NewTextHandler(f, nil)), func() string {
		b, _ := os.ReadFile(f.Name())
		return string(b)
	}
}

// eventually waits up to 5 s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func text(s string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, s) })
}

func get(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	return rec.Body.String()
}

// TestLifecycleSwapsOnHangup: a hangup puts the rebuilt handler in place;
// a failed rebuild keeps the one in use; nothing happens after ctx ends.
func TestLifecycleSwapsOnHangup(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log, logs := fileLog(t)
	hangups := make(chan os.Signal, 1)
	h := NewSwapHandler(text("v1"))
	next := []struct {
		h   http.Handler
		err error
	}{{text("v2"), nil}, {nil, errors.New("pools file broken")}}
	var mu sync.Mutex
	Lifecycle(ctx, log, hangups, h, func() (http.Handler, error) {
		mu.Lock()
		defer mu.Unlock()
		n := next[0]
		next = next[1:]
		return n.h, n.err
	})
	if got := get(t, h); got != "v1" {
		t.Fatalf("before a hangup: %q", got)
	}
	hangups <- syscall.SIGHUP
	eventually(t, "the reload", func() bool { return get(t, h) == "v2" })
	hangups <- syscall.SIGHUP
	eventually(t, "the refusal", func() bool { return strings.Contains(logs(), "reload refused") })
	if got := get(t, h); got != "v2" {
		t.Errorf("after a refused reload: %q, want the handler in use (v2)", got)
	}
}

func writePools(t *testing.T, path, pool string) {
	t.Helper()
	h, err := query.HashSecret("a pool secret of some length")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("pools:\n  "+pool+": "+h+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRunUsageAndFailures: what serve refuses before serving, with the
// README's exit status.
func TestRunUsageAndFailures(t *testing.T) {
	es := fakees.New(201, nil)
	defer es.Close()
	dir := t.TempDir()
	badPools := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badPools, []byte("pools: [\n"), 0o600)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tc := range []struct {
		name string
		key  string
		set  func(o *Options)
		want int
	}{
		{"no signing key", "", nil, exitcode.Usage},
		{"short signing key", "short", nil, exitcode.Usage},
		{"broken pools file", strings.Repeat("k", 32), func(o *Options) { o.Pools = badPools }, exitcode.Usage},
		{"no engine", strings.Repeat("k", 32), func(o *Options) { o.Conn.URLs = nil }, exitcode.Usage},
		{"address in use", strings.Repeat("k", 32), func(o *Options) { o.Listen = busy.Addr().String() }, exitcode.Failed},
		{"negative exchange burst", strings.Repeat("k", 32), func(o *Options) { o.Query.Exchange.Burst = -1 }, exitcode.Usage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(EnvSigningKey, tc.key)
			o := Defaults()
			o.Conn = sink.Conn{URLs: []string{es.URL}, Flavor: sink.FlavorAuto}
			o.Logger = slog.New(slog.DiscardHandler)
			if tc.set != nil {
				tc.set(&o)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if got := exitcode.Of(Run(ctx, o)); got != tc.want {
				t.Errorf("exit status %d, want %d", got, tc.want)
			}
		})
	}
}

// TestRunServesReloadsAndStops: Run answers on its listener, reads the
// pools file again on a hangup (a broken one is refused, the server goes
// on) and returns nil, exit status 0, once its context ends.
func TestRunServesReloadsAndStops(t *testing.T) {
	t.Setenv(EnvSigningKey, strings.Repeat("k", 32))
	es := fakees.New(201, nil)
	defer es.Close()
	pools := filepath.Join(t.TempDir(), "pools.yaml")
	writePools(t, pools, "pool-a")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	log, logs := fileLog(t)
	hangups := make(chan os.Signal, 1)
	o := Defaults()
	o.Conn = sink.Conn{URLs: []string{es.URL}, Flavor: sink.FlavorAuto}
	o.Listener, o.Pools, o.Hangups = ln, pools, hangups
	o.Logger = log
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, o) }()

	resp, err := http.Get("http://" + ln.Addr().String() + "/api/v2/analysis/audit")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without a token: status %d, want 401", resp.StatusCode)
	}
	writePools(t, pools, "pool-b")
	hangups <- syscall.SIGHUP
	eventually(t, "the reload", func() bool { return strings.Contains(logs(), "pools file reloaded") })
	os.WriteFile(pools, []byte("pools: [\n"), 0o600)
	hangups <- syscall.SIGHUP
	eventually(t, "the refusal", func() bool { return strings.Contains(logs(), "reload refused") })

	cancel()
	select {
	case err := <-done:
		if code := exitcode.Of(err); code != exitcode.OK {
			t.Fatalf("Run after its context ended: %v (exit %d)", err, code)
		}
	case <-time.After(query.ShutdownGrace + 5*time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}
