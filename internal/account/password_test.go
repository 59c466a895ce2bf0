package account

import (
	"strings"
	"testing"
)

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	const pw = "correct horse battery"
	h1, err := hashPassword(pw, defaultArgon)
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := hashPassword(pw, defaultArgon)
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Count(h1, "$") != 5 {
		t.Fatalf("hash %q is not a PHC argon2id string", h1)
	}
	if h1 == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	if strings.Contains(h1, pw) {
		t.Fatal("the hash contains the password")
	}
	if ok, stale := verifyPassword(pw, h1, defaultArgon); !ok || stale {
		t.Fatalf("verify the right password: ok %v stale %v", ok, stale)
	}
	for _, wrong := range []string{"", "correct horse batter", "Correct horse battery", pw + " "} {
		if ok, _ := verifyPassword(wrong, h1, defaultArgon); ok {
			t.Errorf("verify %q: accepted", wrong)
		}
	}
	// A hash made with other parameters still verifies, and is stale.
	cheap := argonParams{Memory: 8 * 1024, Time: 1, Threads: 1}
	h3, _ := hashPassword(pw, cheap)
	if ok, stale := verifyPassword(pw, h3, defaultArgon); !ok || !stale {
		t.Fatalf("verify with older parameters: ok %v stale %v, want true true", ok, stale)
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=19456,t=2,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=0,t=2,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", strings.Replace(h1, "v=19", "v=16", 1)} {
		if ok, _ := verifyPassword(pw, bad, defaultArgon); ok {
			t.Errorf("verify against %q: accepted", bad)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	t.Parallel()
	for pw, ok := range map[string]bool{
		"short":                    false,
		"elevenchars":              false,
		"twelve chars":             true,
		"ünïcödé pässwörd":         true,
		strings.Repeat("x", 256):   true,
		strings.Repeat("x", 257):   false,
		"twelve chars\xff invalid": false,
	} {
		if err := checkPassword(pw); (err == nil) != ok {
			t.Errorf("checkPassword(%q): %v, want ok %v", pw, err, ok)
		}
	}
}
