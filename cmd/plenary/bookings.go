package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"plenary/internal/booking"
	"plenary/internal/catalog"
)

func bookingsCmd(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("bookings", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	eventID := fs.Int64("event", 0, "list the bookings of event `ID` (the number in /events/ID.ics)")
	format := fs.String("format", "text", "output `format`: text, csv (for spreadsheets) or json")
	withNeeds := fs.Bool("access-needs", false, "include access needs (special-category data: coordinators only)")
	approve := fs.Int64("approve", 0, "confirm booking `ID`, which is waiting for review")
	decline := fs.Int64("decline", 0, "decline booking `ID`, which is waiting for review; its place goes to the waiting list")
	message := fs.String("message", "", "with -approve or -decline: a message to the person, put in their e-mail")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, `Usage: plenary bookings -event ID [-format text|csv|json] [-access-needs]
       plenary bookings -approve ID | -decline ID [-message TEXT]

Lists an event's bookings in the order they were taken, with status,
waiting-list position, time booked (in the event's zone), the answers to
the course's questions, why a booking waits for review and where its fee
stands; or settles a booking that waits for a coordinator's review.
CSV is UTF-8 with a byte-order mark, one column per question, and cells
that a spreadsheet would run as formulas start with a single quote.`)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*eventID == 0) == (*approve == 0 && *decline == 0) || (*approve != 0 && *decline != 0) || fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if *format != "text" && *format != "csv" && *format != "json" {
		return fmt.Errorf("-format must be text, csv or json, not %q", printable(*format))
	}
	a, err := openApp(ctx, e, noJobs)
	if err != nil {
		return err
	}
	defer a.close()
	svc := a.bookings
	switch {
	case *approve != 0:
		b, err := svc.Approve(ctx, *approve, operator(), *message)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "booking %d: %s (%s)\n", b.ID, b.Status.Label(), printable(b.Name))
		return nil
	case *decline != 0:
		b, err := svc.DeclineReview(ctx, *decline, operator(), *message)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "booking %d: %s (%s)\n", b.ID, b.Status.Label(), printable(b.Name))
		return nil
	}
	c, ev, err := a.catalog.Event(ctx, *eventID)
	if errors.Is(err, catalog.ErrNotFound) {
		return fmt.Errorf("no event with ID %d", *eventID)
	} else if err != nil {
		return err
	}
	list, err := svc.ListWithAnswers(ctx, *eventID)
	if err != nil {
		return err
	}
	rows := booking.ListingRows(c, ev, list, *withNeeds)
	if err := movedDates(ctx, svc, rows); err != nil {
		return err
	}
	switch *format {
	case "json":
		return writeJSON(e.stdout, rows)
	case "csv":
		header, records := booking.Table(c, rows, *withNeeds)
		// Control characters are escaped as on the terminal, where a CSV
		// on stdout may well end up; line breaks and tabs stay. A cell is
		// guarded against formulas first, so one that began with a tab or
		// a carriage return keeps its quote.
		for i := range header {
			header[i] = printableText(booking.SafeCell(header[i]))
		}
		for _, rec := range records {
			for i := range rec {
				rec[i] = printableText(booking.SafeCell(rec[i]))
			}
		}
		return booking.WriteCSV(e.stdout, header, records)
	}
	return writeBookingsText(e.stdout, c, ev, rows, *withNeeds)
}

// movedDates names, in each row of a booking moved to or from another
// date, that date: the operator may read every booking.
func movedDates(ctx context.Context, svc *booking.Service, rows []booking.ListingRow) error {
	var ids []int64
	for _, r := range rows {
		if other := cmp.Or(r.MovedTo, r.MovedFrom); other != 0 {
			ids = append(ids, other)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	others, err := svc.Rows(ctx, ids)
	if err != nil {
		return err
	}
	dates := make(map[int64]string, len(others))
	for _, o := range others {
		dates[o.ID] = o.Date
	}
	for i, r := range rows {
		if other := cmp.Or(r.MovedTo, r.MovedFrom); other != 0 {
			rows[i].MovedDate = dates[other]
		}
	}
	return nil
}

// writeBookingsText writes the listing for a person at a terminal: one
// block per booking, with its answers and review reason.
func writeBookingsText(w io.Writer, c catalog.Course, ev catalog.Event, rows []booking.ListingRow, withNeeds bool) error {
	loc := ev.Location()
	var b strings.Builder
	fmt.Fprintf(&b, "%s — %s, %s (event %d)\n", printable(c.Title), ev.DateLabel(), booking.EventTimes(ev), ev.ID)
	fmt.Fprintf(&b, "%d booking(s)\n", len(rows))
	for _, r := range rows {
		status := booking.Status(r.Status).Label()
		switch {
		case r.MovedTo != 0:
			status = fmt.Sprintf("Moved to %s (booking #%d)", cmp.Or(r.MovedDate, "another date"), r.MovedTo)
		case r.MovedFrom != 0:
			status += fmt.Sprintf(", moved from %s (booking #%d)", cmp.Or(r.MovedDate, "another date"), r.MovedFrom)
		}
		if r.WaitingPosition > 0 {
			status += fmt.Sprintf(" (position %d)", r.WaitingPosition)
		}
		fmt.Fprintf(&b, "\n#%d  %s  booked %s\n", r.ID, status, timeIn(r.BookedAt, loc))
		fmt.Fprintf(&b, "    %s <%s>\n", printable(r.Name), printable(r.Email))
		fmt.Fprintf(&b, "    %s, %s\n", printable(r.Role), printable(r.Organisation))
		if r.RegistrationNumber != "" {
			fmt.Fprintf(&b, "    Registration number: %s\n", printable(r.RegistrationNumber))
		}
		if r.FeeTier != "" || r.Fee != "" {
			fee := printable(r.FeeTier)
			if r.Fee != "" {
				fee += " (" + r.Fee + ")"
			}
			fmt.Fprintf(&b, "    Fee: %s\n", fee)
		}
		inv := r.InvoiceState
		if r.Invoice != "" {
			inv = r.Invoice + ", " + inv
		}
		if r.PONumber != "" {
			inv += ", PO " + printable(r.PONumber)
		}
		fmt.Fprintf(&b, "    Invoice: %s\n", inv)
		if r.ReviewReason != "" {
			label := "Review reason"
			if r.NeedsReview {
				label = "Needs review"
			}
			fmt.Fprintf(&b, "    %s: %s\n", label, printable(r.ReviewReason))
		}
		if r.CancelledAt != nil {
			what := "Cancelled"
			if r.MovedTo != 0 {
				what = "Moved"
			}
			fmt.Fprintf(&b, "    %s: %s\n", what, timeIn(*r.CancelledAt, loc))
		}
		if r.MailFailing {
			b.WriteString("    Mail: the last message failed; check the address\n")
		}
		if len(r.Answers) > 0 {
			b.WriteString("    Answers:\n")
			for _, a := range r.Answers {
				fmt.Fprintf(&b, "      %s: %s\n", printable(a.Question), printable(a.Answer))
			}
		}
		if withNeeds && r.AccessNeeds != "" {
			fmt.Fprintf(&b, "    Access needs: %s\n", printable(r.AccessNeeds))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
