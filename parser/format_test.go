package parser

import "testing"

// TestAppendLineEdges: the timestamp is formatted from the instant when
// the event has no text for it; values Parse would unquote get one more
// pair of quotes, others are written as they are.
func TestAppendLineEdges(t *testing.T) {
	var ev Event
	ev.UnixMilli, ev.Offset = 1632296841559, 8*3600
	ev.Set(LogID, []byte(`"a"`))
	ev.Set(UserName, []byte(`""`))
	ev.Set(UserID, []byte(`"`)) // from here on not representable: written as is
	ev.Set(RoleName, []byte(`"a`))
	ev.Set(RoleCode, []byte(`a"`))
	ev.Set(EventResultMsg, []byte(`x`))
	ev.Extra = []Field{{Name: []byte("tenantId"), Value: []byte(`"t"`)}, {Name: []byte("zoneId"), Value: []byte("z")}}
	want := `[2021-09-22T15:47:21.559+0800] logId=""a"" userName="""" userId=" roleName="a roleCode=a" eventResultMsg=x tenantId=""t"" zoneId=z`
	if got := string(AppendLine([]byte("> "), &ev)); got != "> "+want {
		t.Errorf("AppendLine =\n%s\nwant\n%s", got, "> "+want)
	}
	var back Event
	if err := Parse([]byte(want), &back); err != nil {
		t.Fatal(err)
	}
	for _, k := range []Key{LogID, UserName, EventResultMsg} { // the representable ones
		g, _ := back.Get(k)
		w, _ := ev.Get(k)
		if string(g) != string(w) {
			t.Errorf("%s read back as %q, want %q", k, g, w)
		}
	}
	if back.UnixMilli != ev.UnixMilli || back.Offset != ev.Offset {
		t.Errorf("instant read back as %d %d", back.UnixMilli, back.Offset)
	}
	ev.Timestamp = []byte("as written")
	if got := string(AppendLine(nil, &ev)); got[:12] != "[as written]" {
		t.Errorf("timestamp text not used: %s", got)
	}
}

func TestRepresentable(t *testing.T) {
	for _, tt := range []struct {
		v  string
		ok bool
	}{
		{"", true},
		{"a", true},
		{"a{", true},
		{`a"`, true},
		{"{a", false},
		{"[a", false},
		{`"a`, false},
		{"a\nb", false},
		{"a\rb", false},
		{"a b", true},
		{"a b=c", false},
		{"a b=", false},
		{"a b", true},
		{"a =b", true},
		{"a 1=b", true},
		{"a b c=d", false},
		{" b=c", false},
		{"a b-c=d", true},
		{"a_b=c", true},
		{"a bc", true},
	} {
		if got := Representable([]byte(tt.v)); got != tt.ok {
			t.Errorf("Representable(%q) = %v, want %v", tt.v, got, tt.ok)
		}
	}
}
