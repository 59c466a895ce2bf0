package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"plenary/internal/audit"
	"plenary/internal/database"
)

// Credentials are what a person gives to sign in.
type Credentials struct {
	Email    string
	Password string
	// Code is the one-time code, for a user who has them on; leave it
	// empty on the first attempt and ask for it on ErrCodeRequired.
	Code string
	// ClientAddr is the client's address as the web kit worked it out
	// (behind trusted proxies, from X-Forwarded-For): failures are counted
	// against it.
	ClientAddr string
	// Previous is the session token the browser carried, if any: it is
	// ended, so that no token lives on across a sign-in.
	Previous string
}

// Session is a signed-in user's session.
type Session struct {
	User       User
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ExpiresAt is when the session ends unless it is used again before:
	// the idle timeout after LastSeenAt, or the absolute limit after
	// CreatedAt, whichever comes first.
	ExpiresAt time.Time
	// MustEnrolTOTP: the user's role requires one-time codes and the user
	// has not set them up. The session is good for that and for signing
	// out only; Can answers false to everything else.
	MustEnrolTOTP bool
}

// Can reports whether the session's user may do p on the course
// (see the package function Can).
func (s Session) Can(p Permission, courseID int64) bool {
	return !s.MustEnrolTOTP && Can(s.User, p, courseID)
}

// CanSome reports whether the session's user may do p on some course.
func (s Session) CanSome(p Permission) bool {
	return !s.MustEnrolTOTP && CanSome(s.User, p)
}

// touchEvery is how stale last_seen_at may get before a request writes
// it again: sessions are not written on every request, so the idle
// timeout is kept to within this.
const touchEvery = time.Minute

// secrets are what SignIn needs beyond the User.
type secrets struct {
	passwordHash string
	totpSecret   string
	totpLastStep int64
}

