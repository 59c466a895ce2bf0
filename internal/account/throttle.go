package account

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"plenary/internal/database"
)

// Throttle sets how failed sign-ins slow the next attempts. Failures are
// counted per account and per client address; after the free ones each
// further failure doubles the wait before the next attempt is heard, up
// to a cap. Attempts made during a wait are answered with a
// ThrottledError and not counted, so hammering does not lengthen it.
//
// Nothing ever locks an account: the account's cap is short (30 s by
// default), so someone guessing at a coordinator's password can make
// them wait at most that long, while one address guessing at many
// accounts is slowed far more (15 min).
type Throttle struct {
	AccountFree    int           // failures to one account before the waits start (5)
	AccountMaxWait time.Duration // the longest wait for one account (30 s)
	AddrFree       int           // failures from one address before the waits start (20)
	AddrMaxWait    time.Duration // the longest wait for one address (15 min)
	FirstWait      time.Duration // the first wait, doubled with each failure after it (1 s)
	Forget         time.Duration // failures older than this are forgotten (1 h)
}

func (t Throttle) withDefaults() Throttle {
	set := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if t.AccountFree <= 0 {
		t.AccountFree = 5
	}
	if t.AddrFree <= 0 {
		t.AddrFree = 20
	}
	set(&t.AccountMaxWait, 30*time.Second)
	set(&t.AddrMaxWait, 15*time.Minute)
	set(&t.FirstWait, time.Second)
	set(&t.Forget, time.Hour)
	return t
}

// throttleKey is one counter: its key, free failures and longest wait.
type throttleKey struct {
	key  string
	free int
	max  time.Duration
}

// keys returns the counters a sign-in attempt is weighed against: the
// account's (by e-mail address, known or not, so the answer never tells
// whether an account exists) and the client address's (an IPv6 address
// by its /64, which one client usually holds whole).
func (t Throttle) keys(email, addr string) []throttleKey {
	ks := []throttleKey{{"account:" + emailKey(email), t.AccountFree, t.AccountMaxWait}}
	if addr == "" {
		return ks
	}
	if a, err := netip.ParseAddr(addr); err == nil {
		a = a.Unmap()
		if a.Is6() {
			p, _ := a.Prefix(64)
			addr = p.String()
		} else {
			addr = a.String()
		}
	} else if len(addr) > 64 {
		addr = addr[:64]
	}
	return append(ks, throttleKey{"addr:" + addr, t.AddrFree, t.AddrMaxWait})
}

// wait is how long after the last of n failures the next attempt waits.
func (t Throttle) wait(n, free int, max time.Duration) time.Duration {
	if n < free {
		return 0
	}
	shift := min(n-free, 30)
	return min(t.FirstWait<<shift, max)
}

// retryAfter returns how long the attempt must still wait (0: none).
func (s *Service) retryAfter(ctx context.Context, keys []throttleKey, now time.Time) (time.Duration, error) {
	var longest time.Duration
	for _, k := range keys {
		var n int
		var last time.Time
		err := s.db.QueryRowContext(ctx, `SELECT failures, last_failed_at FROM staff_sign_in_failures WHERE key = $1`, k.key).Scan(&n, &last)
		if err != nil {
			if isNoRows(err) {
				continue
			}
			return 0, fmt.Errorf("account: sign-in failures: %w", err)
		}
		if now.Sub(last) > s.throttle.Forget {
			continue
		}
		if left := last.Add(s.throttle.wait(n, k.free, k.max)).Sub(now); left > longest {
			longest = left
		}
	}
	return longest, nil
}

// recordFailure counts a failed attempt against every key; a count
// whose last failure is forgotten starts again at one.
func (s *Service) recordFailure(ctx context.Context, keys []throttleKey, now time.Time) error {
	for _, k := range keys {
		_, err := s.db.ExecContext(ctx, `
			INSERT INTO staff_sign_in_failures (key, failures, last_failed_at) VALUES ($1, 1, $2)
			ON CONFLICT (key) DO UPDATE SET
				failures = CASE WHEN staff_sign_in_failures.last_failed_at < $3 THEN 1
				                ELSE staff_sign_in_failures.failures + 1 END,
				last_failed_at = excluded.last_failed_at`,
			k.key, now, now.Add(-s.throttle.Forget))
		if err != nil {
			return fmt.Errorf("account: count a failed sign-in: %w", err)
		}
	}
	return nil
}

// clearFailures forgets the account's failures after it signed in (or
// its password was reset), and every count too old to matter. The
// address's count stays: signing in to one's own account must not wipe
// out guesses made at others.
func clearFailures(ctx context.Context, q database.Querier, email string, now time.Time, forget time.Duration) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM staff_sign_in_failures WHERE key = $1 OR last_failed_at < $2`,
		"account:"+emailKey(email), now.Add(-forget)); err != nil {
		return fmt.Errorf("account: clear failed sign-ins: %w", err)
	}
	return nil
}
