package replay

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ingestd/ingestd/internal/exitcode"
	"github.com/ingestd/ingestd/internal/fakees"
)

// A real audit line (the reference sample's) and one that cannot be parsed.
const (
	goodLine = "[2021-09-22T07:47:21.559-0000] logId=c72c118e-c1a9-4fbd-bafe-c45d00da173b appId=null userName=@authing.cn userPoolId=61384d3e302f1f75e69ce95a userId=61384cf9628539c0f83943e7 requestId=6939cb03-9013-4c08-8954-2920babeed35 roleName=admin roleCode=null roleId=null userAgent=python-requests/2.26.0 clientIp=111.202.167.58 eventType=createUser eventDetails=null resourceType=DATA resourceName=user resourceDetails=shxbxpbodj operationType=create operationMode=sdk originValue=null targetValue=null eventResultCode=success operationParam=null eventResultMsg=null\n"
	badLine  = "this is not an audit line\n"
)

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func options(dir string) (Options, *bytes.Buffer) {
	o := Defaults()
	o.Enrich.NoGeoIP, o.Enrich.Host = true, "h1"
	o.DLQ = filepath.Join(dir, "dlq.ndjson")
	var out bytes.Buffer
	o.Stdout, o.Logger = &out, discard()
	return o, &out
}

// TestRunExitStatus: each way a replay ends maps to the README's status.
func TestRunExitStatus(t *testing.T) {
	es := fakees.New(201, nil)
	defer es.Close()
	for _, tc := range []struct {
		name   string
		body   string
		args   func(dir, file string) []string
		set    func(o *Options)
		cancel bool
		want   int
		docs   int
	}{
		{name: "one document", body: goodLine, want: exitcode.OK, docs: 1},
		{name: "dead letter", body: goodLine + badLine, want: exitcode.Failed, docs: 1},
		{name: "dead letter allowed", body: goodLine + badLine, set: func(o *Options) { o.AllowDeadLetters = true }, want: exitcode.OK, docs: 1},
		{name: "no input files", body: goodLine, args: func(dir, _ string) []string { return []string{emptyDir(dir)} }, want: exitcode.Usage},
		{name: "bad date range", body: goodLine, set: func(o *Options) { o.From = "yesterday" }, want: exitcode.Usage},
		{name: "out and es", body: goodLine, set: func(o *Options) { o.Out = "x"; o.Conn.URLs = []string{es.URL} }, want: exitcode.Usage},
		{name: "engine", body: goodLine, set: func(o *Options) { o.Conn.URLs = []string{es.URL} }, want: exitcode.OK},
		{name: "unwritable out", body: goodLine, set: func(o *Options) { o.Out = "/nonexistent/dir/out" }, want: exitcode.Failed},
		{name: "interrupted", body: goodLine, cancel: true, want: exitcode.Interrupted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file := writeFile(t, dir, "audit.2021-09-22.log", tc.body)
			o, out := options(dir)
			if tc.set != nil {
				tc.set(&o)
			}
			args := []string{file}
			if tc.args != nil {
				args = tc.args(dir, file)
			}
			ctx, cancel := context.WithCancel(context.Background())
			if tc.cancel {
				cancel()
			}
			defer cancel()
			err := Run(ctx, args, o)
			if got := exitcode.Of(err); got != tc.want {
				t.Fatalf("exit status %d, want %d (err %v)", got, tc.want, err)
			}
			if n := strings.Count(out.String(), "\n"); n != tc.docs {
				t.Errorf("%d document(s) on stdout, want %d", n, tc.docs)
			}
			if tc.docs == 1 && !strings.Contains(out.String(), `"userPoolId":"61384d3e302f1f75e69ce95a"`) {
				t.Errorf("document lacks the line's userPoolId: %s", out.String())
			}
		})
	}
}

// TestArchiveInputs: directories, patterns and --from/--to select files;
// DocPath follows PathDir.
func TestArchiveInputs(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "audit.2021-09-21.log", goodLine)
	writeFile(t, dir, "audit.2021-09-22.log", goodLine)
	writeFile(t, dir, "other.log", goodLine)
	a := DefaultArchive()
	a.From, a.PathDir = "2021-09-22", "/var/log/authing"
	inputs, total, err := a.Inputs([]string{dir}, discard())
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) != 1 || filepath.Base(inputs[0].Path) != "audit.2021-09-22.log" || total != int64(len(goodLine)) {
		t.Fatalf("inputs %+v, total %d", inputs, total)
	}
	if inputs[0].DocPath != "/var/log/authing/audit.2021-09-22.log" {
		t.Errorf("DocPath %q", inputs[0].DocPath)
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func emptyDir(dir string) string {
	p := filepath.Join(dir, "empty")
	if err := os.Mkdir(p, 0o700); err != nil {
		panic(err)
	}
	return p
}
