package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"sort"
	"text/tabwriter"
	"time"

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

Lists e-mails with their scheduled time, status and attempts. Without -due
or -all it lists what needs attention: messages still queued (including
those scheduled for later) and those that failed.`)
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
	base := messaging.ListFilter{BookingID: *bookingID, Limit: *limit}
	var filters []messaging.ListFilter
	switch {
	case *all:
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
	sort.Slice(msgs, func(i, j int) bool { return msgs[i].ID > msgs[j].ID })
	if len(msgs) > *limit {
		msgs = msgs[:*limit]
	}
	rows := make([]messageRow, len(msgs))
	for i, m := range msgs {
		rows[i] = messageRow{ID: m.ID, Kind: m.Kind, To: m.ToEmail, Subject: m.Subject, Status: string(m.Status),
			ScheduledAt: m.ScheduledAt, Attempts: m.Attempts, LastError: m.LastError, BookingID: m.BookingID}
		if !m.SentAt.IsZero() {
			rows[i].SentAt = &msgs[i].SentAt
		}
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tSCHEDULED (UTC)\tSENT (UTC)\tATTEMPTS\tKIND\tTO\tLAST ERROR")
	for _, r := range rows {
		sent := "-"
		if r.SentAt != nil {
			sent = r.SentAt.UTC().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.ID, r.Status, r.ScheduledAt.UTC().Format("2006-01-02 15:04"),
			sent, r.Attempts, r.Kind, r.To, oneLine(r.LastError))
	}
	if len(rows) == 0 {
		fmt.Fprintln(tw, "(no messages)")
	}
	return tw.Flush()
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
