// Package memtune holds ingestd's process-wide memory policy: the garbage
// collector's default growth. It owns no buffers and starts no goroutines;
// Apply is called once by the command before any work starts.
package memtune
