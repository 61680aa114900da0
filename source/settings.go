package source

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Defaults of the tailer: NewTailer applies them to zero values, and the
// daemon's configuration shows them.
const (
	DefaultPattern      = "audit.*.log"
	DefaultPollInterval = time.Second
	DefaultRotateGrace  = 5 * time.Second
	// MinMaxLine is the smallest maximum line length a user may set.
	MinMaxLine = 1024
)

// Problems checks a tail configuration as a user gives it (zero values
// are not defaults here): one "key: message" per problem, keys as in the
// daemon's input section. NewTailer makes the same pattern and
// ignore_older checks through the same functions.
func (c *TailConfig) Problems() []string {
	var p []string
	if st, err := os.Stat(c.Dir); err != nil || !st.IsDir() {
		p = append(p, fmt.Sprintf("dir: %s is not a readable directory", c.Dir))
	}
	if err := checkPattern(c.Pattern); err != nil || c.Pattern == "" {
		p = append(p, fmt.Sprintf("pattern: %q is not a valid glob", c.Pattern))
	}
	if c.MaxLine < MinMaxLine {
		p = append(p, fmt.Sprintf("max_line: must be at least %d bytes", MinMaxLine))
	}
	if c.PollInterval <= 0 {
		p = append(p, fmt.Sprintf("poll_interval: %v: must be a positive duration such as 1s", c.PollInterval))
	}
	if c.RotateGrace < 0 {
		p = append(p, fmt.Sprintf("rotate_grace: %v: must not be negative", c.RotateGrace))
	}
	if err := checkIgnoreOlder(c.IgnoreOlder, c.RotateGrace); err != nil {
		p = append(p, "ignore_older: "+err.Error())
	}
	return p
}

func checkPattern(pattern string) error {
	_, err := filepath.Match(pattern, "")
	return err
}

// checkIgnoreOlder: not negative, and longer than the rotate grace (or the
// day being finished could be skipped).
func checkIgnoreOlder(d, rotateGrace time.Duration) error {
	if d < 0 {
		return fmt.Errorf("%v: must not be negative (0 = read files of any age)", d)
	}
	if d > 0 && d <= rotateGrace {
		return fmt.Errorf("%v: must be longer than input.rotate_grace (%v), or the day being finished could be skipped", d, rotateGrace)
	}
	return nil
}
