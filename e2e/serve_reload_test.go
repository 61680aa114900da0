package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ingestd/ingestd/query"
)

// TestServeReloadPools (issue 11): SIGHUP makes `ingestd serve` read its
// pools file again — a new secret works, the old one no longer does — and a
// broken pools file is refused with the last good one kept, no restart.
func TestServeReloadPools(t *testing.T) {
	base := strings.TrimRight(need(t, "INGESTD_ENGINE_URL"), "/")
	dir := t.TempDir()
	pools := filepath.Join(dir, "pools.yaml")
	writePools := func(secret string) {
		t.Helper()
		h, err := query.HashSecret(secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(pools, []byte("pools:\n  "+poolA+": "+h+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const secretB = "the-rotated-secret"
	writePools(secretA)
	addr := freePort(t)
	cmd := exec.Command(bin, "serve", "--listen", addr, "--es", base, "--index", "e2e-none-*", "--pools", pools,
		"--exchange-rate", "1000", "--exchange-burst", "1000")
	cmd.Env = append(os.Environ(), "INGESTD_SIGNING_KEY="+signKey)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	logLines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			select {
			case logLines <- sc.Text():
			default:
			}
		}
	}()
	waitLog := func(want string) {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for {
			select {
			case l := <-logLines:
				if strings.Contains(l, want) {
					return
				}
			case <-deadline:
				t.Fatalf("no log line %q", want)
			}
		}
	}
	waitLog("serving the audit API")

	exchange := func(secret string) bool {
		t.Helper()
		code, answer, _ := post(t, addr, "application/json",
			`{"query":"{accessToken(userPoolId:\"`+poolA+`\",secret:\"`+secret+`\"){accessToken}}"}`)
		if code != 200 {
			t.Fatalf("exchange: %d %s", code, answer)
		}
		return strings.Contains(answer, `"accessToken":"ey`)
	}
	if !exchange(secretA) || exchange(secretB) {
		t.Fatal("before the reload: want secret A only")
	}

	writePools(secretB)
	cmd.Process.Signal(syscall.SIGHUP)
	waitLog("pools file reloaded")
	if exchange(secretA) || !exchange(secretB) {
		t.Fatal("after the reload: want secret B only")
	}

	os.WriteFile(pools, []byte("pools:\n  "+poolA+": not-a-bcrypt-hash\n"), 0o600)
	cmd.Process.Signal(syscall.SIGHUP)
	waitLog("reload refused; keeping the pools in use")
	if !exchange(secretB) {
		t.Fatal("after a refused reload the last good pools are not in use")
	}
}
