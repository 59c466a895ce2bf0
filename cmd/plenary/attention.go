package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"plenary/internal/booking"
	"plenary/internal/catalog"
)

func attentionCmd(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("attention", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	window := fs.Duration("offers", booking.DefaultOfferWindow, "list offers of a place that lapse within `DURATION`")
	format := fs.String("format", "text", "output `format`: text or json")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, `Usage: plenary attention [-offers DURATION] [-format text|json]

Lists what needs the course team: bookings waiting for review, oldest first,
with the working days they have waited against the two promised (overdue
ones marked) and the commands that settle them; offers of a place about to
lapse; dates whose joining instructions have not all gone; e-mails that
failed or are failing; invoices unpaid near the course; dates nearly full
or with people waiting; and late changes of the last two weeks. Times are
in each date's zone. The staff area's /admin/attention shows the same.`)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *window <= 0 {
		fs.Usage()
		return errUsage
	}
	if *format != "text" && *format != "json" {
		return fmt.Errorf("-format must be text or json, not %q", *format)
	}
	a, err := openApp(ctx, e, noJobs)
	if err != nil {
		return err
	}
	defer a.close()
	att, err := a.bookings.Attention(ctx, *window)
	if err != nil {
		return err
	}
	if *format == "json" {
		return writeJSON(e.stdout, newAttentionJSON(att))
	}
	writeAttention(e.stdout, att)
	return nil
}

// when writes an instant in its zone: "16:30 on Friday 27 March 2026 UK
// time (GMT)".
func when(t time.Time) string {
	return t.Format("15:04 on Monday 2 January 2006") + " " + catalog.ZoneLabel(t)
}

