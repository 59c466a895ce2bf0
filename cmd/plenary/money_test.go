package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
)

// TestJPYFeeRoundTrip imports a course priced in yen (no minor unit),
// exports it, and imports the export: the amount is written "1200", and
// nothing changes.
func TestJPYFeeRoundTrip(t *testing.T) {
	dbURL, _ := migrated(t)
	c := catalogtest.NewCourse(time.Now())
	c.Fees = []catalog.FeeTier{{Name: "Standard", Amount: 1200, Currency: "JPY"}, {Name: "Members", Amount: 950, Currency: "JPY"}}
	file := filepath.Join(t.TempDir(), "yen.md")
	if err := os.WriteFile(file, catalog.FormatCourseFile(c), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, stderr, err := cli(t, dbURL, "import", file); err != nil || !strings.Contains(out, " created") {
		t.Fatalf("import: %v %s\n%s", err, stderr, out)
	}
	exported, stderr, err := cli(t, dbURL, "export", c.Slug)
	if err != nil {
		t.Fatalf("export: %v %s", err, stderr)
	}
	if !strings.Contains(exported, "amount: \"1200\"\n    currency: JPY") || !strings.Contains(exported, "amount: \"950\"\n    currency: JPY") {
		t.Fatalf("export does not write yen as whole amounts:\n%s", exported)
	}
	if err := os.WriteFile(file, []byte(exported), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := cli(t, dbURL, "import", file)
	if err != nil || !strings.Contains(out, c.Slug+" unchanged") {
		t.Fatalf("re-import of the export: %v\n%s", err, out)
	}
	if again, _, err := cli(t, dbURL, "export", c.Slug); err != nil || again != exported {
		t.Fatalf("second export differs from the first (err %v)", err)
	}
}
