package sink

import (
	"fmt"
	"io"
)

// WriteSummary writes one line of what the sink did, for the end of a run.
func (s *BulkStats) WriteSummary(w io.Writer, who string) {
	fmt.Fprintf(w, "%s: engine indexed %d, already present %d, dead-lettered %d; %d bulk requests, %d failed, %d document retries, %d splits\n",
		who, s.Indexed.Load(), s.Duplicates.Load(), s.DeadLettered.Load(), s.Requests.Load(), s.Failures.Load(), s.Retried.Load(), s.Splits.Load())
}
