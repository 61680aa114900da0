// Package geoiptest builds the small City database used by the tests and
// by the README's run command (testdata/GeoLite2-City-Test.mmdb).
//
// It covers 111.202.167.0/24 with the reference sample's Beijing values, an
// IPv6 network (2a02:598::/32, Prague, with a postal code), a US network with
// a postal code and a metro (DMA) code (8.8.8.0/24), and leaves everything
// else as a gap, e.g. 1.1.1.1.
//
// Build returns a fresh buffer (the caller owns it); no state, no
// goroutines.
package geoiptest
