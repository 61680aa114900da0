package auditgen

import (
	"fmt"
	"math/rand/v2"
	"time"
)

var userAgents = []string{
	"python-requests/2.26.0",
	"python-requests/2.31.0",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/94.0.4606.61 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.0 Safari/605.1.15",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 15_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.0 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Linux; Android 11; Pixel 5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/94.0.4606.71 Mobile Safari/537.36",
	"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:92.0) Gecko/20100101 Firefox/92.0",
	"axios/0.21.4",
	"node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
	"okhttp/4.9.1",
	"Go-http-client/1.1",
	"Java/11.0.12",
	"curl/7.68.0",
	"null",
}

type event struct {
	eventType, resourceType, resourceName, operationType string
}

var events = []event{
	{"createUser", "DATA", "user", "create"},
	{"deleteUser", "DATA", "user", "delete"},
	{"deleteUsers", "DATA", "user", "delete"},
	{"updateUser", "DATA", "user", "update"},
	{"importUser", "DATA", "user", "import"},
	{"exportUser", "DATA", "user", "export"},
	{"login", "user", "user", "login"},
	{"logout", "user", "user", "logout"},
	{"register", "user", "user", "create"},
	{"updateUserPassword", "user", "user", "update"},
	{"verifyMfa", "user", "user", "read"},
	{"createRole", "DATA", "role", "create"},
	{"updateApplication", "DATA", "application", "update"},
}

var modes = []string{"sdk", "console", "api", "web"}

// Generator produces lines. Not safe for concurrent use.
type Generator struct {
	r        *rand.Rand
	t        time.Time
	n        int
	ips      []string
	pools    []string
	browsers []string
}

// New returns a generator whose output depends only on seed and start.
func New(seed uint64, start time.Time) *Generator {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	g := &Generator{r: r, t: start}
	g.ips = append(g.ips, "111.202.167.58", "8.8.8.8", "2a02:598:2::1", "null", "10.0.3.7", "192.168.1.20")
	for len(g.ips) < 5000 {
		switch r.IntN(10) {
		case 0:
			g.ips = append(g.ips, fmt.Sprintf("2408:%x:%x::%x", r.IntN(0xffff), r.IntN(0xffff), r.IntN(0xffff)))
		case 1:
			g.ips = append(g.ips, fmt.Sprintf("10.%d.%d.%d", r.IntN(256), r.IntN(256), 1+r.IntN(254)))
		default:
			g.ips = append(g.ips, fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(223), r.IntN(256), r.IntN(256), 1+r.IntN(254)))
		}
	}
	for range 20 {
		g.pools = append(g.pools, hex(r, 24))
	}
	g.pools[0] = "61384d3e302f1f75e69ce95a"
	return g
}

func hex(r *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[r.IntN(16)]
	}
	return string(b)
}

func uuid(r *rand.Rand) string {
	return hex(r, 8) + "-" + hex(r, 4) + "-4" + hex(r, 3) + "-a" + hex(r, 3) + "-" + hex(r, 12)
}

// userAgent picks the next line's agent: with browser agents enabled, half
// of the lines carry one of them.
func (g *Generator) userAgent() string {
	if len(g.browsers) > 0 && g.r.IntN(2) == 0 {
		return g.browsers[g.r.IntN(len(g.browsers))]
	}
	return userAgents[g.r.IntN(len(userAgents))]
}

// Time returns the timestamp the next line will carry.
func (g *Generator) Time() time.Time { return g.t }

// Append appends the next line, with its newline, to dst.
func (g *Generator) Append(dst []byte) []byte {
	r := g.r
	g.n++
	g.t = g.t.Add(time.Duration(1+r.IntN(20)) * time.Millisecond)
	ev := events[r.IntN(len(events))]
	result, msg, param := "success", "null", "null"
	if r.IntN(10) == 0 {
		result = "fail"
		msg = []string{"permission denied", "user not found: id=" + hex(r, 6), "请求参数错误，请检查后重试", "request failed appId=" + hex(r, 8)}[r.IntN(4)]
	}
	if r.IntN(5) == 0 {
		param = fmt.Sprintf(`{"ids":["%s"],"note":"batch %d, by admin","options":{"sendEmail":false}}`, hex(r, 24), r.IntN(100))
	}
	details := "null"
	if r.IntN(20) == 0 {
		details = "修改了用户「 " + hex(r, 6) + " 」的资料"
	}
	dst = append(dst, '[')
	dst = g.t.AppendFormat(dst, "2006-01-02T15:04:05.000-0700")
	dst = fmt.Appendf(dst, "] logId=%s appId=%s userName=user%d@example.com userPoolId=%s userId=%s requestId=%s roleName=admin roleCode=null roleId=null userAgent=%s clientIp=%s eventType=%s eventDetails=%s resourceType=%s resourceName=%s resourceDetails=%s operationType=%s operationMode=%s originValue=null targetValue=null eventResultCode=%s operationParam=%s eventResultMsg=%s\n",
		uuid(r), []string{"null", hex(r, 24)}[r.IntN(2)], r.IntN(100000), g.pools[r.IntN(len(g.pools))], hex(r, 24), uuid(r),
		g.userAgent(), g.ips[r.IntN(len(g.ips))], ev.eventType, details,
		ev.resourceType, ev.resourceName, hex(r, 10), ev.operationType, modes[r.IntN(len(modes))], result, param, msg)
	return dst
}
