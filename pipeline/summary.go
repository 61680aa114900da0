package pipeline

import (
	"fmt"
	"io"
	"time"

	"github.com/ingestd/ingestd/enrich"
	"github.com/ingestd/ingestd/sink"
)

// WriteSummary writes the end-of-run report of a replay: what was read,
// where the dead letters are, and the enricher's counters.
func (st *Stats) WriteSummary(w io.Writer, enr *enrich.Enricher, letters *sink.DeadLetters, d time.Duration) {
	lines := st.Lines.Load()
	rate := float64(lines) / d.Seconds()
	fmt.Fprintf(w, "replay: %d file(s) read, %d failed; %d lines, %d documents, %d dead-lettered, %d blank; %.0f lines/s in %s\n",
		st.Files.Load(), st.FilesFailed.Load(), lines, st.Documents.Load(), st.DeadLetters.Load(), st.Blank.Load(), rate, d.Round(time.Millisecond))
	if n := letters.Count(); n > 0 {
		fmt.Fprintf(w, "replay: dead letters in %s\n", letters.Path())
	}
	if n := enr.InvalidUTF8.Load(); n > 0 {
		fmt.Fprintf(w, "replay: %d document(s) had invalid UTF-8 (replaced by U+FFFD, tagged _invalid_utf8)\n", n)
	}
	if n := enr.AmbiguousKeys.Load(); n > 0 {
		fmt.Fprintf(w, "replay: %d document(s) with a repeated or out-of-order key (tagged _ambiguous_keys), %d of them with an ambiguous userPoolId\n",
			n, enr.AmbiguousUserPool.Load())
	}
	if g := enr.GeoIPStats(); g != nil {
		fmt.Fprintf(w, "replay: geoip found %d, private/reserved %d, not in database %d, no valid clientIp %d\n",
			g.Found.Load(), g.Private.Load(), g.NotFound.Load(), g.Invalid.Load())
	}
}
