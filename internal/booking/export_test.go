package booking_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"plenary/internal/booking"
)

// TestSafeCell follows OWASP's advice on CSV injection: a quote before
// cells beginning with = + - @ tab or CR, also after leading whitespace;
// every other cell as it is.
func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{
		"":                  "",
		"Zoë":               "Zoë",
		"=1+1":              "'=1+1",
		"+44 20 7946 0000":  "'+44 20 7946 0000",
		"-2":                "'-2",
		"@SUM(A1)":          "'@SUM(A1)",
		"\t=1":              "'\t=1",
		"\tplain":           "'\tplain",
		"\r\nx":             "'\r\nx",
		"  =cmd|' /C calc'": "'  =cmd|' /C calc'",
		"\n@x":              "'\n@x",
		"a=b":               "a=b",
		"O'Neil":            "O'Neil",
		"   ":               "   ",
		"2026-06-10 09:00":  "2026-06-10 09:00",
	} {
		if got := booking.SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestWriteCSV: a byte-order mark, then cells that read back as given
// apart from the formula guard.
func TestWriteCSV(t *testing.T) {
	var buf bytes.Buffer
	header := []string{"name", "organisation", "notes"}
	rows := [][]string{{"Zoë \"Z\" O'Neil", "=HYPERLINK(\"http://x.example\")", "line one\nline two, with a comma"}}
	if err := booking.WriteCSV(&buf, header, rows); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, "\ufeff") {
		t.Fatalf("no byte-order mark: %q", out)
	}
	got, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{header, {"Zoë \"Z\" O'Neil", "'=HYPERLINK(\"http://x.example\")", "line one\nline two, with a comma"}}
	if len(got) != 2 || strings.Join(got[0], "|") != strings.Join(want[0], "|") || strings.Join(got[1], "|") != strings.Join(want[1], "|") {
		t.Fatalf("read back %q, want %q", got, want)
	}
}
