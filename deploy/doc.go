// Package deploy holds the files operators deploy next to ingestd; the
// index template is embedded from here so that the shipped file and the
// one ingestd installs are the same bytes.
//
// It holds embedded bytes only: no state, no goroutines, nothing to shut
// down; IndexTemplate must not be modified.
package deploy
