package main

import (
	"fmt"
	"os"

	"github.com/ingestd/ingestd/internal/yamlconf"
)

// configFile is what reading a configuration file found besides the
// values: where each key is, and the problems of its keys and values.
type configFile struct {
	lines    *yamlconf.File
	problems []yamlconf.Problem
}

// loadConfig reads path over the defaults; an empty path gives defaults.
// Unknown keys and mistyped values are not errors here but problems of
// the returned configFile, so that every problem of a file is reported in
// one run; err is set only when the file cannot be read or is not YAML.
func loadConfig(path string) (daemonConfig, *configFile, error) {
	c := defaultDaemonConfig()
	if path == "" {
		return c, &configFile{}, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return c, nil, fmt.Errorf("config: %w", err)
	}
	lines, problems, err := yamlconf.Decode(b, &c)
	if err != nil {
		return c, nil, fmt.Errorf("config %s: %w", path, err)
	}
	return c, &configFile{lines: lines, problems: problems}, nil
}

// report returns every problem of c read from f: those of the file's keys
// and values, then those the checks of the settings find, each with the
// line of its key where the file sets it.
func (f *configFile) report(c *daemonConfig) []string {
	var out []string
	for _, p := range f.problems {
		out = append(out, p.String())
	}
	for _, m := range c.problems() {
		out = append(out, f.lines.Annotate(m).String())
	}
	return out
}
