package messaging_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"plenary/internal/messaging"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestRender(t *testing.T) {
	data := map[string]any{
		"Name":      "Zoë <O'Brien>",
		"Course":    "DIT refresher",
		"Date":      "Tuesday 10 June 2026, 10:00–17:00 UK time (BST)",
		"ManageURL": "https://training.example/b/abc?x=1&y=2",
		"Position":  3,
	}
	fsys := os.DirFS("testdata")
	subject, text, html, err := messaging.Render(fsys, "confirmation", data)
	if err != nil {
		t.Fatal(err)
	}
	if subject != "Booked: DIT refresher on Tuesday 10 June 2026, 10:00–17:00 UK time (BST)" {
		t.Errorf("subject %q", subject)
	}
	golden(t, "confirmation.golden.txt", text)
	golden(t, "confirmation.golden.html", html)
	if !strings.Contains(html, "Zoë &lt;O&#39;Brien&gt;") || !strings.Contains(text, "Zoë <O'Brien>") {
		t.Errorf("escaping: the HTML must escape the name, the text must not")
	}

	// A template without its HTML half gives a text-only message.
	if _, text, html, err := messaging.Render(fsys, "waiting", data); err != nil || html != "" || text != "You are number 3.\n" {
		t.Errorf("text-only: %q, %q, %v", text, html, err)
	}
	for _, name := range []string{"nosubject", "missing"} {
		if _, _, _, err := messaging.Render(fsys, name, data); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, _, _, err := messaging.Render(fsys, "confirmation", map[string]any{"Name": "x"}); err == nil {
		t.Error("missing data: no error")
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n got: %q\nwant: %q", name, got, want)
	}
}
