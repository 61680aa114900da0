package sink

// tokenFunc is a test Token that runs f when settled.
type tokenFunc func()

func (f tokenFunc) Settled() { f() }

// tok returns a Token that records id in tb.acks when settled.
func (tb *testBulk) tok(id any) Token {
	return tokenFunc(func() {
		tb.mu.Lock()
		tb.acks = append(tb.acks, id)
		tb.mu.Unlock()
	})
}
