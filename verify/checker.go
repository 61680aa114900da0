package verify

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sync"
	"time"

	"github.com/ingestd/ingestd/pipeline"
	"github.com/ingestd/ingestd/sink"
)

// Defaults of Config.
const (
	DefaultBatchDocs = 2000
	DefaultInFlight  = 3
	DefaultAttempts  = 5
	DefaultTimeout   = time.Minute
)

// Config configures a Checker. Transport is required.
type Config struct {
	Transport sink.Transport
	// Index is the index name pattern replay used (sink.DefaultIndex).
	Index string
	// Files are the inputs in the order their results are listed.
	Files []string

	BatchDocs int           // documents per _mget; DefaultBatchDocs if <= 0
	InFlight  int           // concurrent lookups; DefaultInFlight if <= 0
	Attempts  int           // tries per request before giving up; DefaultAttempts if <= 0
	Timeout   time.Duration // per request; DefaultTimeout if <= 0
	Backoff   time.Duration // first retry delay; 200 ms if <= 0

	// Extra also looks for documents in the indices of these files that
	// name one of the files (path and host) but that no line produces.
	Extra bool
	// Repair, if set, receives the documents of missing and altered lines
	// (a *sink.Bulk with op type index): Finish closes it and checks them
	// again.
	Repair sink.Sink
	// Report, if set, receives one record per finding.
	Report *Report
	Logger *slog.Logger
}

// Check validates cfg and fills in defaults.
func (cfg *Config) check() error {
	if cfg.Transport == nil {
		return errors.New("verify: no engine")
	}
	if cfg.Index == "" {
		cfg.Index = sink.DefaultIndex
	}
	for _, v := range []struct {
		name string
		n    int
		max  int
	}{{"check-docs", cfg.BatchDocs, 10_000}, {"check-in-flight", cfg.InFlight, 64}, {"check-attempts", cfg.Attempts, 100}} {
		if v.n < 0 || v.n > v.max {
			return fmt.Errorf("verify: --%s %d: want 1 to %d", v.name, v.n, v.max)
		}
	}
	setDefault(&cfg.BatchDocs, DefaultBatchDocs)
	setDefault(&cfg.InFlight, DefaultInFlight)
	setDefault(&cfg.Attempts, DefaultAttempts)
	setDefault(&cfg.Timeout, DefaultTimeout)
	setDefault(&cfg.Backoff, 200*time.Millisecond)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return nil
}

