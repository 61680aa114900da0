package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// exitError carries a process exit status through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// replayGrace is how long replay may finish in-flight requests after the
// first SIGINT/SIGTERM; the daemon uses its shutdown_timeout instead. A
// second signal always ends it at once.
const replayGrace = 30 * time.Second

func main() {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))

	// soft ends on the first signal: stop reading. hard ends on a second
	// signal: abandon in-flight work. Each command bounds the time between
	// the two itself (graceAfter).
	soft, stopSoft := context.WithCancel(context.Background())
	hard, stopHard := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		slog.Info("stopping: finishing in-flight work; signal again to abort")
		stopSoft()
		<-sigs
		slog.Warn("second signal: aborting in-flight work")
		stopHard()
	}()

	if err := newRootCmd(hard).ExecuteContext(soft); err != nil {
		fmt.Fprintln(os.Stderr, "ingestd:", err)
		var ee *exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(2)
	}
}

// newRootCmd builds the command tree. hard is cancelled when in-flight work
// must be abandoned; the command's own context ends when reading must stop.
func newRootCmd(hard context.Context) *cobra.Command {
	root := &cobra.Command{
		Use:           "ingestd",
		Short:         "Parse, enrich and index Authing audit logs",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	new(logFlags).register(root)
	root.AddCommand(newReplayCmd(hard), newRunCmd(hard), newCheckConfigCmd(), newServeCmd(), newTokenCmd(), newHashSecretCmd(), newVersionCmd())
	root.AddCommand(newVerifyCmd(hard))
	return root
}
