package daemon

import (
	"fmt"
	"os"

	"github.com/ingestd/ingestd/internal/yamlconf"
)

// File is a configuration file read over the defaults: the configuration,
// where each key is, and the problems of its keys and values.
type File struct {
	Config   Config
	lines    *yamlconf.File
	problems []yamlconf.Problem
}

// Load reads path over the defaults; an empty path gives the defaults.
// Unknown keys and mistyped values are not errors here but problems that
// Report lists, so that every problem of a file is reported in one run;
// err is set only when the file cannot be read or is not YAML.
func Load(path string) (*File, error) {
	f := &File{Config: Defaults()}
	if path == "" {
		return f, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return f, fmt.Errorf("config: %w", err)
	}
	f.lines, f.problems, err = yamlconf.Decode(b, &f.Config)
	if err != nil {
		return f, fmt.Errorf("config %s: %w", path, err)
	}
	return f, nil
}

// Report returns the problems of the file's keys and values, then checks
// ("key: message", from Problems or Check), each with the line of its key
// where the file sets it: "output.flush_docs (line 9): -1: must be
// positive".
func (f *File) Report(checks []string) []string {
	var out []string
	for _, p := range f.problems {
		out = append(out, p.String())
	}
	for _, m := range checks {
		out = append(out, f.lines.Annotate(m).String())
	}
	return out
}
