package admin

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestWriteXLSX reads the export's spreadsheet back with excelize: every
// value comes back as typed, as text (never a formula or a number), past
// column Z, with characters XML escapes, spaces at the ends and line
// breaks; the header is bold and frozen; an over-long cell is cut at
// Excel's limit.
func TestWriteXLSX(t *testing.T) {
	header := make([]string, 30)
	for i := range header {
		header[i] = fmt.Sprintf("col %d", i)
	}
	long := strings.Repeat("é", xlsxMaxCell+10)
	row1 := make([]string, 30)
	for i := range row1 {
		row1[i] = fmt.Sprintf("v%d", i)
	}
	row1[0], row1[1], row1[2], row1[3], row1[4], row1[5] = "=1+1", "007", `<b>&amp; "Ann" O'Neil</b>`, "  spaced  ", "two\nlines", "Łódź ễ 東京"
	row2 := []string{long, "", "last"}
	var buf bytes.Buffer
	if err := writeXLSX(&buf, header, [][]string{row1, row2}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{xlsxSheet}) {
		t.Fatalf("sheets %q", got)
	}
	rows, err := f.GetRows(xlsxSheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || !slices.Equal(rows[0], header) || !slices.Equal(rows[1], row1) {
		t.Fatalf("rows:\n%q\nwant\n%q\n%q", rows[:min(len(rows), 2)], header, row1)
	}
	if want := []string{strings.Repeat("é", xlsxMaxCell), "", "last"}; !slices.Equal(rows[2], want) {
		t.Errorf("row 3: %d cells, first %d characters", len(rows[2]), len([]rune(rows[2][0])))
	}
	for _, cell := range []string{"A2", "B2", "AD2", "AD1"} {
		if typ, _ := f.GetCellType(xlsxSheet, cell); typ != excelize.CellTypeInlineString {
			t.Errorf("%s has type %v, want an inline string", cell, typ)
		}
		if formula, _ := f.GetCellFormula(xlsxSheet, cell); formula != "" {
			t.Errorf("%s is a formula: %q", cell, formula)
		}
	}
	panes, err := f.GetPanes(xlsxSheet)
	if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
		t.Errorf("panes: %+v %v", panes, err)
	}
	for cell, bold := range map[string]bool{"A1": true, "AD1": true, "A2": false} {
		style, _ := f.GetCellStyle(xlsxSheet, cell)
		st, err := f.GetStyle(style)
		if err != nil || (st.Font != nil && st.Font.Bold) != bold {
			t.Errorf("%s bold: %+v %v, want %v", cell, st.Font, err, bold)
		}
	}
}

func TestXLSXColumn(t *testing.T) {
	for i, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 51: "AZ", 52: "BA", 701: "ZZ", 702: "AAA"} {
		if got := xlsxColumn(i); got != want {
			t.Errorf("xlsxColumn(%d) = %q, want %q", i, got, want)
		}
	}
}
