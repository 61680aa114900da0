package shutdown

import (
	"context"
	"testing"
	"time"
)

// TestGraceAfter: the shutdown timeout counts from the first signal (soft),
// not from when reading has wound down, and a second signal (hard) cuts it
// short.
func TestGraceAfter(t *testing.T) {
	soft, stopSoft := context.WithCancel(context.Background())
	ctx, cancel := GraceAfter(soft, context.Background(), 50*time.Millisecond)
	defer cancel()
	select {
	case <-ctx.Done():
		t.Fatal("in-flight context ended before any signal")
	case <-time.After(100 * time.Millisecond):
	}
	stopSoft()
	if ctx.Err() != nil {
		t.Fatal("in-flight context ended at the first signal instead of after the grace")
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("in-flight context outlived the grace")
	}

	soft2, stopSoft2 := context.WithCancel(context.Background())
	hard, stopHard := context.WithCancel(context.Background())
	ctx2, cancel2 := GraceAfter(soft2, hard, time.Hour)
	defer cancel2()
	stopSoft2()
	stopHard()
	select {
	case <-ctx2.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a second signal did not end in-flight work")
	}
}
