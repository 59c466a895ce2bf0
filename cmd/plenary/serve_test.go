package main

import (
	"strings"
	"testing"

	"plenary/internal/config"
)

// TestDevMailboxOn checks when serve turns the dev mailbox on: only when
// asked (PLENARY_DEV_MAILBOX or -demo), never with SMTP.
func TestDevMailboxOn(t *testing.T) {
	const smtp = "smtp://user:pass@127.0.0.1:2525"
	tests := []struct {
		name string
		cfg  config.Config
		demo bool
		want bool
	}{
		{"default", config.Config{}, false, false},
		{"PLENARY_DEV_MAILBOX", config.Config{DevMailbox: true}, false, true},
		{"-demo", config.Config{}, true, true},
		{"-demo with SMTP", config.Config{SMTPURL: smtp}, true, false},
		{"SMTP", config.Config{SMTPURL: smtp}, false, false},
		// Config refuses this pair; serve still keeps the mailbox off.
		{"PLENARY_DEV_MAILBOX with SMTP", config.Config{DevMailbox: true, SMTPURL: smtp}, true, false},
	}
	for _, tt := range tests {
		if got, why := devMailboxOn(tt.cfg, tt.demo); got != tt.want || why == "" {
			t.Errorf("%s: got %v (%q), want %v with a reason", tt.name, got, why, tt.want)
		}
	}
}

// TestDevMailboxRefusedWithSMTP checks that the configuration cannot ask
// for the dev mailbox and SMTP together.
func TestDevMailboxRefusedWithSMTP(t *testing.T) {
	env := map[string]string{"PLENARY_DEV_MAILBOX": "true", "PLENARY_SMTP_URL": "smtp://user:pass@127.0.0.1:2525"}
	_, err := config.Load(func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "PLENARY_DEV_MAILBOX") {
		t.Errorf("got %v, want PLENARY_DEV_MAILBOX refused with PLENARY_SMTP_URL", err)
	}
}