func setDefault[T int | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// Checker is the sink the pipeline feeds: it checks every document
// against the engine. See the package comment for the contract.
type Checker struct {
	cfg   Config
	eng   *engine
	names *sink.IndexNames
	index map[uint32]string // rendered index names by date

	ctx    context.Context
	cancel context.CancelCauseFunc
	work   chan *request
	wg     sync.WaitGroup
	cur    *request
	closed bool

	files   map[string]*fileCounts
	order   []*fileCounts
	seed    maphash.Seed
	mu      sync.Mutex          // guards what follows
	known   map[uint64]struct{} // hashes of index+_id produced by the lines (Extra)
	scope   map[string]map[string]*fileCounts
	indices map[string]struct{}
	redo    []recheck // repaired documents, checked again by Finish
}

// request is a run of documents copied out of the pipeline's batches.
type request struct {
	buf  []byte // documents, back to back
	ids  []byte
	docs []docRef
}

type docRef struct {
	file         *fileCounts
	line, offset int64
	date         uint32
	index        string
	idStart      int
	idEnd        int
	docStart     int
	docEnd       int
}

func (r *request) id(d *docRef) string  { return string(r.ids[d.idStart:d.idEnd]) }
func (r *request) doc(d *docRef) []byte { return r.buf[d.docStart:d.docEnd] }

// recheck is what Finish needs to check a repaired document again.
type recheck struct {
	file         *fileCounts
	line, offset int64
	index, id    string
	want         fields
}

// New returns a running Checker.
func New(ctx context.Context, cfg Config) (*Checker, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	names, err := sink.NewIndexNames(cfg.Index)
	if err != nil {
		return nil, err
	}
	c := &Checker{
		cfg: cfg, names: names, index: map[uint32]string{},
		eng:   &engine{tr: cfg.Transport, timeout: cfg.Timeout, attempts: cfg.Attempts, backoff: cfg.Backoff, log: cfg.Logger},
		work:  make(chan *request),
		files: map[string]*fileCounts{}, seed: maphash.MakeSeed(),
		known: map[uint64]struct{}{}, scope: map[string]map[string]*fileCounts{}, indices: map[string]struct{}{},
	}
	for _, f := range cfg.Files {
		c.file(f)
	}
	c.ctx, c.cancel = context.WithCancelCause(ctx)
	for range cfg.InFlight {
		c.wg.Add(1)
		go c.worker()
	}
	return c, nil
}

func (c *Checker) file(path string) *fileCounts {
	fc := c.files[path]
	if fc == nil {
		fc = &fileCounts{path: path}
		c.files[path] = fc
		c.order = append(c.order, fc)
	}
	return fc
}

// Write copies the batch's documents into check requests, sending each
// full request to a worker; it blocks while InFlight requests are out.
func (c *Checker) Write(ctx context.Context, b *sink.Batch) error {
	if err := c.Err(); err != nil {
		return err
	}
	if c.closed {
		return errors.New("verify: closed")
	}
	fc := c.file(b.Source)
	if pos, ok := b.Token.(*pipeline.Position); ok {
		fc.noteChunk(pos)
	}
	for i := range b.Len() {
		if c.cur == nil {
			c.cur = &request{buf: make([]byte, 0, c.cfg.BatchDocs*2048), docs: make([]docRef, 0, c.cfg.BatchDocs)}
		}
		r := c.cur
		m := b.Meta[i]
		d := docRef{file: fc, line: m.Line, offset: m.Offset, date: m.Date, index: c.indexName(m.Date),
			idStart: len(r.ids), docStart: len(r.buf)}
		r.ids = append(r.ids, b.ID(i)...)
		r.buf = append(r.buf, b.Doc(i)...)
		d.idEnd, d.docEnd = len(r.ids), len(r.buf)
		r.docs = append(r.docs, d)
		fc.expected.Add(1)
		if len(r.docs) >= c.cfg.BatchDocs {
			if err := c.send(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *Checker) indexName(date uint32) string {
	name, ok := c.index[date]
	if !ok {
		name = string(c.names.Append(nil, date))
		c.index[date] = name
	}
	return name
}

func (c *Checker) send(ctx context.Context) error {
	r := c.cur
	if r == nil {
		return nil
	}
	c.cur = nil
	select {
	case c.work <- r:
		return nil
	case <-c.ctx.Done():
		return context.Cause(c.ctx)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close sends the last request and waits for every answer. It returns
// the error that stopped the Checker, if any. Idempotent.
func (c *Checker) Close() error {
	if !c.closed {
		c.closed = true
		_ = c.send(c.ctx) // fails only when already stopped: reported below
		close(c.work)
		c.wg.Wait()
	}
	return c.Err()
}

// Err returns why the Checker stopped, or nil.
func (c *Checker) Err() error {
	if c.ctx.Err() == nil {
		return nil
	}
	return context.Cause(c.ctx)
}

func (c *Checker) worker() {
	defer c.wg.Done()
	for r := range c.work {
		if c.ctx.Err() != nil {
			continue // stopped: drain without checking
		}
		if err := c.check(r); err != nil {
			c.cancel(err)
		}
	}
}

// check looks a request's documents up and classifies them.
func (c *Checker) check(r *request) error {
	want := make([]fields, len(r.docs))
	lookups := make([]lookup, len(r.docs))
	hosts := map[string]struct{}{}
	for i := range r.docs {
		d := &r.docs[i]
		f, host, err := expected(r.doc(d))
		if err != nil {
			return err
		}
		want[i] = f
		hosts[host] = struct{}{}
		lookups[i] = lookup{index: d.index, id: r.id(d)}
	}
	if c.cfg.Extra {
		c.remember(r, hosts)
	}
	got, err := c.eng.fetch(c.ctx, lookups)
	if err != nil {
		return err
	}
	diffs, err := c.classify(lookups, want, got)
	if err != nil {
		return err
	}
	var fix []int
	for i := range r.docs {
		d := &r.docs[i]
		f := Finding{File: d.file.path, Line: d.line, Offset: &d.offset, ID: lookups[i].id, Index: d.index}
		switch {
		case !got[i].Found:
			d.file.missing.Add(1)
			f.Status = StatusMissing
		case len(diffs[i]) > 0:
			d.file.altered.Add(1)
			f.Status, f.Diff = StatusAltered, diffs[i]
		default:
			d.file.present.Add(1)
			continue
		}
		if err := c.cfg.Report.Add(&f); err != nil {
			return err
		}
		fix = append(fix, i)
	}
	if c.cfg.Repair != nil && len(fix) > 0 {
		return c.repair(r, fix, want)
	}
	return nil
}

// classify compares the documents found with what the lines produce. A
// document that looks missing or altered is fetched again with the
// real-time _mget (a search only sees refreshed documents), and that
// answer decides. got is updated in place.
func (c *Checker) classify(lookups []lookup, want []fields, got []mgetDoc) ([][]Diff, error) {
	diffs := make([][]Diff, len(got))
	var again []int
	for i := range got {
		if got[i].Found {
			diffs[i] = compare(want[i], stored(got[i].Source))
		}
		if !got[i].Found || len(diffs[i]) > 0 {
			again = append(again, i)
		}
	}
	if len(again) == 0 {
		return diffs, nil
	}
	ask := make([]lookup, len(again))
	for j, i := range again {
		ask[j] = lookups[i]
	}
	confirmed, err := c.eng.mget(c.ctx, ask)
	if err != nil {
		return nil, err
	}
	for j, i := range again {
		got[i], diffs[i] = confirmed[j], nil
		if got[i].Found {
			diffs[i] = compare(want[i], stored(got[i].Source))
		}
	}
	return diffs, nil
}

// remember records the request's documents for the scan for extras.
func (c *Checker) remember(r *request, hosts map[string]struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range r.docs {
		d := &r.docs[i]
		c.known[c.key(d.index, r.ids[d.idStart:d.idEnd])] = struct{}{}
		c.indices[d.index] = struct{}{}
		for h := range hosts {
			if c.scope[h] == nil {
				c.scope[h] = map[string]*fileCounts{}
			}
			c.scope[h][d.file.docPath] = d.file
		}
	}
}

func (c *Checker) key(index string, id []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(c.seed)
	h.WriteString(index)
	h.WriteByte(0)
	h.Write(id)
	return h.Sum64()
}

// repair hands the documents fix of r to the repair sink, as replay
// would have indexed them, and keeps what Finish needs to check them.
func (c *Checker) repair(r *request, fix []int, want []fields) error {
	var b sink.Batch
	b.Source = r.docs[fix[0]].file.path
	c.mu.Lock()
	defer c.mu.Unlock()
	flush := func() error {
		if b.Len() == 0 {
			return nil
		}
		err := c.cfg.Repair.Write(c.ctx, &b)
		b.Reset()
		return err
	}
	for _, i := range fix {
		d := &r.docs[i]
		if d.file.path != b.Source {
			if err := flush(); err != nil {
				return err
			}
			b.Source = d.file.path
		}
		b.Buf = append(b.Buf, r.doc(d)...)
		b.Buf = append(b.Buf, '\n')
		b.Ends = append(b.Ends, len(b.Buf))
		b.IDs = append(b.IDs, r.ids[d.idStart:d.idEnd]...)
		b.Meta = append(b.Meta, sink.DocMeta{IDEnd: len(b.IDs), Date: d.date, Line: d.line, Offset: d.offset})
		c.redo = append(c.redo, recheck{file: d.file, line: d.line, offset: d.offset, index: d.index, id: r.id(d), want: want[i]})
	}
	return flush()
}
