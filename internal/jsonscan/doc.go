// Package jsonscan walks the members of a JSON object or the elements of
// an array without decoding them, for readers that need a few fields of
// large documents (verify compares six fields of ~2 KB documents).
//
// Buffer ownership: the keys and values passed to the callbacks are
// slices of the caller's buffer (an escaped key is unquoted into a new
// one); they are valid as long as that buffer. No state, no goroutines:
// safe for concurrent use on different or the same read-only buffers.
package jsonscan
