package main

import (
	"regexp"
	"strings"
	"testing"
)

func TestVersionCommand(t *testing.T) {
	out, _, err := runCmd(t, "version", "--geoip-db", "../../testdata/GeoLite2-City-Test.mmdb")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`(?m)^ingestd \S+$`,
		`(?m)^commit: \S+$`,
		`(?m)^go: go1\.\d+`,
		`(?m)^uap-core: embedded in uap-go v\S+, built \d{4}-\d{2}-\d{2}$`,
		`(?m)^geoip: \S+GeoLite2-City-Test\.mmdb GeoLite2-City, built 2021-09-22$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	out, _, _ = runCmd(t, "version", "--geoip-db", "no-such.mmdb")
	if !strings.Contains(out, "geoip: geoip database no-such.mmdb:") {
		t.Errorf("missing database not reported:\n%s", out)
	}
}
