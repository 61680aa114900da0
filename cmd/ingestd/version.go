package main

import (
	"fmt"
	"io"
	"time"

	// Time zone data in the binary: the image has no /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/ingestd/ingestd/enrich"
	"github.com/ingestd/ingestd/internal/buildinfo"
	"github.com/spf13/cobra"
)

func newVersionCmd() *cobra.Command {
	var geoDB string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, Go version and the data (uap-core, GeoIP database) in use",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			printVersion(cmd.OutOrStdout(), geoDB)
			return nil
		},
	}
	cmd.Flags().StringVar(&geoDB, "geoip-db", "", "MaxMind City database to describe (default: the one replay and run would find)")
	return cmd
}

// printVersion writes one "name: value" line per item.
func printVersion(w io.Writer, geoDB string) {
	i := buildinfo.Get()
	fmt.Fprintf(w, "ingestd %s\ncommit: %s\ngo: %s\n", i.Version, i.Commit, i.GoVersion)
	uap := "uap-go " + i.UAPVersion
	if !i.UAPDate.IsZero() {
		uap += ", built " + i.UAPDate.Format(time.DateOnly)
	}
	fmt.Fprintf(w, "uap-core: embedded in %s\n", uap)
	if geoDB == "" {
		geoDB = enrich.FindGeoIPDatabase()
	}
	if geoDB == "" {
		fmt.Fprintln(w, "geoip: no database found")
		return
	}
	gi, err := enrich.ReadGeoIPInfo(geoDB)
	if err != nil {
		fmt.Fprintf(w, "geoip: %v\n", err)
		return
	}
	fmt.Fprintf(w, "geoip: %s %s, built %s\n", gi.Path, gi.Type, gi.Built.Format(time.DateOnly))
}
