package geoiptest

import (
	"bytes"
	"fmt"
	"net"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Path is where the committed copy lives, relative to the module root.
const Path = "testdata/GeoLite2-City-Test.mmdb"

type place struct {
	network                          string
	country, countryName, continent  string
	regionCode, regionName, cityName string
	lat, lon                         float64
	timeZone, postal                 string
	metro                            uint16
}

var places = []place{
	{"111.202.167.0/24", "CN", "China", "AS", "BJ", "Beijing", "Beijing", 39.9288, 116.3889, "Asia/Shanghai", "", 0},
	{"2a02:598::/32", "CZ", "Czechia", "EU", "10", "Hlavní město Praha", "Prague", 50.0880, 14.4208, "Europe/Prague", "110 00", 0},
	{"8.8.8.0/24", "US", "United States", "NA", "CA", "California", "Mountain View", 37.386, -122.0838, "America/Los_Angeles", "94035", 807},
}

func names(en string) mmdbtype.Map {
	return mmdbtype.Map{"en": mmdbtype.String(en)}
}

// Build returns the database bytes. The output is deterministic.
func Build() ([]byte, error) {
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType: "GeoLite2-City",
		Description:  map[string]string{"en": "ingestd test City database"},
		Languages:    []string{"en"},
		RecordSize:   28,
		IPVersion:    6,
		BuildEpoch:   1632268800, // 2021-09-22
	})
	if err != nil {
		return nil, err
	}
	for _, p := range places {
		_, network, err := net.ParseCIDR(p.network)
		if err != nil {
			return nil, err
		}
		loc := mmdbtype.Map{
			"latitude":  mmdbtype.Float64(p.lat),
			"longitude": mmdbtype.Float64(p.lon),
			"time_zone": mmdbtype.String(p.timeZone),
		}
		if p.metro != 0 {
			loc["metro_code"] = mmdbtype.Uint16(p.metro)
		}
		rec := mmdbtype.Map{
			"continent": mmdbtype.Map{"code": mmdbtype.String(p.continent), "names": names(p.continent)},
			"country":   mmdbtype.Map{"iso_code": mmdbtype.String(p.country), "names": names(p.countryName)},
			"subdivisions": mmdbtype.Slice{mmdbtype.Map{
				"iso_code": mmdbtype.String(p.regionCode), "names": names(p.regionName),
			}},
			"city":     mmdbtype.Map{"names": names(p.cityName)},
			"location": loc,
		}
		if p.postal != "" {
			rec["postal"] = mmdbtype.Map{"code": mmdbtype.String(p.postal)}
		}
		if err := tree.Insert(network, rec); err != nil {
			return nil, fmt.Errorf("insert %s: %w", p.network, err)
		}
	}
	var buf bytes.Buffer
	if _, err := tree.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
