package account

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"plenary/internal/audit"
	"plenary/internal/database"
)

// RequestReset makes a password reset token for the enabled user with
// the e-mail address, good once for ResetTokenLifetime; it replaces any
// earlier one. The caller sends it (as a link) to that address only, and
// tells whoever asked the same thing whether or not the user exists:
// ErrNotFound is for the caller, never for the page. actor is who asked
// (on the sign-in page, the user themselves, by name only).
func (s *Service) RequestReset(ctx context.Context, actor audit.Actor, email string, now time.Time) (string, User, error) {
	now = now.UTC()
	token, hash, err := newToken()
	if err != nil {
		return "", User{}, err
	}
	var u User
	err = database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		if u, err = userWhere(ctx, tx, "email_key = $1", emailKey(email)); err != nil {
			return err
		}
		if u.Disabled {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM staff_reset_tokens WHERE user_id = $1`, u.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO staff_reset_tokens (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
			hash, u.ID, now, now.Add(ResetTokenLifetime)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, "user.reset_request", "user", u.ID, nil,
			map[string]any{"email": u.Email, "expires_at": now.Add(ResetTokenLifetime)}, "")
	})
	if err != nil {
		return "", User{}, fmt.Errorf("account: password reset for %s: %w", email, err)
	}
	return token, u, nil
}

// ResetPassword sets a new password with a reset token, once: the token
// is used up, the user's sessions end and their failed sign-ins are
// forgotten. A token unknown, used, expired or of a disabled user gives
// ErrBadResetToken.
func (s *Service) ResetPassword(ctx context.Context, token, password string, now time.Time) (User, error) {
	hash, err := s.newHash(password)
	if err != nil {
		return User{}, err
	}
	now = now.UTC()
	var u User
	err = database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		var userID int64
		err := tx.QueryRowContext(ctx, `
			UPDATE staff_reset_tokens SET used_at = $1
			WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
			RETURNING user_id`, now, hashToken(token)).Scan(&userID)
		if isNoRows(err) {
			return ErrBadResetToken
		}
		if err != nil {
			return err
		}
		if u, err = userWhere(ctx, tx, "id = $1", userID); err != nil {
			return err
		}
		if u.Disabled {
			return ErrBadResetToken
		}
		if err := setPassword(ctx, tx, u.Actor(), u.ID, hash, "user.password_reset", now); err != nil {
			return err
		}
		return clearFailures(ctx, tx, u.Email, now, s.throttle.Forget)
	})
	if err != nil {
		return User{}, fmt.Errorf("account: reset password: %w", err)
	}
	return u, nil
}
