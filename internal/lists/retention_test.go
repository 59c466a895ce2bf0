package lists_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"plenary/internal/lists"
	"plenary/internal/messaging"
)

// TestForgetAfterSetting: with Options.ForgetAfter (the setting
// PLENARY_LIST_UNCONFIRMED_DAYS) at 3 days, a request is kept for exactly
// 3 days on a fixed clock and forgotten after, while a request made a day
// later stays; a confirmed subscription is never forgotten.
func TestForgetAfterSetting(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	svc := lists.NewService(lists.Options{
		DB: e.db, Outbox: e.outbox, BaseURL: "https://training.example/", Secret: []byte("a test secret of enough length!!"),
		Now: e.clock.Now, ForgetAfter: 3 * 24 * time.Hour,
	})
	ctx := context.Background()
	for _, a := range []string{"old@example.org", "kept@example.org"} {
		if err := svc.Subscribe(ctx, request(a)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.Confirm(ctx, e.confirmations(t, "kept@example.org")[0]); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(24 * time.Hour)
	if err := svc.Subscribe(ctx, request("newer@example.org")); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(2*24*time.Hour - time.Minute) // 3 days less a minute after the first
	if n, err := svc.ForgetUnconfirmed(ctx); err != nil || n != 0 {
		t.Fatalf("before 3 days: forgot %d (%v)", n, err)
	}
	e.clock.Add(2 * time.Minute)
	if n, err := svc.ForgetUnconfirmed(ctx); err != nil || n != 1 {
		t.Fatalf("after 3 days: forgot %d (%v), want 1", n, err)
	}
	for a, want := range map[string]int{"old@example.org": 0, "newer@example.org": 1, "kept@example.org": 1} {
		subs, err := svc.Subscriptions(ctx, a)
		if err != nil || len(subs) != want {
			t.Errorf("%s: %d subscriptions (%v), want %d", a, len(subs), err, want)
		}
	}
	e.clock.Add(24 * time.Hour)
	if n, err := svc.ForgetUnconfirmed(ctx); err != nil || n != 1 {
		t.Fatalf("a day later: forgot %d (%v), want the newer request", n, err)
	}
}

// TestConfirmationSaysForgetDays: the confirmation e-mail says how long
// an unconfirmed request is really kept (PLENARY_LIST_UNCONFIRMED_DAYS),
// in its text and HTML parts.
func TestConfirmationSaysForgetDays(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	svc := lists.NewService(lists.Options{
		DB: e.db, Outbox: e.outbox, BaseURL: "https://training.example/", Secret: []byte("a test secret of enough length!!"),
		Now: e.clock.Now, ForgetAfter: 10 * 24 * time.Hour,
	})
	ctx := context.Background()
	if err := svc.Subscribe(ctx, request("ten@example.org")); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Subscribe(ctx, request("thirty@example.org")); err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]string{"ten@example.org": "forget the request after 10 days",
		"thirty@example.org": "forget the request after 30 days"} {
		msgs, err := e.outbox.List(ctx, messaging.ListFilter{Kind: "list_confirm", Recipient: addr})
		if err != nil || len(msgs) != 1 {
			t.Fatalf("%s: %d e-mails (%v)", addr, len(msgs), err)
		}
		m, err := e.outbox.Message(ctx, msgs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
			t.Errorf("%s: want %q in\n%s\n%s", addr, want, m.Text, m.HTML)
		}
	}
}
