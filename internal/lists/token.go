package lists

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// key is the secret that signs unsubscribe links: PLENARY_LIST_SECRET, or
// in the demo the key kept in list_keys (made on first use).
func (s *Service) key(ctx context.Context) ([]byte, error) {
	if len(s.opts.Secret) > 0 {
		return s.opts.Secret, nil
	}
	if !s.opts.GenerateSecret {
		return nil, ErrNotConfigured
	}
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if s.generated != nil {
		return s.generated, nil
	}
	b := make([]byte, 32)
	rand.Read(b)
	if _, err := s.opts.DB.ExecContext(ctx, `INSERT INTO list_keys (id, secret, created_at) VALUES (1, $1, $2)
		ON CONFLICT (id) DO NOTHING`, hex.EncodeToString(b), s.now()); err != nil {
		return nil, fmt.Errorf("lists: key: %w", err)
	}
	var stored string
	if err := s.opts.DB.QueryRowContext(ctx, `SELECT secret FROM list_keys WHERE id = 1`).Scan(&stored); err != nil {
		return nil, fmt.Errorf("lists: key: %w", err)
	}
	key, err := hex.DecodeString(stored)
	if err != nil || len(key) < 16 {
		return nil, errors.New("lists: the key in list_keys is not valid")
	}
	s.generated = key
	return key, nil
}

func sign(key []byte, id int64) []byte {
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "plenary/list-unsubscribe/%d", id)
	return mac.Sum(nil)
}

// UnsubscribeToken is the signed token of subscription id's unsubscribe
// links: "<id>.<HMAC-SHA256>", never expiring.
func (s *Service) UnsubscribeToken(ctx context.Context, id int64) (string, error) {
	key, err := s.key(ctx)
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(id, 10) + "." + base64.RawURLEncoding.EncodeToString(sign(key, id)), nil
}

// verify returns the subscription an unsubscribe token names, or
// ErrLinkInvalid.
func (s *Service) verify(ctx context.Context, token string) (int64, error) {
	key, err := s.key(ctx)
	if err != nil {
		return 0, err
	}
	idText, macText, ok := strings.Cut(token, ".")
	id, err := strconv.ParseInt(idText, 10, 64)
	if !ok || err != nil || id <= 0 || len(macText) != 43 {
		return 0, ErrLinkInvalid
	}
	mac, err := base64.RawURLEncoding.DecodeString(macText)
	if err != nil || !hmac.Equal(mac, sign(key, id)) {
		return 0, ErrLinkInvalid
	}
	return id, nil
}
