package enrich

import (
	"fmt"
	"log/slog"
	"os"
	"time"
)

// Defaults of the enrichment settings.
const (
	DefaultLang       = "zh-CN"
	DefaultCacheSize  = 100_000
	DefaultGeoIPCheck = time.Minute // how often the daemon looks for a replaced GeoIP database
)

// Settings are the user's enrichment settings (replay's and verify's
// flags, the daemon's enrich section).
type Settings struct {
	GeoIPDB   string `yaml:"geoip_db"`
	NoGeoIP   bool   `yaml:"no_geoip"`
	Dict      string `yaml:"dict"`
	Lang      string `yaml:"lang"`
	Host      string `yaml:"host"`
	Directory string `yaml:"directory"`
	CacheSize int    `yaml:"cache_size"`
	// GeoIPCheck is how often the daemon looks for a replaced database
	// (0: never).
	GeoIPCheck time.Duration `yaml:"geoip_check_interval"`
}

// SettingError is a setting that cannot be used: Key is its key in the
// daemon's enrich section.
type SettingError struct {
	Key string
	Err error
}

func (e *SettingError) Error() string { return e.Key + ": " + e.Err.Error() }
func (e *SettingError) Unwrap() error { return e.Err }

// DefaultSettings returns the defaults.
func DefaultSettings() Settings {
	return Settings{Lang: DefaultLang, CacheSize: DefaultCacheSize, GeoIPCheck: DefaultGeoIPCheck}
}

// Open loads the dictionary, the directory, the user-agent patterns and
// the GeoIP database — the only time they are opened — and returns the
// Enricher and a function that releases it. Errors are SettingErrors
// naming the setting, except the dictionary's, which name the language or
// the file.
func (s *Settings) Open(log *slog.Logger) (*Enricher, func(), error) {
	if s.GeoIPCheck < 0 {
		return nil, nil, &SettingError{"geoip_check_interval", fmt.Errorf("%v: must not be negative (0 = no check)", s.GeoIPCheck)}
	}
	dict, err := LoadDictionary(s.Lang, s.Dict) // its errors say lang or file
	if err != nil {
		return nil, nil, err
	}
	dir, err := LoadDirectory(s.Directory)
	if err != nil {
		return nil, nil, &SettingError{"directory", err}
	}
	host := s.Host
	if host == "" {
		if host, err = os.Hostname(); err != nil {
			return nil, nil, &SettingError{"host", fmt.Errorf("%w (set --host)", err)}
		}
	}
	ua, err := NewUserAgents(s.CacheSize)
	if err != nil {
		return nil, nil, err
	}
	cfg := Config{UA: ua, Dict: dict, Directory: dir, Host: host}
	closeFn := func() {}
	if !s.NoGeoIP {
		path := s.GeoIPDB
		if path == "" {
			path = FindGeoIPDatabase()
		}
		if path == "" {
			log.Warn("no GeoIP database found; documents will have no geoip block", "searched", DefaultGeoIPPaths, "hint", "use --geoip-db PATH")
		} else {
			geo, err := OpenGeoIP(path, s.CacheSize)
			if err != nil {
				return nil, nil, &SettingError{"geoip_db", err}
			}
			cfg.GeoIP = geo
			closeFn = func() { geo.Close() }
		}
	}
	return New(cfg), closeFn, nil
}

// Reload reads the dictionary and the directory again and puts them in
// use together (SetTables); if either fails, both old ones stay.
func (s *Settings) Reload(e *Enricher) (*Directory, error) {
	dict, err := LoadDictionary(s.Lang, s.Dict)
	if err != nil {
		return nil, err
	}
	dir, err := LoadDirectory(s.Directory)
	if err != nil {
		return nil, err
	}
	e.SetTables(dict, dir)
	return dir, nil
}
