// Package sdnotify tells systemd (Type=notify units) that the service is
// ready, reloading or stopping, over the unix datagram socket named by
// $NOTIFY_SOCKET (sd_notify(3)). Without that variable — not started by
// systemd — every call does nothing. The protocol is one datagram of
// newline-separated KEY=VALUE assignments; a name starting with '@' is an
// abstract socket. These few lines replace a dependency
// (github.com/coreos/go-systemd/v22/daemon does the same). Safe for
// concurrent use; nothing to shut down.
package sdnotify
