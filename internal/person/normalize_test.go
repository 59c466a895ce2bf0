package person

import (
	"errors"
	"strings"
	"testing"
	"unicode"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		" Ann@Example.org ":   "Ann@Example.org",
		"zoë@example.org":     "zoë@example.org",
		"ann@example.org\n":   "ann@example.org",
		"":                    "",
		"ann":                 "",
		"Ann <ann@x.org>":     "",
		"a@b.org, c@d.org":    "",
		"ann@example.org x":   "",
		"\"a b\"@example.org": "",
	} {
		got, err := Normalize(in)
		if want == "" && !errors.Is(err, ErrBadEmail) || want != "" && (err != nil || got != want) {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// FuzzNormalize: whatever is typed, Normalize does not panic, and what it
// accepts is one bare address with no space or control character.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"ann@example.org", " A@B.C ", "Ann <a@b.c>", "a@b@c", "\x00@x.org", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Normalize(s)
		if err != nil {
			return
		}
		if got == "" || !strings.Contains(got, "@") || strings.IndexFunc(got, func(r rune) bool {
			return unicode.IsSpace(r) || unicode.IsControl(r)
		}) >= 0 {
			t.Errorf("Normalize(%q) accepted %q", s, got)
		}
	})
}
