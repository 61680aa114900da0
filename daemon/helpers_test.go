package daemon

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ingestd/ingestd/source"
)

const seedLine = "[2021-09-22T07:47:21.559-0000] logId=c72c118e-c1a9-4fbd-bafe-c45d00da173b appId=null userName=@authing.cn userPoolId=61384d3e302f1f75e69ce95a userId=61384cf9628539c0f83943e7 requestId=6939cb03-9013-4c08-8954-2920babeed35 roleName=admin roleCode=null roleId=null userAgent=python-requests/2.26.0 clientIp=111.202.167.58 eventType=createUser eventDetails=null resourceType=DATA resourceName=user resourceDetails=shxbxpbodj operationType=create operationMode=sdk originValue=null targetValue=null eventResultCode=success operationParam=null eventResultMsg=null\n"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// testConfig is a configuration around a fresh log directory holding
// content as today's file, indexing into url.
func testConfig(t *testing.T, url, content string) (*Config, string) {
	t.Helper()
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	os.Mkdir(logs, 0o700)
	file := filepath.Join(logs, "audit.2021-09-22.log")
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	c := Defaults()
	c.Input.Dir, c.Input.PollInterval, c.Input.Poll = logs, 20*time.Millisecond, true
	c.Registry.Path, c.Registry.FlushInterval = filepath.Join(dir, "reg.json"), 20*time.Millisecond
	c.DeadLetter.Path = filepath.Join(dir, "dlq.ndjson")
	c.Output.URLs, c.Output.FlushInterval = []string{url}, 20*time.Millisecond
	c.Enrich.NoGeoIP, c.Enrich.Host = true, "h"
	if p := c.Problems(); len(p) > 0 {
		t.Fatal(p)
	}
	return &c, file
}

// committed reads the registry file's offset of path.
func committed(t *testing.T, registry, path string) int64 {
	t.Helper()
	reg, err := source.OpenRegistry(registry, quiet)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range reg.Entries() {
		if e.Path == path {
			return e.Offset
		}
	}
	return -1
}
