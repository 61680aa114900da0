package sink

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestCheckURL: user-info in an engine URL is refused (issue 9, item 6),
// and no error shows the password.
func TestCheckURL(t *testing.T) {
	tests := []struct {
		url      string
		userInfo bool // want ErrURLUserInfo
		ok       bool
	}{
		{url: "http://127.0.0.1:9201", ok: true},
		{url: "https://es.example.com:9200/", ok: true},
		{url: "http://[::1]:9200", ok: true},
		{url: "http://elastic:s3cretpw@127.0.0.1:9200", userInfo: true},
		{url: "https://elastic@es.example.com", userInfo: true},
		{url: "http://elastic:s3cret@pw@127.0.0.1:9200", userInfo: true},
		{url: "http://elastic:s3cret/pw@127.0.0.1:9200"},
		{url: "elastic:s3cretpw@127.0.0.1:9200", userInfo: true},
		{url: "127.0.0.1:9200"},
		{url: "ftp://127.0.0.1"},
		{url: "http://"},
	}
	for _, tt := range tests {
		err := CheckURL(tt.url)
		if tt.ok {
			if err != nil {
				t.Errorf("%s: %v", tt.url, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: accepted", tt.url)
			continue
		}
		if got := errors.Is(err, ErrURLUserInfo); got != tt.userInfo {
			t.Errorf("%s: ErrURLUserInfo = %v, want %v (%v)", tt.url, got, tt.userInfo, err)
		}
		if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "pw@") {
			t.Errorf("%s: error shows the password: %v", tt.url, err)
		}
	}
}

// TestConnectRefusesUserInfo: Connect refuses before any request.
func TestConnectRefusesUserInfo(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a connection attempt would fail with ctx's error instead
	_, _, err := Connect(ctx, EngineConfig{URLs: []string{"http://127.0.0.1:9", "http://u:s3cretpw@127.0.0.1:9"}})
	if !errors.Is(err, ErrURLUserInfo) || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("err = %v, want ErrURLUserInfo without the password", err)
	}
}
