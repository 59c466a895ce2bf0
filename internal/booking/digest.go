package booking

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"time"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/catalog"
	"plenary/internal/database"
	"plenary/internal/messaging"
	"plenary/internal/workdays"
)

// The daily digest of what needs attention (PLENARY_ATTENTION_DIGEST_AT).
//
// On each working day (England and Wales, or the install's region), at the
// first run of the digest job at or after the set UK time, every enabled
// staff user whose role holds bookings:approve or invoices:read gets one
// e-mail listing the lines of Attention they may see: an approver
// (coordinator, admin) every section on their courses, invoices only with
// invoices:read too; finance the unpaid invoices and the failing e-mails.
// Nothing to list, no e-mail. Each e-mail's dedupe key is
// digest/<user>/<date>, and the day's run is recorded in the audit log
// (attention.digest, object "digest" with the date as yyyymmdd), so
// neither a second run that day nor a second instance sends it again.

// mailDigest is the daily digest to one staff user.
const mailDigest mailKind = "attention_digest"

// actionDigest is the audit entry of a day's digest run.
const actionDigest = "attention.digest"

// digestMail is what the digest's templates see (mailData.Digest).
type digestMail struct {
	Day          string // "Monday 7 December 2026"
	AttentionURL string
	Count        int
	Sections     []digestSection
}

// digestSection is one section of the digest: its heading, the page's
// part that shows it, and its lines.
type digestSection struct {
	Title string
	URL   string
	Lines []digestLine
}

// digestLine is one thing to deal with and where it is dealt with.
type digestLine struct {
	Text string
	URL  string
}

// digestRun is the audit record of a day's digest.
type digestRun struct {
	Day   string  `json:"day"`
	Users []int64 `json:"users"` // those e-mailed
}

// SendDigest sends the day's digest when it is due (see above) and returns
// how many e-mails it queued. It is the body of a job that runs every few
// minutes; it does nothing without Options.DigestAt, Options.Staff or an
// outbox.
func (s *Service) SendDigest(ctx context.Context, actor audit.Actor) (int, error) {
	if s.outbox == nil || s.staffDir == nil || !s.digestAt.Valid {
		return 0, nil
	}
	uk, err := time.LoadLocation(catalog.DefaultTimeZone)
	if err != nil {
		return 0, fmt.Errorf("booking: digest: %w", err)
	}
	now := s.now().UTC()
	local := now.In(uk)
	today := catalog.DateOf(local)
	if !s.workdays.IsWorkingDay(s.workdays.Default(), workdays.Date(today)) || local.Before(s.digestAt.At(today, uk)) {
		return 0, nil
	}
	dayStart := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, uk)
	dayID := int64(today.Year*10000 + int(today.Month)*100 + today.Day)
	done := func(q database.Querier) (bool, error) {
		e, err := audit.List(ctx, q, audit.Filter{Object: "digest", ObjectID: dayID, Action: actionDigest, Since: dayStart, Limit: 1})
		return len(e) > 0, err
	}
	wrap := func(err error) error { return fmt.Errorf("booking: digest: %w", err) }
	if ok, err := done(s.db); err != nil || ok {
		return 0, err
	}
	users, err := s.digestRecipients(ctx)
	if err != nil {
		return 0, wrap(err)
	}
	a, err := s.Attention(ctx, 0)
	if err != nil {
		return 0, err
	}
	n := 0
	err = database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		n = 0
		if ok, err := done(tx); err != nil || ok {
			return err
		}
		run := digestRun{Day: today.String(), Users: []int64{}}
		for _, u := range users {
			d := s.digestFor(a.For(digestMay(u)), dayLabelOf(today), account.Can(u, account.MessagesRead, 0))
			if d.Count == 0 {
				continue
			}
			data, err := mailMessageData(mailData{Name: u.DisplayName(), Digest: d}, nil)
			if err != nil {
				return err
			}
			m := messaging.Message{Kind: string(mailDigest), ToEmail: u.Email, Data: data,
				DedupeKey: "digest/" + strconv.FormatInt(u.ID, 10) + "/" + today.String()}
			_, created, err := s.outbox.Enqueue(ctx, tx, m)
			if err != nil {
				return fmt.Errorf("digest to user %d: %w", u.ID, err)
			}
			if created {
				n++
				run.Users = append(run.Users, u.ID)
			}
		}
		return audit.Record(ctx, tx, now, actor, actionDigest, "digest", dayID, nil, run, "")
	})
	if err != nil {
		return 0, wrap(err)
	}
	return n, nil
}

// digestRecipients are the enabled staff users who hold bookings:approve
// or invoices:read on some course, by e-mail address, each once.
func (s *Service) digestRecipients(ctx context.Context) ([]account.User, error) {
	var out []account.User
	for _, p := range []account.Permission{account.BookingsApprove, account.InvoicesRead} {
		us, err := s.staffDir.StaffWith(ctx, s.db, p, 0)
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			if !slices.ContainsFunc(out, func(o account.User) bool { return o.ID == u.ID }) {
				out = append(out, u)
			}
		}
	}
	return out, nil
}

// digestMay says what the digest shows u: invoices on the courses where
// u may read them; failing e-mails where u may read bookings; the rest
// where u may approve bookings (finance, who may not, gets invoices and
// failing e-mails only).
func digestMay(u account.User) func(Section, int64) bool {
	return func(sec Section, courseID int64) bool {
		switch sec {
		case SectionInvoices:
			return account.Can(u, account.InvoicesRead, courseID)
		case SectionFailing:
			return account.Can(u, account.BookingsRead, courseID)
		}
		return account.Can(u, account.BookingsApprove, courseID)
	}
}

