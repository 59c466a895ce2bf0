package account

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"plenary/internal/database"
	"plenary/internal/secret"
)

// The errors of the package, for the web kit's error table.
var (
	// ErrNotFound: no such user.
	ErrNotFound = errors.New("account: no such user")
	// ErrEmailTaken: another user has this e-mail address, in any case.
	ErrEmailTaken = errors.New("account: a user with this e-mail address exists already")
	// ErrBadEmail: not a plain e-mail address.
	ErrBadEmail = errors.New("account: not an e-mail address")
	// ErrUnknownRole: not one of Roles.
	ErrUnknownRole = errors.New("account: unknown role")
	// ErrLastAdmin: the change would leave no enabled admin, and nobody
	// could manage users any more.
	ErrLastAdmin = errors.New("account: the last enabled admin cannot be disabled or given another role")
	// ErrBadCredentials: the e-mail address and password do not match an
	// enabled user. It never says which of them was wrong.
	ErrBadCredentials = errors.New("account: wrong e-mail address or password")
	// ErrCodeRequired: the password was right and the user has one-time
	// codes turned on: ask for the code and sign in again with it.
	ErrCodeRequired = errors.New("account: a one-time code from the authenticator app is needed")
	// ErrBadCode: the one-time code is wrong, or was used already.
	ErrBadCode = errors.New("account: the one-time code is wrong or has been used already")
	// ErrNoSession: the session token is unknown, signed out or expired.
	ErrNoSession = errors.New("account: not signed in, or the session has expired")
	// ErrBadResetToken: the reset link is unknown, used or more than an
	// hour old.
	ErrBadResetToken = errors.New("account: the password reset link is wrong, used or expired")
	// ErrNoTOTP: there is no enrolment to confirm.
	ErrNoTOTP = errors.New("account: one-time codes have not been set up")
)

// ThrottledError answers a sign-in attempt made too soon after too many
// failures, for the account or from the client's address. It is not a
// lock-out: after RetryAfter the next attempt is heard.
type ThrottledError struct {
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("account: too many failed sign-ins; try again in %d s", e.Seconds())
}

// Seconds is RetryAfter in whole seconds, rounded up: what to tell the
// person (and the Retry-After header).
func (e *ThrottledError) Seconds() int {
	return int((e.RetryAfter + time.Second - 1) / time.Second)
}

// Defaults of Options.
const (
	DefaultIdleTimeout = 30 * time.Minute
	DefaultMaxAge      = 12 * time.Hour
	// ResetTokenLifetime is how long a password reset link works.
	ResetTokenLifetime = time.Hour
)

// Options configure a Service.
type Options struct {
	DB *database.DB
	// IdleTimeout ends a session not used for this long
	// (PLENARY_SESSION_IDLE_TIMEOUT); MaxAge ends any session this long
	// after sign-in (PLENARY_SESSION_MAX_AGE). Zero means the defaults.
	IdleTimeout, MaxAge time.Duration
	// RequireTOTP lists the roles that must use one-time codes
	// (PLENARY_TOTP_REQUIRED_ROLES): a user of such a role without them is
	// signed in only to set them up (Session.MustEnrolTOTP).
	RequireTOTP []Role
	// Issuer is the name authenticator apps show beside the account: the
	// site's name. "" is "Plenary".
	Issuer string
	// Throttle sets how failed sign-ins slow further attempts; zero
	// fields take the defaults.
	Throttle Throttle
	// FastHashes hashes passwords with argon2id at its least memory and
	// time. It is for other packages' tests, which sign staff in hundreds
	// of times (minutes under the race detector at the real cost); never
	// set it in production — nothing in cmd/plenary does. A hash made
	// either way is checked either way, and rehashed at sign-in to the
	// service's own cost.
	FastHashes bool
}

// Service is the only door to staff accounts.
type Service struct {
	db       *database.DB
	idle     time.Duration
	maxAge   time.Duration
	totpReq  []Role
	issuer   string
	throttle Throttle
	argon    argonParams

	// dummy is a hash that matches no password, verified for an unknown
	// e-mail address so that the answer takes as long as for a known one.
	dummyOnce sync.Once
	dummy     string
}

// New returns the service.
func New(opts Options) *Service {
	s := &Service{db: opts.DB, idle: opts.IdleTimeout, maxAge: opts.MaxAge, totpReq: slices.Clone(opts.RequireTOTP),
		issuer: opts.Issuer, throttle: opts.Throttle.withDefaults(), argon: defaultArgon}
	if opts.FastHashes {
		s.argon = fastArgon
	}
	if s.idle <= 0 {
		s.idle = DefaultIdleTimeout
	}
	if s.maxAge <= 0 {
		s.maxAge = DefaultMaxAge
	}
	if s.issuer == "" {
		s.issuer = "Plenary"
	}
	return s
}

// RequiresTOTP reports whether users of role r must use one-time codes.
func (s *Service) RequiresTOTP(r Role) bool { return slices.Contains(s.totpReq, r) }

// newToken returns a random 256-bit token, as people carry it (URL-safe
// base64), and its SHA-256 hash, as it is stored.
func newToken() (token, hash string, err error) {
	token, hash = secret.New()
	return token, hash, nil
}

// hashToken is how a token is stored and looked up.
func hashToken(token string) string { return secret.Hash(token) }

// dummyHash returns a hash no password matches, made once.
func (s *Service) dummyHash() string {
	s.dummyOnce.Do(func() {
		t, _, err := newToken()
		if err == nil {
			s.dummy, err = hashPassword(t, s.argon)
		}
		if err != nil {
			s.dummy = "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		}
	})
	return s.dummy
}
