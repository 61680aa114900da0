package main

import (
	"context"
	"log/slog"

	"github.com/ingestd/ingestd/verify"
	"github.com/spf13/cobra"
)

func newVerifyCmd(hard context.Context) *cobra.Command {
	o := verify.Defaults()
	o.Conn = defaultConn()
	cmd := &cobra.Command{
		Use:   "verify --es URL [flags] FILE|DIR|GLOB...",
		Short: "Prove that the engine holds the document of every audit line, unchanged; --repair re-indexes what is not",
		Long: `Verify computes, for every line of the archives, the document, _id and index
replay would index (lines replay would dead-letter are counted, not
expected) and looks the documents up in the engine: present, missing, or
altered (message, userPoolId, userId, codes.eventType, clientIp or
@timestamp differ from what the line produces). --extra also lists
documents of those days' indices that name these files (path and host) but
that no line produces. --repair re-indexes the missing and altered lines
(same documents, same _ids) and checks them again.

Give the flags replay was given (--index, --host, --path-dir, --lang,
--dict, --directory, --geoip-db): they decide the documents.

Exit status: 0 when every expected document is present and unchanged
(after --repair: when every repair was verified); 1 when something is
missing or altered, or the check could not be completed; 2 on bad usage.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Args, o.Hard, o.Stdout, o.Stderr, o.Logger = args, hard, cmd.OutOrStdout(), cmd.ErrOrStderr(), slog.Default()
			_, err := verify.Run(cmd.Context(), o)
			return err
		},
	}
	fl := cmd.Flags()
	connFlags(fl, &o.Conn)
	outputFlags(fl, &o.Output)
	archiveFlags(fl, &o.Archive)
	fl.StringVar(&o.DLQ, "dlq", o.DLQ, "write the lines replay would dead-letter here (default: count them only)")
	fl.BoolVar(&o.JSON, "json", o.JSON, "print the result as one JSON object on stdout")
	fl.StringVar(&o.Report, "report", o.Report, "write one NDJSON record per missing, altered, extra or repaired document to this file")
	fl.BoolVar(&o.Extra, "extra", o.Extra, "also find documents naming these files (path, host) that no line produces")
	fl.BoolVar(&o.Repair, "repair", o.Repair, "re-index the missing and altered lines (op type index), then check them again")
	fl.IntVar(&o.Check.BatchDocs, "check-docs", o.Check.BatchDocs, "documents per lookup request (at most 10000, the engine's result window)")
	fl.IntVar(&o.Check.InFlight, "check-in-flight", o.Check.InFlight, "concurrent lookup requests")
	fl.IntVar(&o.Check.Attempts, "check-attempts", o.Check.Attempts, "tries of a request before the check stops as incomplete")
	return cmd
}
