package auditgen

import (
	"fmt"
	"math/rand/v2"
)

// UseBrowserAgents makes half of the following lines carry one of n
// distinct browser user agents (desktop and mobile Chrome, Edge, Firefox,
// Safari, Samsung Internet, WeChat's and other in-app browsers, with
// varied versions and Android device models), as an identity service's
// audit log does: browser agents churn with every release. The agents
// depend only on the generator's seed and n; n = 0 turns them off.
func (g *Generator) UseBrowserAgents(seed uint64, n int) {
	g.browsers = BrowserAgents(seed, n)
}

// BrowserAgents returns n distinct generated browser user agents; the same
// seed gives the same agents.
func BrowserAgents(seed uint64, n int) []string {
	r := rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d))
	seen := make(map[string]bool, n)
	out := make([]string, 0, n)
	for len(out) < n {
		a := browserAgent(r)
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

var androidModels = []string{
	"SM-G991B", "SM-A525F", "SM-S911B", "SM-A135F", "SM-N986U", "Pixel 7", "Pixel 6a",
	"M2101K6G", "2201117TG", "22101316C", "CPH2219", "RMX3085", "V2111", "moto g(30)",
	"ONEPLUS A6013", "LE2123", "HMA-AL00", "ELS-NX9", "NOH-AN00", "TAS-AL00", "PCT-AL10",
	"MI 8", "Redmi Note 8 Pro", "LM-Q720", "ASUS_I005D", "Nokia G20", "TECNO KF6i",
}

func browserAgent(r *rand.Rand) string {
	chrome := func() string {
		return fmt.Sprintf("%d.0.%d.%d", 90+r.IntN(40), 4000+r.IntN(2500), r.IntN(250))
	}
	android := func() string {
		model := androidModels[r.IntN(len(androidModels))]
		if r.IntN(2) == 0 {
			return fmt.Sprintf("Linux; Android %d; %s Build/%s.%06d.%03d", 9+r.IntN(6), model,
				[]string{"TP1A", "SP1A", "RKQ1", "QKQ1", "HUAWEI" + model[:3]}[r.IntN(5)], r.IntN(1000000), r.IntN(1000))
		}
		return fmt.Sprintf("Linux; Android %d; %s", 9+r.IntN(6), model)
	}
	ios := func() string { return fmt.Sprintf("%d_%d", 12+r.IntN(6), r.IntN(8)) }
	switch r.IntN(10) {
	case 0, 1:
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%s Safari/537.36", chrome())
	case 2:
		v := chrome()
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%s Safari/537.36 Edg/%s", v, v)
	case 3:
		v := 80 + r.IntN(45)
		return fmt.Sprintf("Mozilla/5.0 (%s; rv:%d.0) Gecko/20100101 Firefox/%d.0",
			[]string{"Windows NT 10.0; Win64; x64", "X11; Ubuntu; Linux x86_64", "Macintosh; Intel Mac OS X 10.15"}[r.IntN(3)], v, v)
	case 4:
		return fmt.Sprintf("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_%d) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/%d.%d Safari/605.1.15",
			r.IntN(8), 13+r.IntN(5), r.IntN(7))
	case 5:
		return fmt.Sprintf("Mozilla/5.0 (iPhone; CPU iPhone OS %s like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/%d.%d Mobile/15E148 Safari/604.1",
			ios(), 12+r.IntN(6), r.IntN(7))
	case 6:
		return fmt.Sprintf("Mozilla/5.0 (%s) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%s Mobile Safari/537.36", android(), chrome())
	case 7:
		return fmt.Sprintf("Mozilla/5.0 (%s) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/%d.%d Chrome/%s Mobile Safari/537.36",
			android(), 14+r.IntN(8), r.IntN(3), chrome())
	case 8:
		return fmt.Sprintf("Mozilla/5.0 (iPhone; CPU iPhone OS %s like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.%d(0x%08x) NetType/%s Language/zh_CN",
			ios(), 20+r.IntN(30), 0x18000000+r.IntN(0x100000), []string{"WIFI", "4G", "5G"}[r.IntN(3)])
	default:
		return fmt.Sprintf("Mozilla/5.0 (%s; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/%s Mobile Safari/537.36 %s",
			android(), chrome(), []string{"XWEB/5023 MMWEBSDK/20230202 MicroMessenger/8.0.33.2320(0x28002151) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64",
				"AlipayClient/10.3.20.8000", "DingTalk/7.0.20", "Quark/6.2.8.240", "UCBrowser/13.4.0.1306"}[r.IntN(5)])
	}
}
