package main

import (
	"context"
	"log/slog"

	"github.com/ingestd/ingestd/replay"
	"github.com/spf13/cobra"
)

func newReplayCmd(hard context.Context) *cobra.Command {
	o := replay.Defaults()
	o.Conn = defaultConn()
	cmd := &cobra.Command{
		Use:   "replay [flags] FILE|DIR|GLOB...",
		Short: "Read audit files (plain or gzip) and write one enriched JSON document per line",
		Long: `Replay reads archived or current audit files and writes one JSON document per
line as NDJSON (stdout by default), or indexes it into Elasticsearch or
OpenSearch with --es URL. Lines that cannot be parsed are written
to the dead-letter file with file, line number and reason.

Arguments are files, directories (their files matching --pattern) and
globs; gzip archives are recognised by their magic bytes.

Exit status: 0 when every input was read and nothing was dead-lettered;
1 when an input could not be read, the output failed, or lines were
dead-lettered (unless --allow-dead-letters); 2 on bad usage.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Hard, o.Stdout, o.Stderr, o.Logger = hard, cmd.OutOrStdout(), cmd.ErrOrStderr(), slog.Default()
			return replay.Run(cmd.Context(), args, o)
		},
	}
	fl := cmd.Flags()
	connFlags(fl, &o.Conn)
	outputFlags(fl, &o.Output)
	archiveFlags(fl, &o.Archive)
	fl.StringVarP(&o.Out, "out", "o", o.Out, "write documents to this file instead of stdout")
	fl.StringVar(&o.DLQ, "dlq", o.DLQ, "dead-letter file (NDJSON; created on the first rejected line)")
	fl.BoolVar(&o.AllowDeadLetters, "allow-dead-letters", o.AllowDeadLetters, "exit 0 even when lines were dead-lettered")
	return cmd
}