func writeAttention(w io.Writer, a booking.Attention) {
	if a.Empty() {
		fmt.Fprintln(w, "Nothing needs attention: no booking waits for review, no offer lapses within "+
			hours(a.Window)+", every joining instruction due has gone, no e-mail is failing, no invoice near its course is unpaid, "+
			"no date is nearly full or has people waiting, no late change in the last "+strconv.Itoa(booking.LateChangeDays)+" days.")
		return
	}
	overdue := 0
	for _, r := range a.Reviews {
		if r.Overdue {
			overdue++
		}
	}
	fmt.Fprintf(w, "Bookings waiting for review: %d", len(a.Reviews))
	if overdue > 0 {
		fmt.Fprintf(w, " (%d overdue)", overdue)
	}
	fmt.Fprintln(w)
	for _, r := range a.Reviews {
		b := r.Booking
		mark := ""
		if r.Overdue {
			mark = "OVERDUE "
		}
		fmt.Fprintf(w, "  %sbooking %d  %s <%s>  %s, %s (event %d)\n", mark, b.ID, printable(b.Name), printable(b.Email),
			printable(r.Course.Title), r.Event.DateLabel(), r.Event.ID)
		fmt.Fprintf(w, "    waiting since %s: %d of %d working days; reply due %s\n", when(r.Since), r.WorkingDays,
			booking.ReviewWorkingDays, r.Due.In(time.UTC).Format("Monday 2 January 2006"))
		for _, reason := range b.ReviewReasons() {
			fmt.Fprintf(w, "    why: %s\n", printable(reason))
		}
		for _, q := range r.Course.Questions {
			ans := b.Answers[q.Key]
			if ans == "" {
				ans = "(no answer)"
			}
			fmt.Fprintf(w, "    %s %s\n", printable(q.Label), printable(ans))
		}
		fmt.Fprintf(w, "    settle: plenary bookings -approve %d | plenary bookings -decline %d\n", b.ID, b.ID)
	}
	fmt.Fprintf(w, "\nOffers lapsing within %s: %d\n", hours(a.Window), len(a.Offers))
	for _, o := range a.Offers {
		b := o.Booking
		left := "lapsed, waiting for the expiry job"
		if d := o.Expires.Sub(a.Now); d > 0 {
			left = "in " + d.Round(time.Minute).String()
		}
		fmt.Fprintf(w, "  booking %d  %s <%s>  %s, %s (event %d): lapses %s (%s)\n", b.ID, printable(b.Name), printable(b.Email),
			printable(o.Course.Title), o.Event.DateLabel(), o.Event.ID, when(o.Expires), left)
	}
	fmt.Fprintf(w, "\nDates whose joining instructions have not all gone: %d\n", len(a.Joining))
	for _, j := range a.Joining {
		failed := ""
		if j.Failed > 0 {
			failed = fmt.Sprintf(", %d failed for good", j.Failed)
		}
		fmt.Fprintf(w, "  event %d  %s, %s: %d of %d confirmed people not sent yet%s (due %s)\n", j.Event.ID,
			printable(j.Course.Title), j.Event.DateLabel(), j.NotGone, j.Confirmed, failed, when(j.SendAt))
	}
	fmt.Fprintf(w, "\nE-mails failing: %d\n", len(a.Failing))
	for _, m := range a.Failing {
		state := fmt.Sprintf("failed for good after %d attempts", m.Attempts)
		if m.Status != "failed" {
			state = fmt.Sprintf("retrying after %d failed attempts", m.Attempts)
		}
		about := ""
		if m.BookingID != 0 {
			about = " (booking " + strconv.FormatInt(m.BookingID, 10) + ")"
		}
		fmt.Fprintf(w, "  message %d  %s to %s%s, queued %s: %s: %s\n", m.ID, m.Kind, printable(m.ToEmail), about,
			when(m.CreatedAt), state, printable(m.LastError))
	}
	if len(a.Failing) > 0 {
		fmt.Fprintln(w, "  see: plenary messages")
	}
	fmt.Fprintf(w, "\nInvoices unpaid within %d working days of the course: %d\n", booking.InvoiceNearWorkingDays, len(a.Invoices))
	for _, inv := range a.Invoices {
		b := inv.Booking
		fmt.Fprintf(w, "  booking %d  %s  %s <%s>  %s, %s (event %d): %d working days to go\n", b.ID, b.InvoiceLabel(),
			printable(b.Name), printable(b.Email), printable(inv.Course.Title), inv.Event.DateLabel(), inv.Event.ID, inv.WorkingDays)
	}
	fmt.Fprintf(w, "\nDates nearly full or with people waiting: %d\n", len(a.Filling))
	for _, f := range a.Filling {
		places := "no limit"
		if f.Capacity > 0 {
			places = fmt.Sprintf("%d of %d places taken, %d left", f.Taken, f.Capacity, f.Left())
		}
		fmt.Fprintf(w, "  event %d  %s, %s: %s, %d waiting\n", f.Event.ID, printable(f.Course.Title), f.Event.DateLabel(), places, f.Waiting)
	}
	fmt.Fprintf(w, "\nLate changes in the last %d days: %d\n", booking.LateChangeDays, len(a.Late))
	for _, l := range a.Late {
		fmt.Fprintf(w, "  event %d  %s, %s: changed %s by %s; %d told, %d cancelled since\n", l.Event.ID, printable(l.Course.Title),
			l.Event.DateLabel(), when(l.At), printable(l.By), l.Told, l.Cancelled)
	}
}

// hours writes a window such as 24h as "24 hours".
func hours(d time.Duration) string {
	if d%time.Hour == 0 {
		return strconv.Itoa(int(d/time.Hour)) + " hours"
	}
	return d.String()
}

// attentionJSON is Attention as `plenary attention -format json` writes it.
type attentionJSON struct {
	Reviews  []reviewJSON  `json:"reviews"`
	Offers   []offerJSON   `json:"offers"`
	Joining  []joiningJSON `json:"joining"`
	Failing  []failingJSON `json:"failing"`
	Invoices []invoiceJSON `json:"invoices"`
	Filling  []fillingJSON `json:"filling"`
	Late     []lateJSON    `json:"late_changes"`
}

type joiningJSON struct {
	EventID   int64     `json:"event_id"`
	Course    string    `json:"course"`
	SendAt    time.Time `json:"send_at"`
	Confirmed int       `json:"confirmed"`
	NotGone   int       `json:"not_sent"`
	Failed    int       `json:"failed"`
}

type invoiceJSON struct {
	BookingID   int64  `json:"booking_id"`
	EventID     int64  `json:"event_id"`
	Invoice     string `json:"invoice"`
	Name        string `json:"name"`
	Email       string `json:"email"`
	WorkingDays int    `json:"working_days"`
}

