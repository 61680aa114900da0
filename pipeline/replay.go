package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/ingestd/ingestd/source"
)

// Replay reads the inputs in order through the pipeline into the sink. It
// returns an error when the sink or the dead-letter file fails (documents
// may then be missing), when some inputs could not be read, or when ctx
// ended first (wrapping ctx's cause); all readable input is processed in
// the first two cases unless the sink failed.
func Replay(ctx context.Context, o Options, inputs []Input, st *Stats) error {
	return Run(ctx, o, st, func(ctx context.Context, f *Feeder) error {
		var failed []error
		for i := range inputs {
			in := &inputs[i]
			if in.DocPath == "" {
				in.DocPath = in.Path
			}
			if err := ReadFile(ctx, f, in, &st.DiskBytes); err != nil {
				if ctx.Err() != nil {
					return fmt.Errorf("stopped in %s, %d of %d input(s) done: %w",
						in.Path, st.Files.Load(), len(inputs), context.Cause(ctx))
				}
				st.FilesFailed.Add(1)
				f.o.Logger.Error("input not fully read", "file", in.Path, "err", err)
				failed = append(failed, err)
				continue
			}
			st.Files.Add(1)
		}
		if len(failed) > 0 {
			return fmt.Errorf("%d input(s) could not be read: %w", len(failed), errors.Join(failed...))
		}
		return nil
	})
}

// ReadFile feeds a whole file (plain or gzip), a final line without
// newline included: the file is taken to be complete.
func ReadFile(ctx context.Context, f *Feeder, in *Input, disk *atomic.Int64) error {
	file, err := source.OpenCounting(in.Path, disk)
	if err != nil {
		return err
	}
	defer file.Close()
	lr := source.NewLineReader(file, f.o.MaxLine, 0)
	for {
		l, err := lr.Next()
		if err != nil {
			var tl *source.LineTooLongError
			switch {
			case errors.As(err, &tl):
				if err := f.TooLong(in, tl); err != nil {
					return err
				}
				continue
			case errors.Is(err, io.EOF):
				return f.Flush()
			default:
				f.Flush() // lines read before a corrupt archive still count
				return fmt.Errorf("%s: %w", in.Path, err)
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := f.Line(in, l); err != nil {
			return err
		}
	}
}
