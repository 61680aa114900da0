package exitcode

import (
	"errors"
	"fmt"
	"testing"
)

func TestOf(t *testing.T) {
	base := errors.New("boom")
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, OK},
		{"plain error is usage", base, Usage},
		{"failed", New(Failed, base), Failed},
		{"interrupted", New(Interrupted, base), Interrupted},
		{"wrapped", fmt.Errorf("replay: %w", New(Failed, base)), Failed},
	} {
		if got := Of(tc.err); got != tc.want {
			t.Errorf("%s: Of = %d, want %d", tc.name, got, tc.want)
		}
	}
	err := New(Usage, base)
	if err.Error() != "boom" || !errors.Is(err, base) {
		t.Errorf("Error/Unwrap: %q, Is %v", err.Error(), errors.Is(err, base))
	}
}
