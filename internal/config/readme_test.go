package config

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the Configuration table in README.md from the settings")

const (
	readmeFile = "../../README.md"
	tableBegin = "<!-- settings table: written from internal/config/settings.go by `go test ./internal/config -update` -->\n"
	tableEnd   = "<!-- end of settings table -->\n"
)

// TestREADMETable keeps the README's Configuration table equal to the
// settings declared in settings.go: a setting added, renamed or
// re-documented there fails here until `go test ./internal/config
// -update` has rewritten the table.
func TestREADMETable(t *testing.T) {
	b, err := os.ReadFile(readmeFile)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	before, rest, ok := strings.Cut(readme, tableBegin)
	table, after, ok2 := strings.Cut(rest, tableEnd)
	if !ok || !ok2 {
		t.Fatalf("README.md has no settings table between %q and %q", tableBegin, tableEnd)
	}
	want := Markdown()
	if table == want {
		return
	}
	if *update {
		if err := os.WriteFile(readmeFile, []byte(before+tableBegin+want+tableEnd+after), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's settings table differs from settings.go; run `go test ./internal/config -update` and read the diff.\ngot:\n%s\nwant:\n%s", table, want)
}
