package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Stamped by the linker:
//
//	go build -ldflags "-X github.com/ingestd/ingestd/internal/buildinfo.version=v1.2.3 -X github.com/ingestd/ingestd/internal/buildinfo.commit=abc123"
var (
	version = ""
	commit  = ""
)

// uapModule is the module whose embedded regexes.yaml (uap-core) parses
// user agents.
const uapModule = "github.com/ua-parser/uap-go"

// Info describes this binary.
type Info struct {
	Version   string // stamped version, or "devel"
	Commit    string // stamped commit, else the VCS revision Go recorded, else "unknown"
	GoVersion string
	// UAPVersion is the uap-go module version; UAPDate the date of the
	// uap-go commit it names (the uap-core regexes it embeds date from
	// then), zero when the version carries no date.
	UAPVersion string
	UAPDate    time.Time
}

// Get returns the description of the running binary.
func Get() Info {
	i := Info{Version: version, Commit: commit, GoVersion: runtime.Version(), UAPVersion: "unknown"}
	bi, ok := debug.ReadBuildInfo()
	if ok {
		if i.Commit == "" {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					i.Commit = s.Value
				}
			}
		}
		for _, d := range bi.Deps {
			if d.Path == uapModule {
				if d.Replace != nil {
					d = d.Replace
				}
				i.UAPVersion = d.Version
				i.UAPDate = pseudoVersionTime(d.Version)
			}
		}
	}
	if i.Version == "" {
		i.Version = "devel"
	}
	if i.Commit == "" {
		i.Commit = "unknown"
	}
	return i
}

// pseudoVersionTime returns the UTC time a Go pseudo-version
// (v0.0.0-20260529044130-17c35e68e58c) carries, or the zero time.
func pseudoVersionTime(v string) time.Time {
	parts := strings.Split(v, "-")
	if len(parts) < 3 {
		return time.Time{}
	}
	ts := parts[len(parts)-2]
	if i := strings.LastIndexByte(ts, '.'); i >= 0 { // v1.2.4-0.20260529044130-…
		ts = ts[i+1:]
	}
	t, err := time.Parse("20060102150405", ts)
	if err != nil {
		return time.Time{}
	}
	return t
}
