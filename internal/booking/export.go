package booking

import (
	"cmp"
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"plenary/internal/catalog"
)

// A coordinator's list of an event's bookings, as `plenary bookings`
// writes it (CSV, JSON, text) and as the admin area's export can reuse it:
// ListingRows builds the rows, Table lays them out as cells, and WriteCSV
// writes cells safely for spreadsheet programs.

// ListingRow is one booking with what a coordinator needs beside it: the
// course and date, times in the event's zone, the answers to the course's
// questions, why it waits for review, and where its fee stands.
type ListingRow struct {
	ID              int64  `json:"id"`
	Status          string `json:"status"`
	WaitingPosition int    `json:"waiting_position,omitempty"`
	// BookedAt and CancelledAt are in the event's zone.
	BookedAt           time.Time  `json:"booked_at"`
	CancelledAt        *time.Time `json:"cancelled_at,omitempty"`
	Course             string     `json:"course"`
	Date               string     `json:"date"`
	Times              string     `json:"times"`
	Name               string     `json:"name"`
	Email              string     `json:"email"`
	Organisation       string     `json:"organisation"`
	Role               string     `json:"role"`
	RegistrationNumber string     `json:"registration_number,omitempty"`
	FeeTier            string     `json:"fee_tier,omitempty"`
	Fee                string     `json:"fee,omitempty"`
	Payment            string     `json:"payment"`
	Invoice            string     `json:"invoice,omitempty"`
	InvoiceState       string     `json:"invoice_state"`
	PONumber           string     `json:"po_number,omitempty"`
	NeedsReview        bool       `json:"needs_review,omitempty"`
	// ReviewReason is the eligibility rules' message: why the booking
	// needs (or needed) a coordinator's look. Lines are joined with "; ".
	ReviewReason string   `json:"review_reason,omitempty"`
	MailFailing  bool     `json:"mail_failing,omitempty"`
	Answers      []Answer `json:"answers"`
	AccessNeeds  string   `json:"access_needs,omitempty"`
	// MovedTo and MovedFrom are the bookings this one was moved to (it
	// is cancelled, but no cancellation) or from; MovedDate is the date
	// of MovedTo when there is one, else of MovedFrom, as
	// catalog.Event.DateLabel writes it, when the caller looked it up and
	// may show it. StatusText says it in words.
	MovedTo   int64  `json:"moved_to,omitempty"`
	MovedFrom int64  `json:"moved_from,omitempty"`
	MovedDate string `json:"moved_date,omitempty"`
}

// StatusText is the row's status as an export shows it: the status, or
// "moved to <date>" for a booking moved to another date, and "<status>,
// moved from <date>" for the booking it became ("another date" when the
// other date is not known to the caller or not theirs to see).
func (r ListingRow) StatusText() string {
	date := cmp.Or(r.MovedDate, "another date")
	switch {
	case r.MovedTo != 0:
		return "moved to " + date
	case r.MovedFrom != 0:
		return r.Status + ", moved from " + date
	}
	return r.Status
}

// Answer is one answer to one of the course's questions.
type Answer struct {
	Key      string `json:"key"`
	Question string `json:"question"` // the question's label
	Answer   string `json:"answer"`
}

// InvoiceState says where the booking's fee stands, for finance: "free",
// "not invoiced" (waiting list, offers, reviews), "invoiced, unpaid",
// "invoice to cancel" (the booking ended with the invoice still open),
// "paid", "fee waived, invoice void" (cancelled by a coordinator who
// waived the course's terms), "refund due" (the booking was cancelled on terms that give the
// fee back) or "refunded".
func (b Booking) InvoiceState() string {
	switch b.Payment {
	case Invoice:
		if !b.Status.Active() {
			return "invoice to cancel"
		}
		return "invoiced, unpaid"
	case Paid:
		return "paid"
	case RefundDue:
		return "refund due"
	case Refunded:
		return "refunded"
	case Waived:
		return "fee waived, invoice void"
	}
	if b.Amount == 0 {
		return "free"
	}
	return "not invoiced"
}

// ListingRows builds the listing of bookings (all on event e of course c).
// Access needs, special-category data, are included only withNeeds.
// Answers follow the order of the course's questions; answers to
// questions the course no longer asks come after them, under their key.
func ListingRows(c catalog.Course, e catalog.Event, list []Booking, withNeeds bool) []ListingRow {
	loc := e.Location()
	questions := listingQuestions(c, list)
	date, times := e.DateLabel(), EventTimes(e)
	rows := make([]ListingRow, len(list))
	for i, b := range list {
		r := ListingRow{ID: b.ID, Status: string(b.Status), WaitingPosition: b.WaitPosition, BookedAt: b.CreatedAt.In(loc),
			Course: c.Title, Date: date, Times: times,
			Name: b.Name, Email: b.Email, Organisation: b.Organisation, Role: b.Role, RegistrationNumber: b.RegistrationNumber,
			FeeTier: b.FeeTier, Payment: string(b.Payment), Invoice: b.InvoiceLabel(), InvoiceState: b.InvoiceState(),
			PONumber: b.PONumber, NeedsReview: b.Status == PendingReview, ReviewReason: joinLines(b.ReviewReason, "; "),
			MailFailing: b.MailFailing, Answers: []Answer{}, MovedTo: b.MovedTo, MovedFrom: b.MovedFrom}
		if b.Amount > 0 {
			r.Fee = catalog.FormatMoney(b.Amount, b.Currency)
		}
		if !b.CancelledAt.IsZero() {
			t := b.CancelledAt.In(loc)
			r.CancelledAt = &t
		}
		for _, q := range questions {
			if a, ok := b.Answers[q.Key]; ok {
				r.Answers = append(r.Answers, Answer{Key: q.Key, Question: q.Label, Answer: a})
			}
		}
		if withNeeds {
			r.AccessNeeds = b.AccessNeeds
		}
		rows[i] = r
	}
	return rows
}

