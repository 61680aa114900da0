package source

import (
	"path/filepath"
	"regexp"
	"time"
)

// nameDate finds a date in a file name: 2021-09-22, 2021.09.22, 2021_09_22
// or 20210922.
var nameDate = regexp.MustCompile(`(?:^|[^0-9])((?:19|20)[0-9]{2})([-._]?)(0[1-9]|1[0-2])([-._]?)(0[1-9]|[12][0-9]|3[01])(?:[^0-9]|$)`)

// dateInName returns the date a file name carries, if any.
func dateInName(path string) (time.Time, bool) {
	m := nameDate.FindStringSubmatch(filepath.Base(path))
	if m == nil || m[2] != m[4] {
		return time.Time{}, false
	}
	d, err := time.Parse("2006-01-02", m[1]+"-"+m[3]+"-"+m[5])
	if err != nil {
		return time.Time{}, false
	}
	return d, true
}

// olderThan reports whether a file whose name is path and whose last
// modification is mtime is older than the cutoff (ignore_older): its
// modification time is before it, or its name carries a date whose day
// ended before it. The name's day counts as ending a day late (midnight
// UTC of the day after next), whatever the writer's time zone, so that no
// file within the window is skipped for its name.
func olderThan(path string, mtime, cutoff time.Time) bool {
	if mtime.Before(cutoff) {
		return true
	}
	if d, ok := dateInName(path); ok && d.AddDate(0, 0, 2).Before(cutoff) {
		return true
	}
	return false
}
