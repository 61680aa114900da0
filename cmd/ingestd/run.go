package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ingestd/ingestd/daemon"
	"github.com/ingestd/ingestd/deploy"
	"github.com/ingestd/ingestd/internal/exitcode"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// applyFlags lays the flags the user set over the configuration.
func applyFlags(fl *pflag.FlagSet, overlay func()) {
	type set struct {
		f     *pflag.Flag
		val   string
		slice []string
	}
	var changed []set
	fl.Visit(func(f *pflag.Flag) {
		s := set{f: f, val: f.Value.String()}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			s.slice = sv.GetSlice()
		}
		changed = append(changed, s)
	})
	overlay()
	for _, s := range changed {
		if sv, ok := s.f.Value.(pflag.SliceValue); ok {
			sv.Replace(s.slice)
		} else {
			s.f.Value.Set(s.val)
		}
	}
}

func newRunCmd(hard context.Context) *cobra.Command {
	var (
		configPath string
		c          = daemon.Defaults()
	)
	cmd := &cobra.Command{
		Use:   "run --config ingestd.yaml",
		Short: "Follow the live audit files and index every line exactly once in effect",
		Long: `Run follows the dated audit files of a directory (oldest unfinished file first,
then the current one), indexes every line into the engine and commits each
file's offset to the registry only once the engine holds (or the dead-letter
file has) every line before it. Flags override the configuration file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var (
				loadErr error
				file    *daemon.File
			)
			applyFlags(cmd.Flags(), func() {
				file, loadErr = daemon.Load(configPath)
				c = file.Config
			})
			if loadErr != nil {
				return exitcode.New(exitcode.Usage, loadErr)
			}
			if p := file.Report(c.Problems()); len(p) > 0 {
				return exitcode.New(exitcode.Usage, fmt.Errorf("configuration:\n  %s", strings.Join(p, "\n  ")))
			}
			err := daemon.Run(cmd.Context(), &c, daemon.Options{Hard: hard, Hangups: hangups,
				Template: deploy.IndexTemplate, Stderr: cmd.ErrOrStderr()})
			var ue *daemon.UsageError
			if errors.As(err, &ue) { // a file the configuration names
				return exitcode.New(exitcode.Usage, fmt.Errorf("configuration:\n  %s", file.Report([]string{ue.Error()})[0]))
			} else if err != nil {
				return exitcode.New(exitcode.Failed, err)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&configPath, "config", "c", "", "YAML configuration file")
	fl.StringVar(&c.Input.Dir, "dir", c.Input.Dir, "directory of the audit files")
	fl.StringVar(&c.Input.Pattern, "pattern", c.Input.Pattern, "glob of the audit file names")
	fl.StringVar(&c.Registry.Path, "registry", c.Registry.Path, "registry file (committed offsets)")
	fl.StringVar(&c.DeadLetter.Path, "dlq", c.DeadLetter.Path, "dead-letter file")
	fl.StringVar(&c.Enrich.GeoIPDB, "geoip-db", c.Enrich.GeoIPDB, "MaxMind City database")
	fl.StringVar(&c.Enrich.Host, "host", c.Enrich.Host, "the documents' host field (default: hostname)")
	connFlags(fl, &c.Output.Conn)
	outputFlags(fl, &c.Output.Output)
	fl.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "how long to finish in-flight work after SIGTERM")
	fl.StringVar(&c.Metrics.Listen, "metrics-listen", c.Metrics.Listen, "serve /metrics (Prometheus) and /healthz on this address, e.g. :9108")
	return cmd
}

func newCheckConfigCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check-config FILE",
		Short: "Check a configuration file: one clear message per problem",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			file, err := daemon.Load(args[0])
			if err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), err)
				return exitcode.New(exitcode.Failed, errors.New("configuration is invalid"))
			}
			if p := file.Report(daemon.Check(&file.Config, nil)); len(p) > 0 {
				for _, m := range p {
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s\n", args[0], m)
				}
				return exitcode.New(exitcode.Failed, fmt.Errorf("%d problem(s)", len(p)))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: OK\n", args[0])
			return nil
		},
	}
}
