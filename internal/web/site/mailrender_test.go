package site

import (
	"testing"

	"plenary/internal/booking"
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
