package admin

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"plenary/internal/account"
	"plenary/internal/booking"
	"plenary/internal/catalog"
)

// The desk's export, /admin/bookings/export.csv and .xlsx: what the list's
// filter finds, as the CSV `plenary bookings -csv` writes (booking.
// ListingRows → Table → WriteCSV) and the same header and cells in a
// spreadsheet. Access needs only to those allowed to see them; the
// payment columns (payment, invoice, invoice_state) are left out for a
// viewer without invoices:read (fee_tier, fee and po_number stay).

// exportLimit is the most bookings one export (or bulk action) takes.
const exportLimit = 10000

// exportCSV serves GET /admin/bookings/export.csv.
func (s *Server) exportCSV(w http.ResponseWriter, r *http.Request) { s.export(w, r, "csv") }

// exportXLSX serves GET /admin/bookings/export.xlsx.
func (s *Server) exportXLSX(w http.ResponseWriter, r *http.Request) { s.export(w, r, "xlsx") }

func (s *Server) export(w http.ResponseWriter, r *http.Request, format string) {
	if s.bookings == nil {
		s.web.NotFound(w, r)
		return
	}
	sess, _ := sessionOf(r)
	f := readDeskFilter(r.URL.Query(), sess)
	rows, err := s.bookings.SearchAll(r.Context(), f.query(r), exportLimit)
	if errors.Is(err, booking.ErrTooMany) {
		http.Error(w, fmt.Sprintf("More than %d bookings match: narrow the filter (a course or a date) and export again.", exportLimit),
			http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	s.writeExport(w, r, rows, format)
}

// exportTable lays rows out as the CLI's CSV does, for the viewer: the
// access needs column only when they may see every row's, money cells
// only for rows whose money they may see. It also names the file.
func exportTable(sess account.Session, rows []booking.Row, moved map[int64]booking.Row) (header []string, records [][]string, name string) {
	slices.SortStableFunc(rows, func(a, b booking.Row) int {
		return cmp.Or(a.Event.StartsAt.Compare(b.Event.StartsAt), cmp.Compare(a.EventID, b.EventID), cmp.Compare(a.ID, b.ID))
	})
	withNeeds := len(rows) > 0
	courses := map[int64]catalog.Course{}
	var listing []booking.ListingRow
	for i := 0; i < len(rows); {
		j := i
		for j < len(rows) && rows[j].EventID == rows[i].EventID {
			j++
		}
		ev := rows[i].Event
		c := rows[i].Course
		list := make([]booking.Booking, 0, j-i)
		for _, r := range rows[i:j] {
			list = append(list, r.Booking)
			withNeeds = withNeeds && sess.Can(account.BookingsAccessNeed, r.CourseID)
		}
		listing = append(listing, booking.ListingRows(c, ev, list, true)...)
		courses[c.ID] = c
		i = j
	}
	// The course whose questions head the answer columns: the one course
	// exported, else none (each answer then heads its own column).
	var head catalog.Course
	if len(courses) == 1 {
		for _, c := range courses {
			head = c
		}
	}
	// A moved booking's status names where it went (or came from): the
	// old one is no cancellation. listing is in the order of rows.
	for k, r := range rows {
		if other := cmp.Or(r.MovedTo, r.MovedFrom); other != 0 {
			listing[k].MovedDate = movedDate(sess, other, moved)
		}
	}
	header, records = booking.Table(head, listing, withNeeds)
	// The payment columns only when the viewer may read the invoices of
	// every row; otherwise they are left out (an empty cell would read
	// as "no invoice"). The fee tier, fee and PO number are what the
	// person gave and stay.
	withPayment := true
	for _, r := range rows {
		withPayment = withPayment && sess.Can(account.InvoicesRead, r.CourseID)
	}
	if !withPayment {
		payment := map[string]bool{"payment": true, "invoice": true, "invoice_state": true}
		fixed := min(len(header), tableFixed)
		keep := func(k int) bool { return k >= fixed || !payment[header[k]] }
		for i, rec := range records {
			records[i] = dropColumns(rec, keep)
		}
		header = dropColumns(header, keep)
	}
	name = "bookings"
	if len(rows) > 0 && len(courses) == 1 {
		name += "-" + fileWord(rows[0].CourseTitle)
		if first, last := rows[0].EventID, rows[len(rows)-1].EventID; first == last && len(rows[0].Event.Days) > 0 {
			name += "-" + rows[0].Event.Days[0].Date.In(time.UTC).Format("2006-01-02")
		}
	}
	return header, records, name
}

// tableFixed is how many columns booking.Table writes before the
// answers: the payment columns are looked for among these only.
const tableFixed = 22

// dropColumns returns the cells of row whose index keep accepts.
func dropColumns(row []string, keep func(int) bool) []string {
	out := make([]string, 0, len(row))
	for k, v := range row {
		if keep(k) {
			out = append(out, v)
		}
	}
	return out
}

// fileWord makes a title fit for a file name: "DIT refresher" →
// "dit-refresher".
func fileWord(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.Trim(b.String(), "-")
}

// writeExport answers with rows as a CSV or XLSX download.
func (s *Server) writeExport(w http.ResponseWriter, r *http.Request, rows []booking.Row, format string) {
	// The export needs each booking's answers; the list's search leaves
	// them out.
	sess, _ := sessionOf(r)
	moved, err := s.movedDates(r.Context(), rows)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	header, records, name := exportTable(sess, rows, moved)
	var buf bytes.Buffer
	var ctype string
	switch format {
	case "xlsx":
		ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		if err := writeXLSX(&buf, header, records); err != nil {
			s.web.Error(w, r, err)
			return
		}
	default:
		format, ctype = "csv", "text/csv; charset=utf-8"
		if err := booking.WriteCSV(&buf, header, records); err != nil {
			s.web.Error(w, r, err)
			return
		}
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s"`, name, format))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// xlsxSheet is the name of the export's one sheet.
const xlsxSheet = "Bookings"

// writeXLSX writes header and records as a spreadsheet: every cell a text
// cell (so nothing typed is ever read as a formula), the header bold and
// frozen.
func writeXLSX(w io.Writer, header []string, records [][]string) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", xlsxSheet); err != nil {
		return err
	}
	put := func(row int, cells []string) error {
		for i, v := range cells {
			cell, err := excelize.CoordinatesToCellName(i+1, row)
			if err != nil {
				return err
			}
			if err := f.SetCellStr(xlsxSheet, cell, v); err != nil {
				return err
			}
		}
		return nil
	}
	if err := put(1, header); err != nil {
		return err
	}
	for i, rec := range records {
		if err := put(i+2, rec); err != nil {
			return err
		}
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	last, err := excelize.CoordinatesToCellName(max(len(header), 1), 1)
	if err != nil {
		return err
	}
	if err := f.SetCellStyle(xlsxSheet, "A1", last, bold); err != nil {
		return err
	}
	if err := f.SetPanes(xlsxSheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	return f.Write(w)
}
