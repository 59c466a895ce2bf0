package messaging_test

import (
	"strings"
	"testing"

	"plenary/internal/messaging"
)

// TestParseSMTPURL pins the one grammar of PLENARY_SMTP_URL: config
// checks the setting with this parser and the mailer is built with it.
func TestParseSMTPURL(t *testing.T) {
	good := []struct {
		url  string
		want messaging.SMTPServer
	}{
		{"smtps://u:p%20w@mail.example", messaging.SMTPServer{Host: "mail.example", Port: 465, ImplicitTLS: true, TLS: "required", User: "u", Password: "p w"}},
		{"smtp://mail.example", messaging.SMTPServer{Host: "mail.example", Port: 587, TLS: "opportunistic"}},
		{"smtp://u:p@mail.example:2525?tls=required", messaging.SMTPServer{Host: "mail.example", Port: 2525, TLS: "required", User: "u", Password: "p"}},
		{"smtp://127.0.0.1:25?tls=none", messaging.SMTPServer{Host: "127.0.0.1", Port: 25, TLS: "none"}},
	}
	for _, tt := range good {
		got, err := messaging.ParseSMTPURL(tt.url)
		if err != nil || got != tt.want {
			t.Errorf("%s: got %+v, %v; want %+v", tt.url, got, err, tt.want)
		}
	}
	bad := map[string]string{
		"http://u:hunter2@mail.example":            "smtp://",
		"smtp://u:hunter2@":                        "no host",
		"smtp://u:hunter2@mail.example:0":          "port",
		"smtp://u:hunter2@mail.example:99999":      "port",
		"smtp://u:hunter2@mail.example?tls=mayb":   "tls=",
		"smtps://u:hunter2@mail.example?tls=none":  "only for smtp://",
		"smtp://u:hunter2@mail.example?auth=plain": `unknown option "auth"`,
		"smtp://u:hunter2@mail.example:%zz":        "not a URL",
	}
	for raw, want := range bad {
		_, err := messaging.ParseSMTPURL(raw)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error about %s", raw, err, want)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error shows the password: %v", raw, err)
		}
		if _, err := messaging.NewSMTPMailer(raw, "Plenary <noreply@localhost>", ""); err == nil {
			t.Errorf("%s: NewSMTPMailer accepted what ParseSMTPURL refuses", raw)
		}
	}
}
