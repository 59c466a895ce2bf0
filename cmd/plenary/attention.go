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
lapse; and e-mails that failed or are failing. Times are in each date's zone.`)
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
			hours(a.Window)+", no e-mail is failing.")
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
	Reviews []reviewJSON  `json:"reviews"`
	Offers  []offerJSON   `json:"offers"`
	Failing []failingJSON `json:"failing"`
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
	out := attentionJSON{Reviews: []reviewJSON{}, Offers: []offerJSON{}, Failing: []failingJSON{}}
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
