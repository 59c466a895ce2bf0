package account_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"plenary/internal/account"
)

// TestCodeUsedOnceUnderConcurrency: the same one-time code sent by
// several sign-ins at once lets exactly one in, on both engines.
func TestCodeUsedOnceUnderConcurrency(t *testing.T) {
	t.Parallel()
	s, _ := newService(t, account.Options{})
	u := addUser(t, s, "ann@example.org", account.Coordinator)
	en, err := s.StartTOTP(ctx, u.Actor(), u.ID, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ConfirmTOTP(ctx, u.Actor(), u.ID, code(t, en.Secret, t0), t0); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(time.Minute)
	c := code(t, en.Secret, at)
	const n = 4 // fewer than the free failures, so no attempt is throttled
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, _, errs[i] = signIn(s, u.Email, password, c, at) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, account.ErrBadCode):
			t.Errorf("a losing sign-in: %v, want ErrBadCode", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d sign-ins got in with one code, want 1 (%v)", ok, errs)
	}
}

// TestLastAdminUnderConcurrency: two admins disabling each other at once
// leave one of them enabled.
func TestLastAdminUnderConcurrency(t *testing.T) {
	t.Parallel()
	s, _ := newService(t, account.Options{})
	a := addUser(t, s, "a@example.org", account.Admin)
	b := addUser(t, s, "b@example.org", account.Admin)
	var wg sync.WaitGroup
	var errA, errB error
	wg.Go(func() { errA = s.Disable(ctx, a.Actor(), b.ID, t0) })
	wg.Go(func() { errB = s.Disable(ctx, b.Actor(), a.ID, t0) })
	wg.Wait()
	if (errA == nil) == (errB == nil) || !errors.Is(errors.Join(errA, errB), account.ErrLastAdmin) {
		t.Fatalf("both disabled at once: %v / %v, want exactly one ErrLastAdmin", errA, errB)
	}
	users, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	enabled := 0
	for _, u := range users {
		if !u.Disabled {
			enabled++
		}
	}
	if enabled != 1 {
		t.Fatalf("enabled admins left: %d, want 1", enabled)
	}
}
