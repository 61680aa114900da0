package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/ingestd/ingestd/internal/exitcode"
	"github.com/spf13/cobra"
)

// Log formats of --log-format.
const (
	logText = "text"
	logJSON = "json"
)

// logFlags are --log-format and --log-level, declared once on the root
// command for every command.
type logFlags struct {
	format string
	level  string
}

func (l *logFlags) register(root *cobra.Command) {
	pf := root.PersistentFlags()
	pf.StringVar(&l.format, "log-format", logText, "log format on stderr: text (key=value) or json (one object per line)")
	pf.StringVar(&l.level, "log-level", "info", "least severe level logged: debug, info, warn or error")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		h, err := l.handler()
		if err != nil {
			return exitcode.New(exitcode.Usage, err)
		}
		slog.SetDefault(slog.New(h))
		return nil
	}
}

// handler builds the handler the flags ask for, writing to stderr.
func (l *logFlags) handler() (slog.Handler, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(l.level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", l.level)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(l.format) {
	case logText:
		return slog.NewTextHandler(os.Stderr, opts), nil
	case logJSON:
		return slog.NewJSONHandler(os.Stderr, opts), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", l.format)
}
