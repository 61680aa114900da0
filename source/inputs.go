package source

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// DateRange keeps the files whose name carries a date (YYYY-MM-DD) within
// [From, To]; either may be empty. The zero value keeps every file.
type DateRange struct{ From, To string }

// ParseDateRange checks from and to (YYYY-MM-DD or empty).
func ParseDateRange(from, to string) (DateRange, error) {
	var errs []error
	for _, d := range []struct{ name, v string }{{"from", from}, {"to", to}} {
		if _, err := time.Parse("2006-01-02", d.v); d.v != "" && err != nil {
			errs = append(errs, fmt.Errorf("--%s %q: want YYYY-MM-DD", d.name, d.v))
		}
	}
	return DateRange{From: from, To: to}, errors.Join(errs...)
}

var fileDate = regexp.MustCompile(`\d{4}-\d{2}-\d{2}`)

// keeps says whether the file named base is in the range. Files without a
// date in their name are kept only when no range is given.
func (r DateRange) keeps(base string) bool {
	if r.From == "" && r.To == "" {
		return true
	}
	d := fileDate.FindString(base)
	return d != "" && (r.From == "" || d >= r.From) && (r.To == "" || d <= r.To)
}

// ExpandInputs turns FILE, DIR and GLOB arguments into files, sorted within
// each argument and deduplicated: a directory gives its regular files
// (symbolic links followed) whose name matches pattern; a glob that
// matches nothing is kept as given (reading it reports the error). Files
// outside r are skipped and counted.
func ExpandInputs(args []string, pattern string, r DateRange) (files []string, skipped int, err error) {
	seen := map[string]bool{}
	add := func(p string) {
		if seen[p] {
			return
		}
		seen[p] = true
		if !r.keeps(filepath.Base(p)) {
			skipped++
			return
		}
		files = append(files, p)
	}
	for _, a := range args {
		names, err := expandArg(a, pattern)
		if err != nil {
			return nil, 0, err
		}
		for _, n := range names {
			add(n)
		}
	}
	return files, skipped, nil
}

// expandArg returns the files one argument names, sorted.
func expandArg(a, pattern string) ([]string, error) {
	st, statErr := os.Stat(a)
	switch {
	case statErr == nil && st.IsDir():
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, err
		}
		var names []string
		for _, e := range entries {
			if ok, _ := filepath.Match(pattern, e.Name()); !ok {
				continue
			}
			full := filepath.Join(a, e.Name())
			// Follow symbolic links (logrotate setups use them); keep
			// regular files only.
			if st, err := os.Stat(full); err == nil && st.Mode().IsRegular() {
				names = append(names, full)
			}
		}
		sort.Strings(names)
		return names, nil
	case statErr == nil:
		return []string{a}, nil
	}
	matches, gerr := filepath.Glob(a)
	if gerr != nil || len(matches) == 0 {
		return []string{a}, nil // reported as unreadable by the run
	}
	sort.Strings(matches)
	return matches, nil
}

// DocPath returns the "path" field of a document read from file: with dir,
// DIR/NAME (NAME without .gz), where the file lived on the log host;
// without, the file's absolute path.
func DocPath(file, dir string) string {
	if dir == "" {
		if abs, err := filepath.Abs(file); err == nil {
			return abs
		}
		return file
	}
	return filepath.Join(dir, strings.TrimSuffix(filepath.Base(file), ".gz"))
}
