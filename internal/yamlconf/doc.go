// Package yamlconf decodes a YAML configuration file into a Go struct and
// reports every problem of the file at once, in the user's words and with
// the line the YAML has for it:
//
//	input.pattrn (line 3): unknown key; did you mean "pattern"?
//	output.flush_docs (line 9): "many" is not a whole number
//
// Keys are matched against the struct's yaml tags (nested structs are
// sections). Unknown keys and values of the wrong type are collected, not
// fatal: the rest of the file is still decoded, so that the owner of the
// settings can add its own checks (File.Annotate gives them their line).
// Only a file that is not YAML at all stops decoding.
//
// It keeps no state beyond the returned File and starts no goroutines.
package yamlconf
