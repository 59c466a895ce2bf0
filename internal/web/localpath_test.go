package web

import (
	"net/url"
	"strings"
	"testing"
)

func TestLocalPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/", "/"},
		{"/courses/x?y=1", "/courses/x?y=1"},
		{"", "/"},
		{"courses", "/"},
		{"//evil.example", "/"},
		{"/\\evil.example", "/"},
		{"https://evil.example/", "/"},
		{"/a\r\nSet-Cookie: x=y", "/"},
		{"/%2F%2Fevil.example", "/%2F%2Fevil.example"},
	}
	for _, tt := range tests {
		if got := LocalPath(tt.in); got != tt.want {
			t.Errorf("LocalPath(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzLocalPath checks that no "return" value can send someone off the
// site.
func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"/", "/courses/x?y=1", "//evil.example", "/\\evil", "https://evil.example", "/%0d%0a", "/a/../..//b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := LocalPath(in)
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.HasPrefix(got, "/\\") || strings.ContainsAny(got, "\r\n\\") {
			t.Fatalf("LocalPath(%q) = %q: not a local path", in, got)
		}
		u, err := url.Parse(got)
		if err != nil || u.Host != "" || u.Scheme != "" {
			t.Fatalf("LocalPath(%q) = %q: parses as %+v, %v", in, got, u, err)
		}
	})
}
