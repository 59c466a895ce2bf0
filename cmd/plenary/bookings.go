package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"time"

	"plenary/internal/booking"
	"plenary/internal/catalog"
)

func bookingsCmd(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("bookings", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	eventID := fs.Int64("event", 0, "list the bookings of event `ID` (the number in /events/ID.ics)")
	format := fs.String("format", "csv", "output `format`: csv or json")
	withNeeds := fs.Bool("access-needs", false, "include access needs (special-category data: coordinators only)")
	approve := fs.Int64("approve", 0, "confirm booking `ID`, which is waiting for review")
	decline := fs.Int64("decline", 0, "decline booking `ID`, which is waiting for review; its place goes to the waiting list")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, `Usage: plenary bookings -event ID [-format csv|json] [-access-needs]
       plenary bookings -approve ID | -decline ID

Lists an event's bookings in the order they were taken, with status,
waiting-list position and time booked; or settles a booking that waits for
a coordinator's review.`)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*eventID == 0) == (*approve == 0 && *decline == 0) || (*approve != 0 && *decline != 0) || fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if *format != "csv" && *format != "json" {
		return fmt.Errorf("-format must be csv or json, not %q", *format)
	}
	a, err := openApp(ctx, e, noJobs)
	if err != nil {
		return err
	}
	defer a.close()
	svc := a.bookings
	switch {
	case *approve != 0:
		b, err := svc.Approve(ctx, *approve)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "booking %d: %s (%s)\n", b.ID, b.Status.Label(), b.Name)
		return nil
	case *decline != 0:
		b, err := svc.DeclineReview(ctx, *decline)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "booking %d: %s (%s)\n", b.ID, b.Status.Label(), b.Name)
		return nil
	}
	if _, _, err := a.catalog.Event(ctx, *eventID); errors.Is(err, catalog.ErrNotFound) {
		return fmt.Errorf("no event with ID %d", *eventID)
	} else if err != nil {
		return err
	}
	list, err := svc.List(ctx, *eventID)
	if err != nil {
		return err
	}
	rows := make([]bookingRow, len(list))
	for i, b := range list {
		rows[i] = newBookingRow(b, *withNeeds)
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	w := csv.NewWriter(e.stdout)
	header := []string{"id", "status", "waiting_position", "booked_at", "name", "email", "organisation", "role",
		"registration_number", "fee_tier", "payment", "invoice", "po_number", "needs_review", "mail_failing"}
	if *withNeeds {
		header = append(header, "access_needs")
	}
	w.Write(header)
	for _, r := range rows {
		rec := []string{strconv.FormatInt(r.ID, 10), r.Status, optInt(r.WaitingPosition), r.BookedAt.Format(time.RFC3339),
			r.Name, r.Email, r.Organisation, r.Role, r.RegistrationNumber, r.FeeTier, r.Payment, r.Invoice, r.PONumber,
			strconv.FormatBool(r.NeedsReview), strconv.FormatBool(r.MailFailing)}
		if *withNeeds {
			rec = append(rec, r.AccessNeeds)
		}
		w.Write(rec)
	}
	w.Flush()
	return w.Error()
}

// bookingRow is one booking as the CLI writes it.
type bookingRow struct {
	ID                 int64     `json:"id"`
	Status             string    `json:"status"`
	WaitingPosition    int       `json:"waiting_position,omitempty"`
	BookedAt           time.Time `json:"booked_at"`
	Name               string    `json:"name"`
	Email              string    `json:"email"`
	Organisation       string    `json:"organisation"`
	Role               string    `json:"role"`
	RegistrationNumber string    `json:"registration_number,omitempty"`
	FeeTier            string    `json:"fee_tier,omitempty"`
	Payment            string    `json:"payment"`
	Invoice            string    `json:"invoice,omitempty"`
	PONumber           string    `json:"po_number,omitempty"`
	NeedsReview        bool      `json:"needs_review,omitempty"`
	MailFailing        bool      `json:"mail_failing,omitempty"`
	AccessNeeds        string    `json:"access_needs,omitempty"`
}

func newBookingRow(b booking.Booking, withNeeds bool) bookingRow {
	r := bookingRow{ID: b.ID, Status: string(b.Status), WaitingPosition: b.WaitPosition, BookedAt: b.CreatedAt,
		Name: b.Name, Email: b.Email, Organisation: b.Organisation, Role: b.Role,
		RegistrationNumber: b.RegistrationNumber, FeeTier: b.FeeTier, Payment: string(b.Payment),
		Invoice: b.InvoiceLabel(), PONumber: b.PONumber, NeedsReview: b.Status == booking.PendingReview, MailFailing: b.MailFailing}
	if withNeeds {
		r.AccessNeeds = b.AccessNeeds
	}
	return r
}

func optInt(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}
