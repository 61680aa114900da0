package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/ingestd/ingestd/internal/exitcode"
	"github.com/ingestd/ingestd/sink"
)

// runOptions verifies a's file against srv as the command would, with the
// settings newArchive's documents were built with.
func runOptions(a *archive, url string) (Options, *bytes.Buffer) {
	o := Defaults()
	o.Args = []string{a.file}
	o.Conn = sink.Conn{URLs: []string{url}, Flavor: sink.FlavorOpenSearch}
	o.Enrich.NoGeoIP, o.Enrich.Host, o.PathDir = true, "h1", "/logs"
	o.Check.Attempts = 1
	o.JSON = true
	var out bytes.Buffer
	o.Stdout, o.Logger = &out, slog.New(slog.DiscardHandler)
	return o, &out
}

// TestRunExitStatus: verify.Run without cobra, each outcome mapped to the
// README's exit status, and the result printed as JSON with --json.
func TestRunExitStatus(t *testing.T) {
	a := newArchive(t, 50)
	for _, tc := range []struct {
		name    string
		set     func(o *Options, f *fakeEngine, srv *httptest.Server)
		want    int
		present int64
		missing int64
		cancel  bool
	}{
		{name: "every document present", want: exitcode.OK, present: 50},
		{name: "one missing", set: func(_ *Options, f *fakeEngine, _ *httptest.Server) {
			delete(f.docs[a.index[7]], a.ids[7])
		}, want: exitcode.Failed, present: 49, missing: 1},
		{name: "no engine", set: func(o *Options, _ *fakeEngine, _ *httptest.Server) { o.Conn.URLs = nil }, want: exitcode.Usage},
		{name: "data stream", set: func(o *Options, _ *fakeEngine, _ *httptest.Server) { o.Output.DataStream = "logs" }, want: exitcode.Usage},
		{name: "bad date", set: func(o *Options, _ *fakeEngine, _ *httptest.Server) { o.To = "2021-13-45" }, want: exitcode.Usage},
		{name: "engine fails", set: func(_ *Options, f *fakeEngine, _ *httptest.Server) { f.fail.Store(1 << 30) }, want: exitcode.Failed},
		{name: "interrupted", cancel: true, want: exitcode.Interrupted},
		{name: "report file unwritable", set: func(o *Options, _ *fakeEngine, _ *httptest.Server) {
			o.Report = filepath.Join(t.TempDir(), "missing", "report.ndjson")
		}, want: exitcode.Failed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeEngine{docs: map[string]map[string][]byte{}, hidden: map[string]bool{}}
			for i := range a.ids {
				f.put(a.index[i], a.ids[i], a.srcs[i])
			}
			srv := httptest.NewServer(f)
			defer srv.Close()
			o, out := runOptions(a, srv.URL)
			if tc.set != nil {
				tc.set(&o, f, srv)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancel {
				cancel()
			}
			res, err := Run(ctx, o)
			if got := exitcode.Of(err); got != tc.want {
				t.Fatalf("exit status %d, want %d (err %v)", got, tc.want, err)
			}
			if tc.present+tc.missing == 0 {
				return
			}
			if res.Present != tc.present || res.Missing != tc.missing {
				t.Errorf("present %d missing %d, want %d and %d", res.Present, res.Missing, tc.present, tc.missing)
			}
			var printed Result
			if err := json.Unmarshal(out.Bytes(), &printed); err != nil || printed.Present != tc.present {
				t.Errorf("--json output %q: %v", out.String(), err)
			}
		})
	}
}
