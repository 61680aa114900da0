package daemon

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/ingestd/ingestd/enrich"
	"github.com/ingestd/ingestd/sink"
	"github.com/ingestd/ingestd/source"
)

// Config is the YAML configuration of `ingestd run`
// (deploy/ingestd.example.yaml). Each section's defaults and checks belong
// to the package that uses it (source, enrich, sink); the daemon adds its
// own keys.
type Config struct {
	Input           Input           `yaml:"input"`
	Registry        Registry        `yaml:"registry"`
	Enrich          enrich.Settings `yaml:"enrich"`
	Output          Output          `yaml:"output"`
	DeadLetter      DeadLetter      `yaml:"dead_letter"`
	Metrics         Metrics         `yaml:"metrics"`
	ShutdownTimeout time.Duration   `yaml:"shutdown_timeout"`
	StatusInterval  time.Duration   `yaml:"status_interval"`
	Workers         int             `yaml:"workers"`
}

// Input is where the audit files are and how they are followed.
type Input struct {
	Dir          string        `yaml:"dir"`
	Pattern      string        `yaml:"pattern"`
	StartAt      string        `yaml:"start_at"` // StartBeginning or StartEnd
	PollInterval time.Duration `yaml:"poll_interval"`
	RotateGrace  time.Duration `yaml:"rotate_grace"`
	IgnoreOlder  time.Duration `yaml:"ignore_older"`
	Poll         bool          `yaml:"poll"`
	MaxLine      int           `yaml:"max_line"`
}

// The values of Input.StartAt.
const (
	StartBeginning = "beginning"
	StartEnd       = "end"
)

// Registry is where committed offsets are kept.
type Registry struct {
	Path          string        `yaml:"path"`
	FlushInterval time.Duration `yaml:"flush_interval"`
}

// Output is the engine connection and the bulk sink's settings, in one
// section.
type Output struct {
	sink.Conn   `yaml:",inline"`
	sink.Output `yaml:",inline"`
}

// DeadLetter is where rejected lines go.
type DeadLetter struct {
	Path string `yaml:"path"`
}

// Metrics is where /metrics and /healthz are served (empty: nowhere).
type Metrics struct {
	Listen string `yaml:"listen"`
}

// Defaults returns the configuration of a file that sets nothing.
func Defaults() Config {
	return Config{
		Input: Input{Dir: "/var/log/authing-server", Pattern: source.DefaultPattern, StartAt: StartBeginning,
			PollInterval: source.DefaultPollInterval, RotateGrace: source.DefaultRotateGrace, MaxLine: source.DefaultMaxLine},
		Registry:        Registry{Path: "/var/lib/ingestd/registry.json", FlushInterval: time.Second},
		Enrich:          enrich.DefaultSettings(),
		Output:          Output{Conn: sink.Conn{Flavor: sink.FlavorAuto}, Output: sink.DefaultOutput()},
		DeadLetter:      DeadLetter{Path: "/var/lib/ingestd/dead-letters.ndjson"},
		ShutdownTimeout: 30 * time.Second,
		StatusInterval:  30 * time.Second,
	}
}

// tailConfig is the source's view of the input section.
func (c *Config) tailConfig(reg *source.Registry) source.TailConfig {
	in := c.Input
	return source.TailConfig{Dir: in.Dir, Pattern: in.Pattern, Registry: reg, StartAtEnd: in.StartAt == StartEnd,
		PollInterval: in.PollInterval, RotateGrace: in.RotateGrace, IgnoreOlder: in.IgnoreOlder, Poll: in.Poll, MaxLine: in.MaxLine}
}

// Problems checks the configuration without opening anything but the
// registry's directory (created if missing): one "key: message" per
// problem, keys as in the file. The files the enrich section names are
// checked by opening them, once (Check, Run).
func (c *Config) Problems() []string {
	tc := c.tailConfig(nil)
	p := prefixed("input.", tc.Problems())
	if c.Input.StartAt != StartBeginning && c.Input.StartAt != StartEnd {
		p = append(p, fmt.Sprintf("input.start_at: %q: want beginning or end", c.Input.StartAt))
	}
	if c.Registry.Path == "" {
		p = append(p, "registry.path: required")
	} else if err := os.MkdirAll(filepath.Dir(c.Registry.Path), 0o700); err != nil {
		p = append(p, fmt.Sprintf("registry.path: %v", err))
	}
	if c.DeadLetter.Path == "" {
		p = append(p, "dead_letter.path: required")
	}
	p = append(p, prefixed("output.", c.Output.Conn.Problems())...)
	p = append(p, prefixed("output.", c.Output.Output.Problems())...)
	return append(p, c.ownProblems()...)
}

// ownProblems checks the daemon's own keys.
func (c *Config) ownProblems() []string {
	var p []string
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"registry.flush_interval", c.Registry.FlushInterval}, {"shutdown_timeout", c.ShutdownTimeout}, {"status_interval", c.StatusInterval}} {
		if d.v <= 0 {
			p = append(p, fmt.Sprintf("%s: %v: must be a positive duration such as 1s", d.key, d.v))
		}
	}
	if l := c.Metrics.Listen; l != "" {
		if _, _, err := net.SplitHostPort(l); err != nil {
			p = append(p, fmt.Sprintf("metrics.listen: %q: want host:port or :port", l))
		}
	}
	if c.Workers < 0 {
		p = append(p, fmt.Sprintf("workers: %d: must not be negative (0 = one per CPU)", c.Workers))
	}
	return p
}

func prefixed(prefix string, msgs []string) []string {
	for i, m := range msgs {
		msgs[i] = prefix + m
	}
	return msgs
}
