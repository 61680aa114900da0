package uamatch

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ua-parser/uap-go/uaparser"

	"github.com/ingestd/ingestd/internal/auditgen"
	"github.com/ingestd/ingestd/parser"
)

// uapGoAgents returns the distinct agents of the test list shipped in the
// uap-go module itself (its "uas" file, 100 000 lines).
func uapGoAgents(t testing.TB) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/ua-parser/uap-go").Output()
	if err != nil {
		t.Fatalf("locating the uap-go module: %v", err)
	}
	f, err := os.Open(filepath.Join(strings.TrimSpace(string(out)), "uas"))
	if err != nil {
		t.Fatalf("uap-go's test agents: %v", err)
	}
	defer f.Close()
	var agents []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		agents = append(agents, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return dedupe(agents)
}

// npmAgents returns the distinct agents of npm user-agents' list, fetched
// by scripts/fetch-user-agents.sh (scripts/test.sh exports its path as
// INGESTD_USER_AGENTS). Missing under CI=true is a failure; locally the
// script is run.
func npmAgents(t testing.TB) []string {
	t.Helper()
	path := os.Getenv("INGESTD_USER_AGENTS")
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("INGESTD_USER_AGENTS is not set: run the tests through scripts/test.sh (it fetches npm user-agents)")
		}
		out, err := exec.Command("../../scripts/fetch-user-agents.sh").Output()
		if err != nil {
			t.Fatalf("fetching npm user-agents with scripts/fetch-user-agents.sh: %v", err)
		}
		path = strings.TrimSpace(string(out))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("npm user-agents list: %v", err)
	}
	var rows []struct {
		UserAgent string `json:"userAgent"`
	}
	if err := json.Unmarshal(b, &rows); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	agents := make([]string, 0, len(rows))
	for _, r := range rows {
		agents = append(agents, r.UserAgent)
	}
	agents = dedupe(agents)
	if len(agents) < 500 {
		t.Fatalf("%s: only %d distinct agents", path, len(agents))
	}
	return agents
}

// testdataAgents returns the userAgent values of the repository's sample
// logs.
func testdataAgents(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("../../testdata/*.log")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata logs: %v", err)
	}
	var agents []string
	var ev parser.Event
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.SplitSeq(string(b), "\n") {
			if parser.Parse([]byte(line), &ev) != nil {
				continue
			}
			if ua, ok := ev.Get(parser.UserAgent); ok {
				agents = append(agents, string(ua))
			}
		}
	}
	return dedupe(agents)
}

var digits = regexp.MustCompile(`\d+`)

// variants derives agents uap-core's patterns have not seen: other version
// numbers, other letter case, and hostile shapes.
func variants(seed []string, n int) []string {
	r := rand.New(rand.NewPCG(12, 34))
	var out []string
	for range n {
		a := seed[r.IntN(len(seed))]
		switch r.IntN(4) {
		case 0, 1: // new version numbers
			a = digits.ReplaceAllStringFunc(a, func(d string) string {
				if r.IntN(2) == 0 {
					return d
				}
				return fmt.Sprint(r.IntN(300))
			})
		case 2: // case changes exercise (?i) and case-sensitive patterns
			if r.IntN(2) == 0 {
				a = strings.ToUpper(a)
			} else {
				a = strings.ToLower(a)
			}
		case 3: // truncated
			a = a[:r.IntN(len(a)+1)]
		}
		out = append(out, a)
	}
	return append(out,
		"", " ", "null", "-", "Mozilla/5.0",
		"Mozilla/5.0 (Linux; Android 13; \u212Aindle Fire) AppleWebKit/537.36", // Kelvin sign folds to k
		"Googlebot/2.1 (+http://www.google.com/bot.html) \u017Fpider",          // long s folds to s
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) \xff\xfe Chrome/120.0.0.0",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) Ä Ö 中文 Safari/604.1",
		strings.Repeat("Mozilla/5.0 (Windows NT 10.0) ", 40),
	)
}

func dedupe(in []string) []string {
	seen := make(map[string]bool, len(in))
	out := in[:0]
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// TestEqualToUapGo: for every agent of the equality set the fast path's
// user agent, OS and device equal uaparser.Parser.Parse's, field by field.
func TestEqualToUapGo(t *testing.T) {
	fast, err := New()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := uaparser.New(uaparser.WithCacheSize(1))
	if err != nil {
		t.Fatal(err)
	}
	sets := map[string][]string{
		"uap-go uas":      uapGoAgents(t),
		"npm user-agents": npmAgents(t),
		"testdata":        testdataAgents(t),
	}
	var all []string
	for _, s := range sets {
		all = append(all, s...)
	}
	slices.Sort(all)
	sets["variants"] = variants(all, 600)
	sets["auditgen browsers"] = auditgen.BrowserAgents(1, 1500)
	for name, agents := range sets {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			compare(t, fast, ref, agents)
		})
	}
}

func compare(t *testing.T, fast *Parser, ref *uaparser.Parser, agents []string) {
	t.Helper()
	var mu sync.Mutex
	var diffs []string
	var wg sync.WaitGroup
	next := make(chan string)
	for range 2 {
		wg.Go(func() {
			for a := range next {
				// Parse runs exactly these three in goroutines of its
				// own; called directly they cost less under -race.
				want := &uaparser.Client{UserAgent: ref.ParseUserAgent(a), Os: ref.ParseOs(a), Device: ref.ParseDevice(a)}
				got := fast.Parse(a)
				if d := diff(got, want); d != "" {
					mu.Lock()
					diffs = append(diffs, fmt.Sprintf("%q: %s", a, d))
					mu.Unlock()
				}
			}
		})
	}
	for _, a := range agents {
		next <- a
	}
	close(next)
	wg.Wait()
	for i, d := range diffs {
		if i == 20 {
			t.Errorf("… and %d more", len(diffs)-i)
			break
		}
		t.Error(d)
	}
	t.Logf("%d agents compared, %d differ", len(agents), len(diffs))
}

func diff(got, want *uaparser.Client) string {
	var d []string
	if *got.UserAgent != *want.UserAgent {
		d = append(d, fmt.Sprintf("user agent %+v, uap-go %+v", *got.UserAgent, *want.UserAgent))
	}
	if *got.Os != *want.Os {
		d = append(d, fmt.Sprintf("os %+v, uap-go %+v", *got.Os, *want.Os))
	}
	if *got.Device != *want.Device {
		d = append(d, fmt.Sprintf("device %+v, uap-go %+v", *got.Device, *want.Device))
	}
	return strings.Join(d, "; ")
}

// TestDiffSeesAWrongIndex: a parser whose index unlocks nothing answers
// "Other" for a Chrome agent, and diff reports it; so the equality test can
// fail.
func TestDiffSeesAWrongIndex(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := uaparser.New(uaparser.WithCacheSize(1))
	if err != nil {
		t.Fatal(err)
	}
	broken := &Parser{defs: p.defs, size: p.size, ac: p.ac, lits: p.lits, targets: make([][]target, len(p.targets))}
	for l := range numLists {
		broken.always[l] = newBitset(p.size[l])
	}
	broken.scratch.New = p.scratch.New
	a := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
	if d := diff(p.Parse(a), ref.Parse(a)); d != "" {
		t.Fatalf("fast path differs: %s", d)
	}
	if d := diff(broken.Parse(a), ref.Parse(a)); d == "" {
		t.Fatal("diff saw no difference from a parser that tries no pattern")
	}
}
