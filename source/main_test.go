package source

import (
	"flag"
	"os"
	"strconv"
	"testing"
)

// The follower's tests wait on timers and file notifications, not on the
// CPU (~30 s of waiting, ~1 s of CPU), and each uses its own directory,
// registry and logger; they are marked t.Parallel. Go runs at most
// GOMAXPROCS of them at once by default (2 on the CI machine), so unless
// -test.parallel is given, up to minParallel run at once. Tests that
// override a package variable or measure the process's heap stay serial
// (Go runs serial tests before the parallel ones). Each running tailer
// holds one inotify instance (fs.inotify.max_user_instances is 128 per
// user by default).
const minParallel = 16

func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if p := flag.Lookup("test.parallel"); !set && p != nil {
		if cur, ok := p.Value.(flag.Getter); ok && cur.Get().(int) < minParallel {
			_ = p.Value.Set(strconv.Itoa(minParallel))
		}
	}
	os.Exit(m.Run())
}
