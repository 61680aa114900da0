package memtune

import (
	"runtime/debug"
	"testing"
)

func TestApply(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	cases := []struct {
		name    string
		gogc    string
		set     int // percent the runtime had, as if from GOGC
		applied bool
		want    int
	}{
		{"unset: the default", "", 100, true, DefaultGCPercent},
		{"set: left alone", "200", 200, false, 200},
		{"off: left alone", "off", -1, false, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			debug.SetGCPercent(c.set)
			got := Apply(func(k string) string {
				if k == "GOGC" {
					return c.gogc
				}
				return ""
			})
			if got != c.applied {
				t.Errorf("Apply = %v, want %v", got, c.applied)
			}
			if now := debug.SetGCPercent(100); now != c.want {
				t.Errorf("runtime percent %d, want %d", now, c.want)
			}
		})
	}
}
