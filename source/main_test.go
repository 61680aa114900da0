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
// -test.parallel is given (or a fuzz target is fuzzed), up to minParallel
// run at once. Tests that override a package variable or measure the
// process's heap stay serial (Go runs serial tests before the parallel
// ones). Each running tailer holds one inotify instance
// (fs.inotify.max_user_instances is 128 per user by default).
const minParallel = 16

func TestMain(m *testing.M) {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	// When fuzzing, -parallel is the number of fuzzing processes: it keeps
	// its default then.
	fuzzing := flag.Lookup("test.fuzz") != nil && flag.Lookup("test.fuzz").Value.String() != ""
	if p := flag.Lookup("test.parallel"); p != nil && !given && !fuzzing {
		if cur, ok := p.Value.(flag.Getter); ok && cur.Get().(int) < minParallel {
			_ = p.Value.Set(strconv.Itoa(minParallel))
		}
	}
	os.Exit(m.Run())
}
