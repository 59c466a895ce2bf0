package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
