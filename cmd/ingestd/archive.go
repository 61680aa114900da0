package main

import (
	"github.com/ingestd/ingestd/replay"
	"github.com/spf13/pflag"
)

// archiveFlags are what replay and verify read (files, directories,
// globs) and how; declared once, for both.
func archiveFlags(fl *pflag.FlagSet, a *replay.Archive) {
	enrichFlags(fl, &a.Enrich)
	fl.StringVar(&a.PathDir, "path-dir", a.PathDir, "record the documents' path as DIR/NAME (NAME without .gz), as the daemon on the log host would")
	fl.IntVarP(&a.Workers, "workers", "w", a.Workers, "parse and enrich goroutines (default: number of CPUs)")
	fl.IntVar(&a.MaxLine, "max-line", a.MaxLine, "longest line in bytes; longer lines are dead-lettered")
	fl.IntVarP(&a.Jobs, "jobs", "j", a.Jobs, "files read in parallel")
	fl.StringVar(&a.From, "from", a.From, "only files whose name's date is on or after YYYY-MM-DD")
	fl.StringVar(&a.To, "to", a.To, "only files whose name's date is on or before YYYY-MM-DD")
	fl.StringVar(&a.Pattern, "pattern", a.Pattern, "names of the files taken from a directory argument")
}
