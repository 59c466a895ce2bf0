package admin

import (
	"archive/zip"
	"bufio"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The export's spreadsheet is written here with archive/zip and
// encoding/xml: one sheet of text cells (inline strings, so nothing typed
// is ever read as a formula or a number), the header row bold and frozen.
// A spreadsheet library (excelize) did this before; it cost the shipped
// binary 1.9 MB and every start about 1.3 MB and 20,000 allocations in its
// package initialisers, whether or not anyone exported (docs/PERFORMANCE.md, "Idle
// cost and binary size"). The tests read the file back with excelize.

// xlsxMaxCell is the most characters a spreadsheet cell holds (Excel's
// limit); a longer value is cut there, as excelize did.
const xlsxMaxCell = 32767

// The fixed parts of the package (ECMA-376 part 1 and 2).
const (
	xlsxContentTypes = xml.Header + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
		`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
		`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
		`</Types>`
	xlsxRels = xml.Header + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>` +
		`</Relationships>`
	xlsxWorkbookRels = xml.Header + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
		`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
		`</Relationships>`
	// Style 0 is the default; style 1 (s="1") the bold header.
	xlsxStyles = xml.Header + `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
		`<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>` +
		`<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>` +
		`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
		`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
		`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
		`<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
		`<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>` +
		`<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>` +
		`</styleSheet>`
	xlsxSheetStart = xml.Header + `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
		`<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>` +
		`<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews><sheetData>`
	xlsxSheetEnd = `</sheetData></worksheet>`
)

// writeXLSX writes header and records as a spreadsheet: every cell a text
// cell (so nothing typed is ever read as a formula), the header bold and
// frozen.
func writeXLSX(w io.Writer, header []string, records [][]string) error {
	z := zip.NewWriter(w)
	workbook := xml.Header + `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ` +
		`xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
		`<sheets><sheet name="` + xmlText(xlsxSheet) + `" sheetId="1" r:id="rId1"/></sheets></workbook>`
	for _, part := range []struct{ name, body string }{
		{"[Content_Types].xml", xlsxContentTypes},
		{"_rels/.rels", xlsxRels},
		{"xl/workbook.xml", workbook},
		{"xl/_rels/workbook.xml.rels", xlsxWorkbookRels},
		{"xl/styles.xml", xlsxStyles},
	} {
		f, err := z.Create(part.name)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(f, part.body); err != nil {
			return err
		}
	}
	f, err := z.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return err
	}
	b := bufio.NewWriter(f)
	b.WriteString(xlsxSheetStart)
	writeRow := func(row int, cells []string, style string) {
		r := strconv.Itoa(row)
		b.WriteString(`<row r="` + r + `">`)
		for i, v := range cells {
			b.WriteString(`<c r="` + xlsxColumn(i) + r + `"` + style + ` t="inlineStr"><is><t xml:space="preserve">`)
			if utf8.RuneCountInString(v) > xlsxMaxCell {
				v = string([]rune(v)[:xlsxMaxCell])
			}
			xml.EscapeText(b, []byte(v))
			b.WriteString(`</t></is></c>`)
		}
		b.WriteString(`</row>`)
	}
	writeRow(1, header, ` s="1"`)
	for i, rec := range records {
		writeRow(i+2, rec, "")
	}
	b.WriteString(xlsxSheetEnd)
	if err := b.Flush(); err != nil {
		return err
	}
	return z.Close()
}

// xlsxColumn names the column of index i (0 → A, 25 → Z, 26 → AA).
func xlsxColumn(i int) string {
	var name []byte
	for i++; i > 0; i = (i - 1) / 26 {
		name = append([]byte{byte('A' + (i-1)%26)}, name...)
	}
	return string(name)
}

// xmlText escapes s for XML character data or an attribute value.
func xmlText(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
