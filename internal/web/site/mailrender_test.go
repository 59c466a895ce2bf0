package site

import (
	"testing"

	"plenary/internal/booking"
	"plenary/internal/lists"
	"plenary/internal/messaging"
)

// mailRenderer is the booking e-mails' renderer, as main gives it to the
// outbox.
func mailRenderer(t testing.TB) *booking.Mail {
	t.Helper()
	m, err := booking.NewMail()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// listRenderers renders the lists' e-mails, by kind.
func listRenderers(t testing.TB) map[string]messaging.Renderer {
	t.Helper()
	m, err := lists.NewMail()
	if err != nil {
		t.Fatal(err)
	}
	r := map[string]messaging.Renderer{}
	for _, k := range lists.MailKinds {
		r[k] = m
	}
	return r
}
