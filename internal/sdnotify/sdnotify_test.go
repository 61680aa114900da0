package sdnotify

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func listen(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func recv(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 512)
	n, err := c.Read(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(b[:n])
}

func TestNotify(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	if sent, err := Ready(); sent || err != nil {
		t.Fatalf("without NOTIFY_SOCKET: %v %v", sent, err)
	}

	path := filepath.Join(t.TempDir(), "notify")
	c := listen(t, path)
	t.Setenv("NOTIFY_SOCKET", path)
	if sent, err := Ready(); !sent || err != nil {
		t.Fatalf("Ready: %v %v", sent, err)
	}
	if got := recv(t, c); got != "READY=1" {
		t.Errorf("got %q", got)
	}
	Stopping()
	if got := recv(t, c); got != "STOPPING=1" {
		t.Errorf("got %q", got)
	}
	Reloading()
	if got := recv(t, c); !strings.HasPrefix(got, "RELOADING=1\nMONOTONIC_USEC=") || strings.HasSuffix(got, "=0") {
		t.Errorf("got %q", got)
	}

	// Abstract socket.
	abs := listen(t, "\x00ingestd-sdnotify-test-"+filepath.Base(t.TempDir()))
	t.Setenv("NOTIFY_SOCKET", "@"+abs.LocalAddr().String()[1:])
	if _, err := Ready(); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, abs); got != "READY=1" {
		t.Errorf("abstract: got %q", got)
	}

	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "nobody"))
	if _, err := Ready(); err == nil {
		t.Error("no error for a socket nobody listens on")
	}
}
