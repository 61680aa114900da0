package schema

import "testing"

func TestName(t *testing.T) {
	for _, tt := range []struct {
		f    Field
		want string
	}{
		{CodesEventType, "eventType"}, {AmbiguousUserPoolIDs, "userPoolIds"}, {Timestamp, "@timestamp"},
		{GeoIPLocation, "location"}, {UserPoolID, "userPoolId"},
	} {
		if got := tt.f.Name(); got != tt.want {
			t.Errorf("%s.Name() = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestLeavesUnique(t *testing.T) {
	seen := map[Field]bool{}
	for _, f := range Leaves {
		if seen[f] {
			t.Errorf("%s listed twice", f)
		}
		seen[f] = true
	}
}