type fillingJSON struct {
	EventID    int64  `json:"event_id"`
	Course     string `json:"course"`
	Capacity   int    `json:"capacity"`
	Taken      int    `json:"taken"`
	Waiting    int    `json:"waiting"`
	NearlyFull bool   `json:"nearly_full"`
}

type lateJSON struct {
	EventID   int64     `json:"event_id"`
	Course    string    `json:"course"`
	At        time.Time `json:"at"`
	By        string    `json:"by"`
	Told      int       `json:"told"`
	Cancelled int       `json:"cancelled"`
}

type reviewJSON struct {
	BookingID   int64             `json:"booking_id"`
	EventID     int64             `json:"event_id"`
	Course      string            `json:"course"`
	Name        string            `json:"name"`
	Email       string            `json:"email"`
	Since       time.Time         `json:"since"`
	Due         string            `json:"due"`
	WorkingDays int               `json:"working_days"`
	Overdue     bool              `json:"overdue"`
	Reasons     []string          `json:"reasons,omitempty"`
	Answers     map[string]string `json:"answers,omitempty"`
}

type offerJSON struct {
	BookingID int64     `json:"booking_id"`
	EventID   int64     `json:"event_id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Expires   time.Time `json:"expires"`
}

type failingJSON struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	BookingID int64     `json:"booking_id,omitempty"`
	To        string    `json:"to"`
	Status    string    `json:"status"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error"`
	CreatedAt time.Time `json:"created_at"`
}

func newAttentionJSON(a booking.Attention) attentionJSON {
	out := attentionJSON{Reviews: []reviewJSON{}, Offers: []offerJSON{}, Joining: []joiningJSON{}, Failing: []failingJSON{},
		Invoices: []invoiceJSON{}, Filling: []fillingJSON{}, Late: []lateJSON{}}
	for _, j := range a.Joining {
		out.Joining = append(out.Joining, joiningJSON{EventID: j.Event.ID, Course: j.Course.Title, SendAt: j.SendAt,
			Confirmed: j.Confirmed, NotGone: j.NotGone, Failed: j.Failed})
	}
	for _, inv := range a.Invoices {
		out.Invoices = append(out.Invoices, invoiceJSON{BookingID: inv.Booking.ID, EventID: inv.Event.ID, Invoice: inv.Booking.InvoiceLabel(),
			Name: inv.Booking.Name, Email: inv.Booking.Email, WorkingDays: inv.WorkingDays})
	}
	for _, f := range a.Filling {
		out.Filling = append(out.Filling, fillingJSON{EventID: f.Event.ID, Course: f.Course.Title, Capacity: f.Capacity,
			Taken: f.Taken, Waiting: f.Waiting, NearlyFull: f.NearlyFull})
	}
	for _, l := range a.Late {
		out.Late = append(out.Late, lateJSON{EventID: l.Event.ID, Course: l.Course.Title, At: l.At, By: l.By,
			Told: l.Told, Cancelled: l.Cancelled})
	}
	for _, r := range a.Reviews {
		out.Reviews = append(out.Reviews, reviewJSON{BookingID: r.Booking.ID, EventID: r.Event.ID, Course: r.Course.Title,
			Name: r.Booking.Name, Email: r.Booking.Email, Since: r.Since, Due: r.Due.String(), WorkingDays: r.WorkingDays,
			Overdue: r.Overdue, Reasons: r.Booking.ReviewReasons(), Answers: r.Booking.Answers})
	}
	for _, o := range a.Offers {
		out.Offers = append(out.Offers, offerJSON{BookingID: o.Booking.ID, EventID: o.Event.ID, Name: o.Booking.Name,
			Email: o.Booking.Email, Expires: o.Expires})
	}
	for _, m := range a.Failing {
		out.Failing = append(out.Failing, failingJSON{ID: m.ID, Kind: m.Kind, BookingID: m.BookingID, To: m.ToEmail,
			Status: string(m.Status), Attempts: m.Attempts, LastError: m.LastError, CreatedAt: m.CreatedAt})
	}
	return out
}
