// Package secret makes the random tokens that stand for a person in a
// link (a booking's manage link, a list confirmation, a staff session or
// password reset) and the hash that is stored in their place, so that a
// copy of the database opens nothing.
package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// New returns a token of 256 random bits, URL-safe (43 characters), and
// its Hash.
func New() (token, hash string) {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand documents it)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, Hash(token)
}

// Hash is how a token is stored and looked up: SHA-256, in hex.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Plausible rejects, before any query, what cannot be a token made by New.
func Plausible(token string) bool {
	if len(token) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil
}
