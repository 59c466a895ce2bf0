package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"plenary/internal/audit"
	"plenary/internal/database"
)

// TOTP codes are RFC 6238's defaults, which every authenticator app
// reads: six digits, a 30-second step, HMAC-SHA1.
const totpPeriod = 30

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Skew: 0, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// ErrTOTPOn: one-time codes are on already; turn them off first to move
// to another device.
var ErrTOTPOn = errors.New("account: one-time codes are on already")

// Enrolment is what a user needs to add Plenary to an authenticator app:
// the secret (base32, to type in) and the otpauth:// URL (for a QR code).
// Neither is ever shown again or written to the audit log.
type Enrolment struct {
	Secret string
	URL    string
}

// StartTOTP makes a new secret for the user and keeps it until
// ConfirmTOTP turns codes on with a first good code. Starting again
// replaces a secret not yet confirmed.
func (s *Service) StartTOTP(ctx context.Context, actor audit.Actor, userID int64, now time.Time) (Enrolment, error) {
	now = now.UTC()
	var en Enrolment
	err := database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		u, err := userWhere(ctx, tx, "id = $1", userID)
		if err != nil {
			return err
		}
		if u.TOTP {
			return ErrTOTPOn
		}
		key, err := totp.Generate(totp.GenerateOpts{Issuer: s.issuer, AccountName: u.Email, Period: totpPeriod,
			Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return err
		}
		en = Enrolment{Secret: key.Secret(), URL: key.URL()}
		if _, err := tx.ExecContext(ctx, `UPDATE staff_users SET totp_secret = $1, totp_last_step = 0, updated_at = $2 WHERE id = $3`,
			en.Secret, now, userID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, "user.totp_start", "user", userID, nil, map[string]any{"email": u.Email}, "")
	})
	if err != nil {
		return Enrolment{}, fmt.Errorf("account: set up one-time codes for user %d: %w", userID, err)
	}
	return en, nil
}

// ConfirmTOTP turns one-time codes on with a first code from the app,
// proving it holds the secret. From then on SignIn asks for a code.
func (s *Service) ConfirmTOTP(ctx context.Context, actor audit.Actor, userID int64, code string, now time.Time) error {
	now = now.UTC()
	err := database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		u, err := userWhere(ctx, tx, "id = $1", userID)
		if err != nil {
			return err
		}
		if u.TOTP {
			return ErrTOTPOn
		}
		var secret string
		if err := tx.QueryRowContext(ctx, `SELECT totp_secret FROM staff_users WHERE id = $1`, userID).Scan(&secret); err != nil {
			return err
		}
		if secret == "" {
			return ErrNoTOTP
		}
		step, ok := matchCode(secret, code, now)
		if !ok {
			return ErrBadCode
		}
		if _, err := tx.ExecContext(ctx, `UPDATE staff_users SET totp_enabled = TRUE, totp_last_step = $1, updated_at = $2 WHERE id = $3`,
			step, now, userID); err != nil {
			return err
		}
		after := u
		after.TOTP = true
		return audit.Record(ctx, tx, now, actor, "user.totp_on", "user", userID, u.state(), after.state(), "")
	})
	if err != nil {
		return fmt.Errorf("account: turn on one-time codes for user %d: %w", userID, err)
	}
	return nil
}

// DisableTOTP turns one-time codes off, forgets the secret and ends
// every session of the user, in one transaction: for a user moving to a
// new device, or an admin helping one who lost theirs (a session opened
// with the lost phone's help ends too). They sign in next with their
// password alone, and set codes up again — at once, if their role
// requires them. The audit log has both: user.totp_off, and
// user.sign_out_everywhere with the number of sessions ended.
func (s *Service) DisableTOTP(ctx context.Context, actor audit.Actor, userID int64, now time.Time) error {
	now = now.UTC()
	err := database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		u, err := userWhere(ctx, tx, "id = $1", userID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE staff_users SET totp_secret = '', totp_enabled = FALSE, totp_last_step = 0, updated_at = $1 WHERE id = $2`,
			now, userID); err != nil {
			return err
		}
		n, err := deleteSessions(ctx, tx, userID)
		if err != nil {
			return err
		}
		after := u
		after.TOTP = false
		if err := audit.Record(ctx, tx, now, actor, "user.totp_off", "user", userID, u.state(), after.state(), ""); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, "user.sign_out_everywhere", "user", userID, nil,
			map[string]any{"sessions_ended": n}, "")
	})
	if err != nil {
		return fmt.Errorf("account: turn off one-time codes for user %d: %w", userID, err)
	}
	return nil
}

// matchCode checks a code against the steps around now — the one before,
// now's, the one after: a clock a little off still works — and returns
// the step it matched, so the caller can refuse it a second time.
func matchCode(secret, code string, now time.Time) (step int64, ok bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return 0, false
	}
	for _, d := range []int64{0, -1, 1} {
		t := now.Add(time.Duration(d*totpPeriod) * time.Second)
		if ok, err := totp.ValidateCustom(code, secret, t, totpOpts); err == nil && ok {
			return t.Unix() / totpPeriod, true
		}
	}
	return 0, false
}
