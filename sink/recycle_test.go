package sink

import (
	"testing"
)

// TestRequestBuffers pins issue 12's buffer reuse: a fresh body has room
// for FlushBytes and one document's overshoot (FlushBytes/8) without
// growing; a delivered request is kept for the next one unless its body
// grew past 2¼ FlushBytes (one huge document); at most MaxInFlight+1 are
// kept, and a kept one comes back empty, holding no pending pointers.
func TestRequestBuffers(t *testing.T) {
	const fb = 800
	tb := newTestBulk(t, BulkConfig{FlushBytes: fb, MaxInFlight: 2}, okAnswer)

	fresh := tb.newRequest()
	if c := cap(fresh.body); c != fb+fb/8 || len(fresh.body) != 0 {
		t.Errorf("fresh body: len %d cap %d, want 0 and %d", len(fresh.body), c, fb+fb/8)
	}

	limit := 2*fb + fb/4
	for _, tt := range []struct {
		cap  int
		kept bool
	}{{fb, true}, {limit, true}, {limit + 1, false}, {2 * limit, false}} {
		r := &request{body: make([]byte, 10, tt.cap), items: []item{{start: 0, end: 10, owner: &pending{}}}}
		tb.recycle(r)
		got := tb.newRequest()
		if (got == r) != tt.kept {
			t.Errorf("body of cap %d (limit %d): kept %v, want %v", tt.cap, limit, got == r, tt.kept)
			continue
		}
		if !tt.kept {
			if cap(got.body) != fb+fb/8 {
				t.Errorf("after dropping cap %d: fresh body cap %d", tt.cap, cap(got.body))
			}
			continue
		}
		if len(got.body) != 0 || len(got.items) != 0 || cap(got.body) != tt.cap {
			t.Errorf("reused request: body len %d cap %d, %d items; want empty, cap %d", len(got.body), cap(got.body), len(got.items), tt.cap)
		}
		if it := got.items[:1][0]; it.owner != nil {
			t.Error("reused request still points at a settled batch")
		}
	}

	// MaxInFlight 2: three delivered requests are kept, a fourth is not.
	var rs []*request
	for range 4 {
		r := &request{body: make([]byte, 0, fb)}
		rs = append(rs, r)
		tb.recycle(r)
	}
	for i := range 4 {
		got := tb.newRequest()
		if kept := got == rs[i]; kept != (i < 3) {
			t.Errorf("MaxInFlight 2: delivered request %d kept %v, want %v (MaxInFlight+1 kept)", i, kept, i < 3)
		}
	}
}