func dayLabelOf(d catalog.Date) string { return d.In(time.UTC).Format("Monday 2 January 2006") }

// digestTime writes t in its own zone: "16:30 on Friday 27 March 2026 UK
// time (GMT)".
func digestTime(t time.Time) string {
	return t.Format("15:04 on Monday 2 January 2006") + " " + catalog.ZoneLabel(t)
}

// digestFor writes a's lines for the digest, each with the staff area's
// page where it is dealt with. A failing e-mail links the mail log when
// mailLog says the reader may open it (messages:read site-wide), else
// its booking, else the attention page.
func (s *Service) digestFor(a Attention, day string, mailLog bool) digestMail {
	d := digestMail{Day: day, AttentionURL: s.baseURL + "/admin/attention"}
	bookingURL := func(id int64) string { return fmt.Sprintf("%s/admin/bookings/%d", s.baseURL, id) }
	eventURL := func(id int64) string { return fmt.Sprintf("%s/admin/bookings?event=%d", s.baseURL, id) }
	section := func(sec Section, title string, lines []digestLine) {
		if len(lines) == 0 {
			return
		}
		d.Count += len(lines)
		d.Sections = append(d.Sections, digestSection{Title: fmt.Sprintf("%s (%d)", title, len(lines)),
			URL: d.AttentionURL + "#" + string(sec), Lines: lines})
	}
	var l []digestLine
	for _, r := range a.Reviews {
		state := ""
		if r.Overdue {
			state = ", overdue"
		}
		l = append(l, digestLine{URL: bookingURL(r.Booking.ID), Text: fmt.Sprintf("%s, %s, %s: waited %d of %d working days%s",
			r.Booking.Name, r.Course.Title, r.Event.DateLabel(), r.WorkingDays, ReviewWorkingDays, state)})
	}
	section(SectionReviews, "Bookings waiting for review", l)
	l = nil
	for _, o := range a.Offers {
		l = append(l, digestLine{URL: bookingURL(o.Booking.ID), Text: fmt.Sprintf("%s, %s, %s: the offer lapses at %s",
			o.Booking.Name, o.Course.Title, o.Event.DateLabel(), digestTime(o.Expires))})
	}
	section(SectionOffers, "Offers about to lapse", l)
	l = nil
	for _, j := range a.Joining {
		l = append(l, digestLine{URL: eventURL(j.Event.ID), Text: fmt.Sprintf("%s, %s: %d of %d confirmed people have no joining instructions yet (due %s)",
			j.Course.Title, j.Event.DateLabel(), j.NotGone, j.Confirmed, digestTime(j.SendAt))})
	}
	section(SectionJoining, "Joining instructions not all gone", l)
	l = nil
	for _, m := range a.Failing {
		label := m.Subject
		if label == "" {
			label = fmt.Sprintf("E-mail %d (%s)", m.ID, m.Kind)
		}
		state := "failed"
		if m.Status != messaging.Failed {
			state = "retrying"
		}
		link := d.AttentionURL + "#" + string(SectionFailing)
		switch {
		case mailLog:
			link = fmt.Sprintf("%s/admin/messages/%d", s.baseURL, m.ID)
		case m.BookingID != 0:
			link = bookingURL(m.BookingID)
		}
		l = append(l, digestLine{URL: link,
			Text: fmt.Sprintf("%s, to %s: %s after %d attempts", label, m.ToEmail, state, m.Attempts)})
	}
	section(SectionFailing, "E-mails failing", l)
	l = nil
	for _, i := range a.Invoices {
		l = append(l, digestLine{URL: bookingURL(i.Booking.ID), Text: fmt.Sprintf("%s, %s, %s, %s: %s",
			i.Booking.InvoiceLabel(), i.Booking.Name, i.Course.Title, i.Event.DateLabel(), i.DaysLeft())})
	}
	section(SectionInvoices, "Invoices unpaid near the course", l)
	l = nil
	for _, f := range a.Filling {
		l = append(l, digestLine{URL: eventURL(f.Event.ID), Text: fmt.Sprintf("%s, %s: %s", f.Course.Title, f.Event.DateLabel(), f.Summary())})
	}
	section(SectionFilling, "Dates nearly full or with a waiting list", l)
	l = nil
	for _, c := range a.Late {
		l = append(l, digestLine{URL: eventURL(c.Event.ID), Text: fmt.Sprintf("%s, %s: changed late at %s by %s; %d told, %d cancelled since",
			c.Course.Title, c.Event.DateLabel(), digestTime(c.At), c.By, c.Told, c.Cancelled)})
	}
	section(SectionLate, "Late changes in the last 14 days", l)
	return d
}

// Summary says how full the date is, in words: "full, 3 waiting", "2 of
// 20 places left".
func (f FillingDate) Summary() string {
	var out string
	switch {
	case f.Capacity == 0:
		out = fmt.Sprintf("%d booked, no limit", f.Taken)
	case f.Left() == 0:
		out = "full"
	case f.Left() == 1:
		out = fmt.Sprintf("1 of %d places left", f.Capacity)
	default:
		out = fmt.Sprintf("%d of %d places left", f.Left(), f.Capacity)
	}
	if f.Waiting > 0 {
		out += fmt.Sprintf(", %d waiting", f.Waiting)
	}
	return out
}
