package secret

import "testing"

func TestNew(t *testing.T) {
	a, ha := New()
	b, hb := New()
	if a == b || ha == hb {
		t.Fatal("two tokens are the same")
	}
	if !Plausible(a) || Hash(a) != ha || len(ha) != 64 {
		t.Errorf("token %q: plausible %v, hash %q", a, Plausible(a), ha)
	}
	for _, bad := range []string{"", "short", a[:42], a + "x", a[:42] + "!"} {
		if Plausible(bad) {
			t.Errorf("%q is plausible", bad)
		}
	}
}
