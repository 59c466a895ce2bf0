package account

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password length limits, in characters. The upper limit keeps a form
// post from being an expensive hash input; argon2id's cost does not
// grow with it, but there is no need for more.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 256
)

// ErrWeakPassword is returned for a password shorter than
// MinPasswordLength or longer than MaxPasswordLength.
var ErrWeakPassword = fmt.Errorf("account: a password needs %d to %d characters", MinPasswordLength, MaxPasswordLength)

// checkPassword refuses a password outside the length limits.
func checkPassword(p string) error {
	if n := utf8.RuneCountInString(p); n < MinPasswordLength || n > MaxPasswordLength || !utf8.ValidString(p) {
		return ErrWeakPassword
	}
	return nil
}

// argonParams are argon2id's cost parameters: memory in KiB, passes and
// lanes. The defaults are OWASP's first recommendation (19 MiB, 2 passes,
// 1 lane): around 30 ms here, cheap enough for two shared cores.
type argonParams struct {
	Memory  uint32
	Time    uint32
	Threads uint8
}

var defaultArgon = argonParams{Memory: 19 * 1024, Time: 2, Threads: 1}

// fastArgon is Options.FastHashes' cost, for tests only.
var fastArgon = argonParams{Memory: 64, Time: 1, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

var b64 = base64.RawStdEncoding

// hashPassword hashes p with argon2id and a fresh random salt, encoded in
// the PHC string format with its parameters:
// $argon2id$v=19$m=19456,t=2,p=1$SALT$HASH.
func hashPassword(p string, prm argonParams) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("account: salt: %w", err)
	}
	key := argon2.IDKey([]byte(p), salt, prm.Time, prm.Memory, prm.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, prm.Memory, prm.Time, prm.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var errBadHash = errors.New("account: not an argon2id password hash")

// decodeHash reads a PHC string written by hashPassword.
func decodeHash(encoded string) (prm argonParams, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return prm, nil, nil, errBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return prm, nil, nil, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &prm.Memory, &prm.Time, &prm.Threads); err != nil ||
		prm.Memory == 0 || prm.Time == 0 || prm.Threads == 0 || prm.Memory > 1<<22 || prm.Time > 100 {
		return prm, nil, nil, errBadHash
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return prm, nil, nil, errBadHash
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 {
		return prm, nil, nil, errBadHash
	}
	return prm, salt, key, nil
}

// verifyPassword reports whether p matches the encoded hash, comparing in
// constant time, and whether the hash was made with other parameters than
// want (so it should be made again now that the password is known).
func verifyPassword(p, encoded string, want argonParams) (ok, stale bool) {
	prm, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, false
	}
	got := argon2.IDKey([]byte(p), salt, prm.Time, prm.Memory, prm.Threads, uint32(len(key)))
	ok = subtle.ConstantTimeCompare(got, key) == 1
	return ok, ok && prm != want
}

// newHash checks a new password against the rules and hashes it with the
// service's settings.
func (s *Service) newHash(password string) (string, error) {
	if err := checkPassword(password); err != nil {
		return "", err
	}
	return hashPassword(password, s.argon)
}
