package sink

import (
	"context"
	"log/slog"
	"net"
	"syscall"
	"testing"
)

// TestEngineKeepAlive: connections to the engine probe an idle peer after
// 30 s (Go's default would be 15 s), so a load balancer's idle cut is seen.
func TestEngineKeepAlive(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	tr, err := httpTransport(EngineConfig{Logger: slog.Default()})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := tr.DialContext(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	raw, err := conn.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var on, idle int
	var serr error
	if err := raw.Control(func(fd uintptr) {
		if on, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE); serr == nil {
			idle, serr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE)
		}
	}); err != nil || serr != nil {
		t.Fatal(err, serr)
	}
	if on != 1 || idle != 30 {
		t.Errorf("engine connection: keep-alive %d, idle %d s; want on, 30 s", on, idle)
	}
}
