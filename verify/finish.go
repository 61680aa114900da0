package verify

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Finish completes the verification after Close: with Repair it closes the
// repair sink (every repaired document indexed) and checks the repaired
// documents again; with Extra it scans the files' indices for documents
// no line produces. runErr is the pipeline's error (an input that could
// not be read, an interruption): the result is then incomplete.
func (c *Checker) Finish(ctx context.Context, runErr error) *Result {
	err := runErr
	if cerr := c.Err(); cerr != nil && !errors.Is(runErr, cerr) {
		err = errors.Join(err, cerr)
	}
	if c.cfg.Repair != nil {
		if cerr := c.cfg.Repair.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("repair: %w", cerr))
		} else if err == nil {
			err = c.recheck(ctx)
		}
	}
	if c.cfg.Extra && err == nil {
		err = c.scanExtra(ctx)
	}
	if ferr := c.cfg.Report.Flush(); ferr != nil {
		err = errors.Join(err, ferr)
	}
	r := &Result{Complete: err == nil}
	if err != nil {
		r.Error = err.Error()
	}
	for _, fc := range c.order {
		fr := FileResult{File: fc.path, Counts: fc.counts(c.cfg.Extra, c.cfg.Repair != nil)}
		r.Files = append(r.Files, fr)
		r.Counts.add(fr.Counts)
	}
	if r.Extra == nil && c.cfg.Extra {
		r.Extra = ptr(0)
	}
	if r.Repaired == nil && c.cfg.Repair != nil {
		r.Repaired, r.RepairFailed = ptr(0), ptr(0)
	}
	return r
}

// recheck looks the repaired documents up again with _mget, which is
// real-time: a document is found as soon as its bulk request was
// acknowledged.
func (c *Checker) recheck(ctx context.Context) error {
	for start := 0; start < len(c.redo); start += c.cfg.BatchDocs {
		part := c.redo[start:min(len(c.redo), start+c.cfg.BatchDocs)]
		lookups := make([]lookup, len(part))
		for i, d := range part {
			lookups[i] = lookup{index: d.index, id: d.id}
		}
		got, err := c.eng.mget(ctx, lookups) // real-time: sees the repair at once
		if err != nil {
			return fmt.Errorf("checking repaired documents: %w", err)
		}
		for i := range part {
			d := &part[i]
			f := Finding{Status: StatusRepaired, File: d.file.path, Line: d.line, Offset: &d.offset, ID: d.id, Index: d.index}
			if !got[i].Found {
				f.Status = StatusRepairFailed
			} else if f.Diff = compare(d.want, stored(got[i].Source)); len(f.Diff) > 0 {
				f.Status = StatusRepairFailed
			}
			if f.Status == StatusRepaired {
				d.file.repaired.Add(1)
			} else {
				d.file.repairFailed.Add(1)
			}
			if err := c.cfg.Report.Add(&f); err != nil {
				return err
			}
		}
	}
	return nil
}

// scanExtra lists, per host, the documents of the files' indices whose
// path names one of the files, and reports those whose index and _id no
// line produced.
func (c *Checker) scanExtra(ctx context.Context) error {
	if len(c.indices) == 0 {
		return nil
	}
	indices := slices.Sorted(maps.Keys(c.indices))
	for _, host := range slices.Sorted(maps.Keys(c.scope)) {
		byPath := c.scope[host]
		paths := slices.Sorted(maps.Keys(byPath))
		var ferr error
		err := c.eng.scan(ctx, indices, host, paths, func(h hit) {
			if _, ok := c.known[c.key(h.Index, []byte(h.ID))]; ok || ferr != nil {
				return
			}
			fc := byPath[h.Source.Path]
			if fc == nil {
				return // the query matched a path we did not ask for: not ours
			}
			fc.extra.Add(1)
			ferr = c.cfg.Report.Add(&Finding{Status: StatusExtra, File: fc.path, ID: h.ID, Index: h.Index, Path: h.Source.Path})
		})
		if err = errors.Join(err, ferr); err != nil {
			return fmt.Errorf("looking for extra documents: %w", err)
		}
	}
	return nil
}
