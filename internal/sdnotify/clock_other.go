//go:build !linux

package sdnotify

func monotonicNow() int64 { return 0 }
