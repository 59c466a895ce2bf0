package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"plenary/internal/catalog"
)

// scheduleCmd shows when an event's joining instructions and reminder go,
// and for each booking whether its instructions went.
func scheduleCmd(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("schedule", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	eventID := fs.Int64("event", 0, "the event's `ID` (the number in /events/ID.ics)")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, `Usage: plenary schedule -event ID

Shows when the date's joining instructions and reminder are sent, in the
event's own zone, and for each active booking whether its joining
instructions (for the date's current details) are queued, sent or failed.`)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *eventID == 0 || fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	a, err := openApp(ctx, e, noJobs)
	if err != nil {
		return err
	}
	defer a.close()
	c, ev, err := a.catalog.Event(ctx, *eventID)
	if errors.Is(err, catalog.ErrNotFound) {
		return fmt.Errorf("no event with ID %d", *eventID)
	}
	if err != nil {
		return err
	}
	sch, err := a.bookings.Schedule(ctx, *eventID)
	if err != nil {
		return err
	}
	loc := ev.Location()
	when := func(t time.Time) string {
		if t.IsZero() {
			return "none"
		}
		l := t.In(loc)
		return l.Format("15:04 Monday 2 January 2006") + " " + catalog.ZoneLabel(l)
	}
	fmt.Fprintf(e.stdout, "%s — %s (version %d)\n", printable(c.Title), ev.DateLabel(), sch.Version)
	fmt.Fprintf(e.stdout, "Joining instructions: %s\n", when(sch.JoiningAt))
	fmt.Fprintf(e.stdout, "Reminder:             %s\n\n", when(sch.ReminderAt))
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BOOKING\tSTATUS\tNAME\tEMAIL\tJOINING E-MAIL\tATTEMPTS\tSENT\tLAST ERROR")
	for _, js := range sch.Bookings {
		status := string(js.Status)
		if status == "" {
			status = "not yet"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", js.Booking.ID, js.Booking.Status, printable(js.Booking.Name),
			printable(js.Booking.Email), status, js.Attempts, timeIn(js.SentAt, loc), lastError(js.LastError))
	}
	if len(sch.Bookings) == 0 {
		fmt.Fprintln(tw, "(no active bookings)")
	}
	return tw.Flush()
}
