package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/messaging"
)

func messagesCmd(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("messages", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	due := fs.Bool("due", false, "only queued messages whose time has come (waiting for, or retrying, their send)")
	all := fs.Bool("all", false, "every message, newest first (up to -limit)")
	bookingID := fs.Int64("booking", 0, "only the messages of booking `ID`")
	limit := fs.Int("limit", 200, "at most `N` messages")
	format := fs.String("format", "text", "output `format`: text or json")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, `Usage: plenary messages [-due | -all] [-booking ID] [-limit N] [-format text|json]

Lists e-mails with their scheduled time, status and attempts, newest
first. Without -due or -all it lists what needs attention: messages still
queued (including those scheduled for later) and those that failed; with
-booking ID alone it lists every message of that booking. Times are in
the zone of the message's event (the install's zone for messages not
about a booking).`)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*due && *all) || fs.NArg() > 0 || *limit < 1 || *limit > 1000 {
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
	base := messaging.ListFilter{Limit: *limit}
	if *bookingID != 0 {
		base.SubjectRef = booking.SubjectRef(*bookingID)
	}
	var filters []messaging.ListFilter
	switch {
	case *all, *bookingID != 0 && !*due:
		filters = []messaging.ListFilter{base}
	case *due:
		f := base
		f.Due = true
		filters = []messaging.ListFilter{f}
	default:
		queued, failed := base, base
		queued.Status, failed.Status = messaging.Queued, messaging.Failed
		filters = []messaging.ListFilter{queued, failed}
	}
	var msgs []messaging.Message
	for _, f := range filters {
		list, err := a.outbox.List(ctx, f)
		if err != nil {
			return err
		}
		msgs = append(msgs, list...)
	}
	slices.SortFunc(msgs, func(x, y messaging.Message) int { return cmp.Compare(y.ID, x.ID) })
	if len(msgs) > *limit {
		msgs = msgs[:*limit]
	}
	// Each message's times in its event's zone, as the pages show them.
	var ids []int64
	for _, m := range msgs {
		if id, ok := booking.BookingOfSubject(m.SubjectRef); ok {
			ids = append(ids, id)
		}
	}
	zones, err := a.bookings.EventZones(ctx, ids)
	if err != nil {
		return err
	}
	installZone := a.cfg.TimeZone
	rows := make([]messageRow, len(msgs))
	locs := make([]*time.Location, len(msgs))
	for i, m := range msgs {
		loc := installZone
		bookingID, _ := booking.BookingOfSubject(m.SubjectRef)
		if z, ok := zones[bookingID]; ok {
			loc = catalog.Event{TimeZone: z}.Location()
		}
		locs[i] = loc
		rows[i] = messageRow{ID: m.ID, Kind: m.Kind, To: m.ToEmail, Subject: m.Subject, Status: string(m.Status),
			ScheduledAt: m.ScheduledAt.In(loc), Attempts: m.Attempts, LastError: m.LastError, BookingID: bookingID}
		if !m.SentAt.IsZero() {
			sent := m.SentAt.In(loc)
			rows[i].SentAt = &sent
		}
	}
	if *format == "json" {
		return writeJSON(e.stdout, rows)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tSCHEDULED\tSENT\tATTEMPTS\tKIND\tBOOKING\tTO\tSUBJECT\tLAST ERROR")
	for i, r := range rows {
		sent := "-"
		if r.SentAt != nil {
			sent = timeIn(*r.SentAt, locs[i])
		}
		booking := "-"
		if r.BookingID != 0 {
			booking = fmt.Sprint(r.BookingID)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Status, timeIn(r.ScheduledAt, locs[i]),
			sent, r.Attempts, printable(r.Kind), booking, printable(r.To), printable(r.Subject), lastError(r.LastError))
	}
	if len(rows) == 0 {
		fmt.Fprintln(tw, "(no messages)")
	}
	return tw.Flush()
}

// lastError writes a delivery error on one line, control characters
// escaped: SMTP errors quote what the server was sent.
func lastError(s string) string {
	if s == "" {
		return "-"
	}
	return printable(strings.Join(strings.Fields(s), " "))
}

// messageRow is one message as the CLI writes it.
type messageRow struct {
	ID          int64      `json:"id"`
	Kind        string     `json:"kind"`
	To          string     `json:"to"`
	Subject     string     `json:"subject"`
	Status      string     `json:"status"`
	ScheduledAt time.Time  `json:"scheduled_at"`
	SentAt      *time.Time `json:"sent_at,omitempty"`
	Attempts    int        `json:"attempts"`
	LastError   string     `json:"last_error,omitempty"`
	BookingID   int64      `json:"booking_id,omitempty"`
}
