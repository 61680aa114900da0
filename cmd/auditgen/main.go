package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/ingestd/ingestd/internal/auditgen"
)

func main() {
	n := flag.Int("n", 1000, "number of lines")
	seed := flag.Uint64("seed", 1, "random seed; the same seed gives the same lines")
	start := flag.String("start", "2021-09-22T00:00:00Z", "timestamp of the first line (RFC 3339)")
	out := flag.String("o", "-", "output file (- for stdout)")
	browsers := flag.Int("browser-agents", 0, "distinct browser user agents carried by half of the lines (0: none, only the 14 SDK-heavy agents)")
	flag.Parse()
	if *browsers < 0 {
		fmt.Fprintln(os.Stderr, "auditgen: -browser-agents must be 0 or more")
		os.Exit(2)
	}
	t0, err := time.Parse(time.RFC3339, *start)
	if err != nil {
		fmt.Fprintln(os.Stderr, "auditgen: -start:", err)
		os.Exit(2)
	}
	f := os.Stdout
	if *out != "-" {
		if f, err = os.Create(*out); err != nil {
			fmt.Fprintln(os.Stderr, "auditgen:", err)
			os.Exit(1)
		}
	}
	w := bufio.NewWriterSize(f, 1<<20)
	g := auditgen.New(*seed, t0)
	if *browsers > 0 {
		g.UseBrowserAgents(*seed, *browsers)
	}
	var buf []byte
	for range *n {
		buf = g.Append(buf[:0])
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "auditgen:", err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "auditgen:", err)
		os.Exit(1)
	}
}