// SignIn checks the credentials and starts a new session, returning it
// and its token (for the cookie; only its hash is stored). Errors:
// *ThrottledError (too many failures: nothing was checked),
// ErrBadCredentials, ErrCodeRequired (the password was right; ask for the
// code), ErrBadCode. Each wrong password or code counts against the
// account and the address.
func (s *Service) SignIn(ctx context.Context, c Credentials, now time.Time) (Session, string, error) {
	now = now.UTC()
	keys := s.throttle.keys(c.Email, c.ClientAddr)
	wait, err := s.retryAfter(ctx, keys, now)
	if err != nil {
		return Session{}, "", err
	}
	if wait > 0 {
		return Session{}, "", &ThrottledError{RetryAfter: wait}
	}
	fail := func(e error) (Session, string, error) {
		if err := s.recordFailure(ctx, keys, now); err != nil {
			return Session{}, "", errors.Join(e, err)
		}
		return Session{}, "", e
	}
	u, sec, err := s.userSecrets(ctx, c.Email)
	if errors.Is(err, ErrNotFound) || err == nil && u.Disabled {
		verifyPassword(c.Password, s.dummyHash(), s.argon) // as long as for a real user
		return fail(ErrBadCredentials)
	}
	if err != nil {
		return Session{}, "", err
	}
	ok, stale := verifyPassword(c.Password, sec.passwordHash, s.argon)
	if !ok {
		return fail(ErrBadCredentials)
	}
	var step int64
	if u.TOTP {
		code := strings.TrimSpace(c.Code)
		if code == "" {
			return Session{}, "", ErrCodeRequired
		}
		var ok bool
		if step, ok = matchCode(sec.totpSecret, code, now); !ok || step <= sec.totpLastStep {
			return fail(ErrBadCode)
		}
	}
	var rehash string
	if stale {
		if rehash, err = hashPassword(c.Password, s.argon); err != nil {
			return Session{}, "", err
		}
	}
	token, hash, err := newToken()
	if err != nil {
		return Session{}, "", err
	}
	err = database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		if u.TOTP {
			// Only one sign-in may use a step's code, even two at once.
			res, err := tx.ExecContext(ctx, `UPDATE staff_users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1`, step, u.ID)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n != 1 {
				return errors.Join(ErrBadCode, err)
			}
		}
		if rehash != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE staff_users SET password_hash = $1 WHERE id = $2`, rehash, u.ID); err != nil {
				return err
			}
		}
		if c.Previous != "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM staff_sessions WHERE token_hash = $1`, hashToken(c.Previous)); err != nil {
				return err
			}
		}
		// The user's sessions that have run out go now.
		if _, err := tx.ExecContext(ctx, `DELETE FROM staff_sessions WHERE user_id = $1 AND (last_seen_at < $2 OR created_at < $3)`,
			u.ID, now.Add(-s.idle), now.Add(-s.maxAge)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO staff_sessions (token_hash, user_id, created_at, last_seen_at, client_addr) VALUES ($1, $2, $3, $3, $4)`,
			hash, u.ID, now, c.ClientAddr); err != nil {
			return err
		}
		if err := clearFailures(ctx, tx, u.Email, now, s.throttle.Forget); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, u.Actor(), "user.sign_in", "user", u.ID, nil,
			map[string]any{"client_addr": c.ClientAddr, "totp": u.TOTP}, "")
	})
	if errors.Is(err, ErrBadCode) {
		return fail(ErrBadCode)
	}
	if err != nil {
		return Session{}, "", fmt.Errorf("account: sign in: %w", err)
	}
	return s.session(u, now, now), token, nil
}

func (s *Service) session(u User, created, lastSeen time.Time) Session {
	exp := lastSeen.Add(s.idle)
	if abs := created.Add(s.maxAge); abs.Before(exp) {
		exp = abs
	}
	return Session{User: u, CreatedAt: created, LastSeenAt: lastSeen, ExpiresAt: exp,
		MustEnrolTOTP: s.RequiresTOTP(u.Role) && !u.TOTP}
}

// userSecrets returns the user with the e-mail address and their
// password hash and TOTP state.
func (s *Service) userSecrets(ctx context.Context, email string) (User, secrets, error) {
	u, err := s.UserByEmail(ctx, email)
	if err != nil {
		return User{}, secrets{}, err
	}
	var sec secrets
	if err := s.db.QueryRowContext(ctx, `SELECT password_hash, totp_secret, totp_last_step FROM staff_users WHERE id = $1`, u.ID).
		Scan(&sec.passwordHash, &sec.totpSecret, &sec.totpLastStep); err != nil {
		return User{}, secrets{}, fmt.Errorf("account: user %d: %w", u.ID, err)
	}
	return u, sec, nil
}

// SessionByToken returns the session a cookie's token names, and marks
// it used. A token that is unknown, signed out or past the idle or
// absolute limit, or a disabled user's, gives ErrNoSession.
func (s *Service) SessionByToken(ctx context.Context, token string, now time.Time) (Session, error) {
	if token == "" {
		return Session{}, ErrNoSession
	}
	now = now.UTC()
	hash := hashToken(token)
	var userID int64
	var created, seen time.Time
	err := s.db.QueryRowContext(ctx, `SELECT user_id, created_at, last_seen_at FROM staff_sessions WHERE token_hash = $1`, hash).
		Scan(&userID, &created, &seen)
	if isNoRows(err) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("account: session: %w", err)
	}
	created, seen = created.UTC(), seen.UTC()
	if !now.Before(seen.Add(s.idle)) || !now.Before(created.Add(s.maxAge)) {
		if _, err := s.db.ExecContext(ctx, `DELETE FROM staff_sessions WHERE token_hash = $1`, hash); err != nil {
			return Session{}, fmt.Errorf("account: end an expired session: %w", err)
		}
		return Session{}, ErrNoSession
	}
	u, err := s.User(ctx, userID)
	if errors.Is(err, ErrNotFound) || err == nil && u.Disabled {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, err
	}
	if now.Sub(seen) >= touchEvery {
		if _, err := s.db.ExecContext(ctx, `UPDATE staff_sessions SET last_seen_at = $1 WHERE token_hash = $2`, now, hash); err != nil {
			return Session{}, fmt.Errorf("account: touch session: %w", err)
		}
		seen = now
	}
	return s.session(u, created, seen), nil
}

// SignOut ends the session the token names; an unknown token is not an
// error (the person is signed out either way).
func (s *Service) SignOut(ctx context.Context, token string, now time.Time) error {
	if token == "" {
		return nil
	}
	now = now.UTC()
	err := database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		var userID int64
		err := tx.QueryRowContext(ctx, `DELETE FROM staff_sessions WHERE token_hash = $1 RETURNING user_id`, hashToken(token)).Scan(&userID)
		if isNoRows(err) {
			return nil
		}
		if err != nil {
			return err
		}
		u, err := userWhere(ctx, tx, "id = $1", userID)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, u.Actor(), "user.sign_out", "user", u.ID, nil, nil, "")
	})
	if err != nil {
		return fmt.Errorf("account: sign out: %w", err)
	}
	return nil
}

// SignOutEverywhere ends every session of the user: on every browser
// and device. actor is the user themselves, or an admin.
func (s *Service) SignOutEverywhere(ctx context.Context, actor audit.Actor, userID int64, now time.Time) error {
	now = now.UTC()
	err := database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		if _, err := userWhere(ctx, tx, "id = $1", userID); err != nil {
			return err
		}
		n, err := deleteSessions(ctx, tx, userID)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, "user.sign_out_everywhere", "user", userID, nil,
			map[string]any{"sessions_ended": n}, "")
	})
	if err != nil {
		return fmt.Errorf("account: sign out user %d everywhere: %w", userID, err)
	}
	return nil
}

// CountSessions returns how many sessions the user has open at now:
// those past the idle or absolute limit, not yet cleared, are not
// counted.
func (s *Service) CountSessions(ctx context.Context, userID int64, now time.Time) (int, error) {
	now = now.UTC()
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM staff_sessions WHERE user_id = $1 AND last_seen_at > $2 AND created_at > $3`,
		userID, now.Add(-s.idle), now.Add(-s.maxAge)).Scan(&n); err != nil {
		return 0, fmt.Errorf("account: count sessions: %w", err)
	}
	return n, nil
}

func deleteSessions(ctx context.Context, tx *sql.Tx, userID int64) (int64, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM staff_sessions WHERE user_id = $1`, userID)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
