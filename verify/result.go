package verify

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/ingestd/ingestd/pipeline"
)

// Status is what verify found for one document.
type Status string

// Statuses of findings.
const (
	StatusMissing      Status = "missing"       // no document with the line's _id in its index
	StatusAltered      Status = "altered"       // the stored document differs from the line's
	StatusExtra        Status = "extra"         // names these files, but no line produces it
	StatusRepaired     Status = "repaired"      // re-indexed and found as the line produces it
	StatusRepairFailed Status = "repair_failed" // re-indexed, but still missing or altered
)

// Finding is one record of the report.
type Finding struct {
	Status Status `json:"status"`
	File   string `json:"file"`
	Line   int64  `json:"line,omitempty"`
	Offset *int64 `json:"offset,omitempty"`
	ID     string `json:"_id"`
	Index  string `json:"index"`
	Path   string `json:"path,omitempty"` // stored path, for extra documents
	Diff   []Diff `json:"diff,omitempty"`
}

// Report writes findings as NDJSON. A nil *Report discards them. Safe for
// concurrent use.
type Report struct {
	mu  sync.Mutex
	w   *bufio.Writer
	err error
}

// NewReport writes to w; call Flush at the end.
func NewReport(w io.Writer) *Report { return &Report{w: bufio.NewWriter(w)} }

// Add writes one finding.
func (r *Report) Add(f *Finding) error {
	if r == nil {
		return nil
	}
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		b = append(b, '\n')
		if _, err := r.w.Write(b); err != nil {
			r.err = fmt.Errorf("report: %w", err)
		}
	}
	return r.err
}

// Flush writes what is buffered.
func (r *Report) Flush() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		if err := r.w.Flush(); err != nil {
			r.err = fmt.Errorf("report: %w", err)
		}
	}
	return r.err
}

// fileCounts counts one input. Written by Write (chunk totals) and by the
// workers (outcomes), hence atomic.
type fileCounts struct {
	path, docPath               string
	lines                       atomic.Int64
	expected, present, missing  atomic.Int64
	altered, extra, dead, blank atomic.Int64
	repaired, repairFailed      atomic.Int64
}

// noteChunk adds a chunk's line accounting (called by Write, in order).
func (fc *fileCounts) noteChunk(pos *pipeline.Position) {
	if pos.Input != nil && fc.docPath == "" {
		fc.docPath = pos.Input.DocPath
	}
	if pos.Line > fc.lines.Load() {
		fc.lines.Store(pos.Line)
	}
	fc.dead.Add(pos.DeadLetters)
	fc.blank.Add(pos.Blank)
}

// Counts are the outcome for one file or for all.
type Counts struct {
	Lines        int64  `json:"lines"`
	Expected     int64  `json:"expected"`
	Present      int64  `json:"present"`
	Missing      int64  `json:"missing"`
	Altered      int64  `json:"altered"`
	Extra        *int64 `json:"extra,omitempty"`
	DeadLettered int64  `json:"dead_lettered"`
	Blank        int64  `json:"blank"`
	Repaired     *int64 `json:"repaired,omitempty"`
	RepairFailed *int64 `json:"repair_failed,omitempty"`
}

// FileResult is the outcome for one input.
type FileResult struct {
	File string `json:"file"`
	Counts
}

// Result is the outcome of a verification.
type Result struct {
	Counts
	// Complete is false when the verification stopped early (engine
	// unreachable, input unreadable, interrupted): then Error says why.
	Complete bool         `json:"complete"`
	Error    string       `json:"error,omitempty"`
	Files    []FileResult `json:"files"`
}

// OK reports whether the index holds every expected document unchanged
// (after repair, when repairing) and the check was complete.
func (r *Result) OK() bool {
	bad := r.Missing + r.Altered
	if r.Repaired != nil {
		bad -= *r.Repaired
	}
	return r.Complete && bad == 0
}

func (fc *fileCounts) counts(extra, repair bool) Counts {
	c := Counts{
		Lines: fc.lines.Load(), Expected: fc.expected.Load(), Present: fc.present.Load(),
		Missing: fc.missing.Load(), Altered: fc.altered.Load(), DeadLettered: fc.dead.Load(), Blank: fc.blank.Load(),
	}
	if extra {
		c.Extra = ptr(fc.extra.Load())
	}
	if repair {
		c.Repaired, c.RepairFailed = ptr(fc.repaired.Load()), ptr(fc.repairFailed.Load())
	}
	return c
}

func (c *Counts) add(o Counts) {
	c.Lines += o.Lines
	c.Expected += o.Expected
	c.Present += o.Present
	c.Missing += o.Missing
	c.Altered += o.Altered
	c.DeadLettered += o.DeadLettered
	c.Blank += o.Blank
	addPtr(&c.Extra, o.Extra)
	addPtr(&c.Repaired, o.Repaired)
	addPtr(&c.RepairFailed, o.RepairFailed)
}

func ptr(v int64) *int64 { return &v }

func addPtr(dst **int64, v *int64) {
	if v == nil {
		return
	}
	if *dst == nil {
		*dst = ptr(0)
	}
	**dst += *v
}

// String is the one-line summary of c.
func (c *Counts) String() string {
	s := fmt.Sprintf("%d lines, %d expected: %d present, %d missing, %d altered", c.Lines, c.Expected, c.Present, c.Missing, c.Altered)
	if c.Extra != nil {
		s += fmt.Sprintf(", %d extra", *c.Extra)
	}
	s += fmt.Sprintf("; %d dead-lettered, %d blank", c.DeadLettered, c.Blank)
	if c.Repaired != nil {
		s += fmt.Sprintf("; repaired %d, repair failed %d", *c.Repaired, *c.RepairFailed)
	}
	return s
}

// WriteSummary writes one line per file and the total.
func (r *Result) WriteSummary(w io.Writer) {
	for _, f := range r.Files {
		fmt.Fprintf(w, "verify: %s: %s\n", f.File, f.Counts.String())
	}
	state := "complete"
	if !r.Complete {
		state = "INCOMPLETE (" + r.Error + ")"
	}
	fmt.Fprintf(w, "verify: total, %d file(s), %s: %s\n", len(r.Files), state, r.Counts.String())
}
