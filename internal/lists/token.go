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
	"slices"
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

// MaxTokenIDs bounds the subscriptions one unsubscribe token names.
const MaxTokenIDs = 100

// idList writes subscription IDs as a token names them: ascending, each
// once, joined by "-".
func idList(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, "-")
}

func sign(key []byte, list string) []byte {
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "plenary/list-unsubscribe/%s", list)
	return mac.Sum(nil)
}

// UnsubscribeToken is the signed token of the unsubscribe links of one
// or more subscriptions: "<id>-<id>….<HMAC-SHA256>" (for one, "<id>.<…>"),
// never expiring. One e-mail made from several subscriptions of an
// address names them all in its List-Unsubscribe, so the one click stops
// everything that brought it. At most MaxTokenIDs (the oldest).
func (s *Service) UnsubscribeToken(ctx context.Context, ids ...int64) (string, error) {
	key, err := s.key(ctx)
	if err != nil {
		return "", err
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 || ids[0] <= 0 {
		return "", fmt.Errorf("lists: unsubscribe token: no subscription")
	}
	ids = ids[:min(len(ids), MaxTokenIDs)]
	list := idList(ids)
	return list + "." + base64.RawURLEncoding.EncodeToString(sign(key, list)), nil
}

// verify returns the subscriptions an unsubscribe token names, or
// ErrLinkInvalid.
func (s *Service) verify(ctx context.Context, token string) ([]int64, error) {
	key, err := s.key(ctx)
	if err != nil {
		return nil, err
	}
	list, macText, ok := strings.Cut(token, ".")
	if !ok || len(macText) != 43 {
		return nil, ErrLinkInvalid
	}
	parts := strings.Split(list, "-")
	if len(parts) > MaxTokenIDs {
		return nil, ErrLinkInvalid
	}
	ids := make([]int64, len(parts))
	for i, p := range parts {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil || id <= 0 || (i > 0 && id <= ids[i-1]) {
			return nil, ErrLinkInvalid
		}
		ids[i] = id
	}
	// The signed text is the list as written; writing it again refuses
	// another spelling of the same numbers ("+5", "05").
	if idList(ids) != list {
		return nil, ErrLinkInvalid
	}
	mac, err := base64.RawURLEncoding.DecodeString(macText)
	if err != nil || !hmac.Equal(mac, sign(key, list)) {
		return nil, ErrLinkInvalid
	}
	return ids, nil
}
