package daemon

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ingestd/ingestd/internal/fakees"
)

// TestRunCommitsWhatTheEngineHolds: without cobra, Run indexes the file,
// commits its offset once the engine acknowledged it, and on cancellation
// flushes, saves the registry and reports; garbage lines are
// dead-lettered and still committed.
func TestRunCommitsWhatTheEngineHolds(t *testing.T) {
	var docs atomic.Int64
	es := fakees.New(200, func(n int) { docs.Add(int64(n)) })
	defer es.Close()
	c, file := testConfig(t, es.URL, seedLine+"garbage\n"+seedLine)
	var stderr strings.Builder
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, c, Options{Template: []byte(`{}`), Stderr: &stderr, Logger: quiet}) }()
	size := int64(len(seedLine)*2 + len("garbage\n"))
	deadline := time.Now().Add(10 * time.Second)
	for docs.Load() < 2 || committed(t, c.Registry.Path, file) != size {
		if time.Now().After(deadline) {
			t.Fatalf("indexed %d, committed %d of %d", docs.Load(), committed(t, c.Registry.Path, file), size)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := stderr.String(); !strings.Contains(got, "run: 3 lines, 2 documents, 1 dead-lettered, 0 blank") ||
		!strings.Contains(got, "run: engine indexed 2") {
		t.Errorf("summary:\n%s", got)
	}
	if b, err := os.ReadFile(c.DeadLetter.Path); err != nil || !strings.Contains(string(b), `"raw":"garbage"`) {
		t.Errorf("dead letters: %s %v", b, err)
	}
}

// TestRunErrors: what Run reports, and whether it is the configuration's.
func TestRunErrors(t *testing.T) {
	es := fakees.New(200, nil)
	defer es.Close()
	for _, tt := range []struct {
		name  string
		edit  func(c *Config)
		usage bool
		want  string
	}{
		{"unknown language", func(c *Config) { c.Enrich.Lang = "fr" }, true, "enrich: "},
		{"missing directory file", func(c *Config) { c.Enrich.Directory = "/no/such/directory.yaml" }, true, "enrich.directory: "},
		{"metrics address taken", func(c *Config) { c.Metrics.Listen = "256.0.0.1:1" }, true, "metrics"},
		{"unreadable registry", func(c *Config) { c.Registry.Path = c.Input.Dir }, false, "registry"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := testConfig(t, es.URL, seedLine)
			tt.edit(c)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := Run(ctx, c, Options{Template: []byte(`{}`), Logger: quiet})
			var ue *UsageError
			if err == nil || errors.As(err, &ue) != tt.usage || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v (usage error: %v), want %q, usage %v", err, errors.As(err, &ue), tt.want, tt.usage)
			}
		})
	}
}

// TestRunStoppedWhileReachingTheEngine: a stop before the engine answers
// is not an error.
func TestRunStoppedWhileReachingTheEngine(t *testing.T) {
	c, _ := testConfig(t, "http://127.0.0.1:1", seedLine)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := Run(ctx, c, Options{Template: []byte(`{}`), Logger: quiet}); err != nil {
		t.Errorf("err = %v", err)
	}
}

// TestCheck: the enrich section's files are opened by Check, and every
// problem is reported with its key.
func TestCheck(t *testing.T) {
	c, _ := testConfig(t, "http://127.0.0.1:9", seedLine)
	if p := Check(c, quiet); len(p) != 0 {
		t.Errorf("valid configuration: %v", p)
	}
	c.Enrich.GeoIPCheck = -time.Second
	c.Output.FlushDocs = -1
	c.Input.StartAt = "middle"
	p := strings.Join(Check(c, quiet), "\n")
	for _, want := range []string{"enrich.geoip_check_interval: -1s: must not be negative", "output.flush_docs: -1: must be positive", `input.start_at: "middle"`} {
		if !strings.Contains(p, want) {
			t.Errorf("Check does not report %q:\n%s", want, p)
		}
	}
}
