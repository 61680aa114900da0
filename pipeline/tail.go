package pipeline

import (
	"context"

	"github.com/ingestd/ingestd/sink"
	"github.com/ingestd/ingestd/source"
)

// Tail runs the pipeline over a tailer until ctx ends. Each batch carries
// its Position as its sink.Token: when the sink settles it, the file's
// cursor is acknowledged, and only then does the registry move.
func Tail(ctx context.Context, o Options, t *source.Tailer, docPath func(string) string, st *Stats) error {
	return Run(ctx, o, st, func(ctx context.Context, f *Feeder) error {
		h := &tailHandler{f: f, inputs: map[*source.Tracked]*Input{}, docPath: docPath}
		return t.Run(ctx, h)
	})
}

// Settled acknowledges the position to its file's cursor (sink.Token): every
// line up to End is indexed or dead-lettered. Positions of replayed files
// (no cursor) need no acknowledgement.
func (pos *Position) Settled() {
	if pos.Input != nil && pos.Input.File != nil {
		pos.Input.File.Ack(pos.End, pos.EventMilli)
	}
}

var _ sink.Token = (*Position)(nil)

type tailHandler struct {
	f       *Feeder
	inputs  map[*source.Tracked]*Input
	docPath func(string) string
}

func (h *tailHandler) input(tr *source.Tracked) *Input {
	in, ok := h.inputs[tr]
	if !ok {
		dp := tr.Path
		if h.docPath != nil {
			dp = h.docPath(tr.Path)
		}
		in = &Input{Path: tr.Path, DocPath: dp, File: tr}
		clear(h.inputs) // one file at a time: forget finished ones
		h.inputs[tr] = in
	}
	return in
}

func (h *tailHandler) Line(tr *source.Tracked, l source.Line) error { return h.f.Line(h.input(tr), l) }
func (h *tailHandler) TooLong(tr *source.Tracked, e *source.LineTooLongError) error {
	return h.f.TooLong(h.input(tr), e)
}
func (h *tailHandler) Flush() error { return h.f.Flush() }
