package main

import (
	"os"
	"os/signal"
	"syscall"
)

// hangups receives SIGHUP for the whole process, from the start: its
// default action would end the process, and `systemctl reload` (or a HUP
// that arrives while the engine is still being reached) must not. The
// long-running commands read it (run through daemon.Options.Hangups, serve
// through serve.Options.Hangups); the others ignore it.
var hangups = make(chan os.Signal, 1)

func init() { signal.Notify(hangups, syscall.SIGHUP) }
