package sdnotify

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

// States sent by the helpers below.
const (
	ready     = "READY=1"
	stopping  = "STOPPING=1"
	reloading = "RELOADING=1"
)

// Notify sends state to systemd. It returns false, nil when not run under
// a notify-type unit.
func Notify(state string) (bool, error) {
	name := os.Getenv("NOTIFY_SOCKET")
	if name == "" {
		return false, nil
	}
	if name[0] == '@' {
		name = "\x00" + name[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return false, fmt.Errorf("sd_notify: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return false, fmt.Errorf("sd_notify: %w", err)
	}
	return true, nil
}

// Ready reports that start-up is complete.
func Ready() (bool, error) { return Notify(ready) }

// Stopping reports that shutdown has begun.
func Stopping() (bool, error) { return Notify(stopping) }

// Reloading reports that a reload has begun; call Ready when it is done.
// systemd wants the monotonic time with it (systemd 253 and later).
func Reloading() (bool, error) {
	return Notify(reloading + "\nMONOTONIC_USEC=" + strconv.FormatInt(monotonicUsec(), 10))
}

// monotonicUsec is CLOCK_MONOTONIC in microseconds (time.Now's monotonic
// reading is relative to process start, so the clock is read directly).
func monotonicUsec() int64 { return monotonicNow() / int64(time.Microsecond) }
