package account_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"plenary/internal/account"
)

var update = flag.Bool("update", false, "rewrite the permission table in docs/admin.md from the code")

const (
	adminDoc   = "../../docs/admin.md"
	tableBegin = "<!-- permission table: written from internal/account/permission.go by `go test ./internal/account -update` -->\n"
	tableEnd   = "<!-- end of permission table -->\n"
)

// permissionTable writes the role × permission table as Markdown.
func permissionTable() string {
	var b strings.Builder
	b.WriteString("| permission |")
	for _, r := range account.Roles {
		b.WriteString(" " + string(r) + " |")
	}
	b.WriteString("\n|---|")
	for range account.Roles {
		b.WriteString(":---:|")
	}
	b.WriteString("\n")
	for _, p := range account.Permissions {
		b.WriteString("| `" + string(p) + "` |")
		for _, r := range account.Roles {
			if r.Has(p) {
				b.WriteString(" ✓ |")
			} else {
				b.WriteString(" — |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestDocsShowThePermissionTable: docs/admin.md shows the table as the
// code has it; `go test ./internal/account -update` rewrites it.
func TestDocsShowThePermissionTable(t *testing.T) {
	b, err := os.ReadFile(adminDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	before, rest, ok := strings.Cut(doc, tableBegin)
	table, after, ok2 := strings.Cut(rest, tableEnd)
	if !ok || !ok2 {
		t.Fatalf("%s has no permission table markers", adminDoc)
	}
	want := permissionTable()
	if table == want {
		return
	}
	if *update {
		if err := os.WriteFile(adminDoc, []byte(before+tableBegin+want+tableEnd+after), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("docs/admin.md's permission table differs from the code; run `go test ./internal/account -update`.\ngot:\n%s\nwant:\n%s", table, want)
}
