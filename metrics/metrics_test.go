package metrics

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ingestd/ingestd/pipeline"
)

func TestCollectorAndHealth(t *testing.T) {
	var st pipeline.Stats
	st.Lines.Store(42)
	st.Documents.Store(40)
	st.DeadLetters.Store(2)
	var saves atomic.Int64
	saves.Store(3)
	var unhealthy error
	h := Handler(NewCollector(Sources{Pipeline: &st, RegistrySave: &saves}), func() error { return unhealthy })
	srv := httptest.NewServer(h)
	defer srv.Close()

	get := func(path string) (int, string) {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	code, body := get("/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		"ingestd_lines_read_total 42\n",
		"ingestd_documents_total 40\n",
		`ingestd_dead_lettered_total{stage="parse"} 2` + "\n",
		"ingestd_registry_save_failures_total 3\n",
		"go_goroutines ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// Absent sources give absent metrics, not zeros that look like data.
	if strings.Contains(body, "ingestd_engine_indexed_total") || strings.Contains(body, "ingestd_lag_bytes") {
		t.Error("metrics of absent sources are reported")
	}
	if code, body := get("/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz healthy: %d %q", code, body)
	}
	unhealthy = errors.New("bulk sink stopped: the dead-letter file failed")
	if code, body := get("/healthz"); code != 503 || !strings.Contains(body, "dead-letter") {
		t.Errorf("/healthz failed sink: %d %q", code, body)
	}
}

func TestListenBadAddress(t *testing.T) {
	if _, err := Listen("127.0.0.1:notaport", http.NotFoundHandler()); err == nil {
		t.Fatal("a bad address was accepted")
	}
	stop, err := Listen("127.0.0.1:0", http.NotFoundHandler())
	if err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
}
