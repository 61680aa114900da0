package parser

import "testing"

// benchLines are realistic lines: the seed, a browser login with a long
// user agent, a failure with a message and a JSON parameter.
var benchLines = [][]byte{
	[]byte(seedLine),
	[]byte(line("2021-09-22T15:47:22.004+0800", map[string]string{
		"userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/94.0.4606.61 Safari/537.36",
		"eventType": "login", "resourceType": "user", "operationType": "login", "operationMode": "web", "clientIp": "36.112.24.10",
	}, "")),
	[]byte(line("2021-09-22T07:48:02.130-0000", map[string]string{
		"eventType": "deleteUsers", "eventResultCode": "fail", "eventResultMsg": "permission denied for role admin",
		"operationParam": `{"ids":["61384cf9628539c0f83943e7","61384cf9628539c0f83943e8"],"note":"x y"}`,
	}, "")),
}

func BenchmarkParse(b *testing.B) {
	var ev Event
	var n int64
	for _, l := range benchLines {
		n += int64(len(l))
	}
	b.SetBytes(n / int64(len(benchLines)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Parse(benchLines[i%len(benchLines)], &ev); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
