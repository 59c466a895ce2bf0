package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "sqlite:plenary.db" || c.TimeZone != "Europe/London" || c.BaseURL != "http://localhost:8080" || c.LogFormat != "json" {
		t.Fatalf("defaults: got %+v", c)
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	_, err := Load(env(map[string]string{
		"PLENARY_DATABASE_URL": "mysql://x",
		"PLENARY_BASE_URL":     "training.example",
		"PLENARY_TIMEZONE":     "Mars/Olympus",
		"PLENARY_DEV":          "perhaps",
		"PLENARY_LOG_LEVEL":    "loud",
	}))
	if err == nil {
		t.Fatal("no error for a bad configuration")
	}
	for _, want := range []string{"PLENARY_DATABASE_URL", "PLENARY_BASE_URL", "PLENARY_TIMEZONE", "PLENARY_DEV", "PLENARY_LOG_LEVEL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
}

func TestDatabaseURLFromFileIsMasked(t *testing.T) {
	file := filepath.Join(t.TempDir(), "db")
	if err := os.WriteFile(file, []byte("postgres://plenary:hunter2@db.internal/plenary\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(map[string]string{"PLENARY_DATABASE_URL_FILE": file}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "postgres://plenary:hunter2@db.internal/plenary" {
		t.Fatalf("DatabaseURL: got %q", c.DatabaseURL)
	}
	for _, v := range c.Values() {
		if strings.Contains(v[1], "hunter2") {
			t.Fatalf("Values shows the password: %v", v)
		}
	}
}

func TestMailSettings(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		from     string
		jobs     bool
		smtp     string
		problems []string
	}{
		{"defaults", nil, "Plenary <noreply@localhost>", true, "", nil},
		{"from the base URL and site name", map[string]string{"PLENARY_BASE_URL": "https://training.example:8443", "PLENARY_SITE_NAME": "St. Mary's Training"},
			`"St. Mary's Training" <noreply@training.example>`, true, "", nil},
		{"all set", map[string]string{
			"PLENARY_SMTP_URL":      "smtps://mailer:pw@smtp.example:465",
			"PLENARY_MAIL_FROM":     "Courses <courses@training.example>",
			"PLENARY_MAIL_REPLY_TO": "team@training.example",
			"PLENARY_JOBS":          "off",
		}, "Courses <courses@training.example>", false, "smtps://mailer:pw@smtp.example:465", nil},
		{"STARTTLS required", map[string]string{"PLENARY_SMTP_URL": "smtp://u:p@smtp.example:587?tls=required"},
			"Plenary <noreply@localhost>", true, "smtp://u:p@smtp.example:587?tls=required", nil},
		{"bad values", map[string]string{
			"PLENARY_SMTP_URL":      "smtps://u:p@smtp.example?tls=none",
			"PLENARY_MAIL_FROM":     "not an address",
			"PLENARY_MAIL_REPLY_TO": "team at example",
			"PLENARY_JOBS":          "sometimes",
		}, "", false, "", []string{"PLENARY_SMTP_URL", "PLENARY_MAIL_FROM", "PLENARY_MAIL_REPLY_TO", "PLENARY_JOBS"}},
		{"not SMTP", map[string]string{"PLENARY_SMTP_URL": "http://smtp.example"}, "", false, "", []string{"PLENARY_SMTP_URL"}},
		{"bad port", map[string]string{"PLENARY_SMTP_URL": "smtp://smtp.example:99999"}, "", false, "", []string{"PLENARY_SMTP_URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.env))
			if len(tt.problems) > 0 {
				if err == nil {
					t.Fatal("no error")
				}
				for _, want := range tt.problems {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error does not mention %s: %v", want, err)
					}
				}
				if strings.Contains(err.Error(), ":p@") {
					t.Errorf("error shows the SMTP password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.MailFrom != tt.from || c.Jobs != tt.jobs || c.SMTPURL != tt.smtp {
				t.Errorf("got from %q, jobs %v, smtp %q", c.MailFrom, c.Jobs, c.SMTPURL)
			}
		})
	}
}

func TestSMTPURLFromFileIsMasked(t *testing.T) {
	file := filepath.Join(t.TempDir(), "smtp")
	if err := os.WriteFile(file, []byte("smtps://mailer:hunter2@smtp.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(map[string]string{"PLENARY_SMTP_URL_FILE": file}))
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTPURL != "smtps://mailer:hunter2@smtp.example" {
		t.Fatalf("SMTPURL: got %q", c.SMTPURL)
	}
	found := false
	for _, v := range c.Values() {
		if strings.Contains(v[1], "hunter2") {
			t.Fatalf("Values shows the password: %v", v)
		}
		found = found || v[0] == "PLENARY_SMTP_URL" && v[1] == "smtps://mailer:xxxxx@smtp.example"
	}
	if !found {
		t.Error("Values has no masked PLENARY_SMTP_URL")
	}
	_, err = Load(env(map[string]string{"PLENARY_SMTP_URL_FILE": file, "PLENARY_SMTP_URL": "smtp://x"}))
	if err == nil || !strings.Contains(err.Error(), "both set") {
		t.Errorf("both set: %v", err)
	}
}

func TestSettingsListEveryValue(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	values := c.Values()
	if len(values) != len(Settings) {
		t.Fatalf("%d values, %d settings", len(values), len(Settings))
	}
	for i, s := range Settings {
		if values[i][0] != s.Name {
			t.Errorf("value %d is %s, setting %d is %s", i, values[i][0], i, s.Name)
		}
	}
}

func TestRetentionAndPageCache(t *testing.T) {
	c, err := Load(env(map[string]string{"PLENARY_ACCESS_NEEDS_RETENTION_DAYS": "60", "PLENARY_PAGE_CACHE_TTL": "0"}))
	if err != nil || c.AccessNeedsRetentionDays != 60 || c.PageCacheTTL != 0 {
		t.Fatalf("got %d, %v, %v", c.AccessNeedsRetentionDays, c.PageCacheTTL, err)
	}
	c, err = Load(env(nil))
	if err != nil || c.AccessNeedsRetentionDays != 30 || c.PageCacheTTL != 2*time.Second {
		t.Fatalf("defaults: got %d, %v, %v", c.AccessNeedsRetentionDays, c.PageCacheTTL, err)
	}
	_, err = Load(env(map[string]string{"PLENARY_ACCESS_NEEDS_RETENTION_DAYS": "a month", "PLENARY_PAGE_CACHE_TTL": "-1s"}))
	if err == nil || !strings.Contains(err.Error(), "PLENARY_ACCESS_NEEDS_RETENTION_DAYS") || !strings.Contains(err.Error(), "PLENARY_PAGE_CACHE_TTL") {
		t.Fatalf("bad values: got %v", err)
	}
}

func TestBookingLimitAndProxies(t *testing.T) {
	c, err := Load(env(map[string]string{"PLENARY_BOOKING_LIMIT": "0", "PLENARY_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8 ,::1"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.BookingLimit != 0 || len(c.TrustedProxies) != 3 || c.TrustedProxies[0].String() != "127.0.0.1/32" || c.TrustedProxies[2].String() != "::1/128" {
		t.Fatalf("got limit %d, proxies %v", c.BookingLimit, c.TrustedProxies)
	}
	if c, _ := Load(env(nil)); c.BookingLimit != 10 || len(c.TrustedProxies) != 0 {
		t.Fatalf("defaults: got %d, %v", c.BookingLimit, c.TrustedProxies)
	}
	_, err = Load(env(map[string]string{"PLENARY_BOOKING_LIMIT": "-1", "PLENARY_TRUSTED_PROXIES": "proxy.internal"}))
	if err == nil || !strings.Contains(err.Error(), "PLENARY_BOOKING_LIMIT") || !strings.Contains(err.Error(), "PLENARY_TRUSTED_PROXIES") {
		t.Fatalf("bad values: got %v", err)
	}
}

func TestWorkingDaySettings(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.Region != "england-and-wales" || c.JoiningTime != "09:00" || c.MinNoticeWorkingDays != 10 || c.HolidaysFile != "" {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
	c, err = Load(env(map[string]string{"PLENARY_REGION": "Scotland", "PLENARY_JOINING_TIME": "08:30", "PLENARY_MIN_NOTICE_WORKING_DAYS": "5"}))
	if err != nil || c.Region != "scotland" || c.JoiningTime != "08:30" || c.MinNoticeWorkingDays != 5 {
		t.Fatalf("set: %+v, %v", c, err)
	}
	_, err = Load(env(map[string]string{"PLENARY_REGION": "wales", "PLENARY_JOINING_TIME": "9am",
		"PLENARY_MIN_NOTICE_WORKING_DAYS": "ten", "PLENARY_HOLIDAYS_FILE": "/no/such/file"}))
	for _, want := range []string{"PLENARY_REGION", "PLENARY_JOINING_TIME", "PLENARY_MIN_NOTICE_WORKING_DAYS", "PLENARY_HOLIDAYS_FILE"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad settings: %v does not mention %s", err, want)
		}
	}
}