// listingQuestions is the course's questions, then a made-up one for each
// answer key the course no longer asks about.
func listingQuestions(c catalog.Course, list []Booking) []catalog.Question {
	qs := append([]catalog.Question(nil), c.Questions...)
	known := map[string]bool{}
	for _, q := range qs {
		known[q.Key] = true
	}
	for _, b := range list {
		var extra []string
		for k := range b.Answers {
			if !known[k] {
				extra = append(extra, k)
			}
		}
		slices.Sort(extra) // map order is random: keep the columns stable
		for _, k := range extra {
			known[k] = true
			qs = append(qs, catalog.Question{Key: k, Label: k})
		}
	}
	return qs
}

// EventTimes writes the event's hours in its zone: "10:00–17:00 UK time
// (BST)" when every day keeps the same hours, else each day's.
func EventTimes(e catalog.Event) string {
	loc := e.Location()
	var parts []string
	same := true
	for i, d := range e.Days {
		if i > 0 && (d.Start != e.Days[0].Start || d.End != e.Days[0].End) {
			same = false
		}
		parts = append(parts, d.Date.In(time.UTC).Format("Mon 2 Jan")+" "+d.TimeRange(loc))
	}
	switch {
	case len(e.Days) == 0:
		return ""
	case same:
		// The zone's abbreviation may differ between days across a clock
		// change; say each day's when it does.
		first := e.Days[0].TimeRange(loc)
		for _, d := range e.Days[1:] {
			if d.TimeRange(loc) != first {
				return strings.Join(parts, "; ")
			}
		}
		return first
	}
	return strings.Join(parts, "; ")
}

// joinLines joins the non-empty lines of s with sep.
func joinLines(s, sep string) string {
	var out []string
	for l := range strings.Lines(s) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, sep)
}

// Table lays the rows out as a header and one record per booking: the
// fixed columns, one column per question (headed by its label), and the
// access needs column when withNeeds. Times are written in the event's
// zone, as "2026-06-10 09:00 BST".
func Table(c catalog.Course, rows []ListingRow, withNeeds bool) (header []string, records [][]string) {
	header = []string{"id", "status", "waiting_position", "booked_at", "course", "date", "times", "name", "email",
		"organisation", "role", "registration_number", "fee_tier", "fee", "payment", "invoice", "invoice_state",
		"po_number", "needs_review", "review_reason", "cancelled_at", "mail_failing"}
	// The question columns: the course's, then any others the rows answer.
	var keys []string
	col := map[string]int{}
	for _, q := range c.Questions {
		col[q.Key] = len(keys)
		keys = append(keys, q.Key)
		header = append(header, q.Label)
	}
	for _, r := range rows {
		for _, a := range r.Answers {
			if _, ok := col[a.Key]; !ok {
				col[a.Key] = len(keys)
				keys = append(keys, a.Key)
				header = append(header, a.Question)
			}
		}
	}
	if withNeeds {
		header = append(header, "access_needs")
	}
	const stamp = "2006-01-02 15:04 MST"
	for _, r := range rows {
		cancelled := ""
		if r.CancelledAt != nil {
			cancelled = r.CancelledAt.Format(stamp)
		}
		wait := ""
		if r.WaitingPosition > 0 {
			wait = strconv.Itoa(r.WaitingPosition)
		}
		rec := []string{strconv.FormatInt(r.ID, 10), r.StatusText(), wait, r.BookedAt.Format(stamp), r.Course, r.Date, r.Times,
			r.Name, r.Email, r.Organisation, r.Role, r.RegistrationNumber, r.FeeTier, r.Fee, r.Payment, r.Invoice,
			r.InvoiceState, r.PONumber, strconv.FormatBool(r.NeedsReview), r.ReviewReason, cancelled,
			strconv.FormatBool(r.MailFailing)}
		answers := make([]string, len(keys))
		for _, a := range r.Answers {
			answers[col[a.Key]] = a.Answer
		}
		rec = append(rec, answers...)
		if withNeeds {
			rec = append(rec, r.AccessNeeds)
		}
		records = append(records, rec)
	}
	return header, records
}

// WriteCSV writes a header and records as CSV for spreadsheet programs:
// UTF-8 with a byte-order mark (so "Zoë" shows as typed, not as mojibake),
// and every cell passed through SafeCell, so text people typed is never
// run as a formula.
func WriteCSV(w io.Writer, header []string, records [][]string) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	safe := func(rec []string) []string {
		out := make([]string, len(rec))
		for i, s := range rec {
			out[i] = SafeCell(s)
		}
		return out
	}
	if err := cw.Write(safe(header)); err != nil {
		return err
	}
	for _, rec := range records {
		if err := cw.Write(safe(rec)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// SafeCell neutralises a cell that a spreadsheet program would read as a
// formula, as OWASP advises against CSV injection: a cell that begins
// with =, +, -, @, a tab or a carriage return — also after leading
// whitespace — gets a single quote in front. The text is otherwise kept
// as it is.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	if s[0] == '\t' || s[0] == '\r' {
		return "'" + s
	}
	if t := strings.TrimLeftFunc(s, unicode.IsSpace); t != "" && strings.ContainsRune("=+-@", rune(t[0])) {
		return "'" + s
	}
	return s
}
