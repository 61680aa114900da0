package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/ingestd/ingestd/internal/exitcode"
	"github.com/ingestd/ingestd/internal/memtune"
	"github.com/spf13/cobra"
)

func main() {
	memtune.Apply(os.Getenv)
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
		os.Exit(exitcode.Of(err)) // a cobra error without a status is bad usage
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
