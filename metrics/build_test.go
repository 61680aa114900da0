package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ingestd/ingestd/enrich"
)

type okTransport struct{}

func (okTransport) Perform(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("{}"))}, nil
}

// TestBuildReloadAndBulkMetrics: build_info, the reload counters, the
// database build time and the bulk duration histogram are served.
func TestBuildReloadAndBulkMetrics(t *testing.T) {
	geo, err := enrich.OpenGeoIP("../testdata/GeoLite2-City-Test.mmdb", 1)
	if err != nil {
		t.Fatal(err)
	}
	rs := &ReloadStats{}
	rs.Tables.Store(2)
	rs.TablesFailed.Store(1)
	h := Handler(NewCollector(Sources{Enricher: enrich.New(enrich.Config{GeoIP: geo}), Reloads: rs}), nil)
	tr := TimeBulk(okTransport{})
	for _, path := range []string{"/_bulk", "/authing-audit/_bulk", "/_index_template/x"} {
		req := httptest.NewRequest("POST", "http://engine"+path, nil)
		if _, err := tr.Perform(req); err != nil {
			t.Fatal(err)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`ingestd_build_info{commit="`,
		`ingestd_reloads_total{result="success",what="tables"} 2`,
		`ingestd_reloads_total{result="failure",what="tables"} 1`,
		`ingestd_reloads_total{result="success",what="geoip"} 0`,
		`ingestd_reloads_total{result="failure",what="geoip"} 0`,
		"ingestd_geoip_database_build_timestamp_seconds 1.6322688e+09",
		"ingestd_engine_bulk_request_duration_seconds_count 2\n", // not the template request
		`ingestd_engine_bulk_request_duration_seconds_bucket{le="0.005"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
