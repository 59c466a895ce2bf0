package booking

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"net/url"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/messaging"
)

//go:embed mail
var mailFiles embed.FS

// mailKind names a booking e-mail; it is also the template's name and the
// first part of the message's dedupe key.
type mailKind string

const (
	mailConfirmed      mailKind = "booking_confirmed"
	mailPendingReview  mailKind = "booking_pending_review"
	mailWaitlisted     mailKind = "booking_waitlisted"
	mailOffered        mailKind = "booking_offered"
	mailMovedUp        mailKind = "booking_moved_up"
	mailOfferLapsed    mailKind = "booking_offer_lapsed"
	mailCancelled      mailKind = "booking_cancelled"
	mailReviewDeclined mailKind = "booking_review_declined"
	mailAlreadyBooked  mailKind = "booking_already_booked"
)

// mailData is what the booking e-mail templates see.
type mailData struct {
	Name           string
	Status         string
	CourseTitle    string
	CourseURL      string
	ManageURL      string
	SystemCheckURL string
	Dates          string
	Times          []string
	Format         string
	Venue          string
	Duration       string
	WaitPosition   int
	OfferExpires   string
	Notes          []string
	Fee            string
	FeeTier        string
	InvoiceNumber  string
	PONumber       string
	JoiningLead    int
	Online         bool
}

// notify queues the e-mail of kind for booking b in tx. Every e-mail
// carries a manage link: token is used when the caller has one, else a
// fresh one is made (only hashes are stored, so an old one cannot be
// reused).
func (s *Service) notify(ctx context.Context, tx *sql.Tx, kind mailKind, c catalog.Course, e catalog.Event, b Booking, token string) error {
	if s.outbox == nil {
		return nil
	}
	now := s.now().UTC()
	dedupe := fmt.Sprintf("%s/%d", kind, b.ID)
	if token == "" {
		var hash string
		token, hash = newToken()
		if err := insertToken(ctx, tx, b.ID, hash, now); err != nil {
			return err
		}
	}
	if kind == mailAlreadyBooked {
		// A repeat attempt may come more than once; each mails its own link.
		dedupe += "/" + hashToken(token)[:16]
	}
	loc := e.Location()
	d := mailData{
		Name: b.Name, Status: b.Status.Label(), CourseTitle: c.Title,
		CourseURL:      s.baseURL + "/courses/" + url.PathEscape(c.Slug),
		ManageURL:      s.ManageURL(token),
		SystemCheckURL: s.baseURL + "/system-check",
		Dates:          e.DateLabel(), Format: e.Format.Label(), Duration: e.DurationLabel(),
		WaitPosition: b.WaitPosition, Notes: b.Notes, FeeTier: b.FeeTier, InvoiceNumber: b.InvoiceLabel(),
		PONumber: b.PONumber, JoiningLead: c.JoiningLeadDays, Online: e.Format != catalog.InPerson,
	}
	for _, day := range e.Days {
		start, _ := day.Span(loc)
		d.Times = append(d.Times, start.Format("Mon 2 Jan")+": "+day.TimeRange(loc))
	}
	if e.Venue.Name != "" {
		d.Venue = e.Venue.Name
		if e.Venue.Address != "" {
			d.Venue += ", " + e.Venue.Address
		}
	}
	if b.Amount > 0 {
		d.Fee = catalog.FormatMoney(b.Amount, b.Currency)
	}
	if !b.OfferExpiresAt.IsZero() {
		t := b.OfferExpiresAt.In(loc)
		d.OfferExpires = t.Format("15:04 on Monday 2 January 2006") + " " + catalog.ZoneLabel(t)
	}
	subject, text, html, err := messaging.Render(mailFiles, "mail/"+string(kind), d)
	if err != nil {
		return fmt.Errorf("render %s: %w", kind, err)
	}
	m := messaging.Message{
		Kind: string(kind), DedupeKey: dedupe, BookingID: b.ID,
		ToName: b.Name, ToEmail: b.Email, Subject: subject, Text: text, HTML: html,
		ScheduledAt: now,
	}
	switch kind {
	case mailConfirmed, mailMovedUp:
		m.Attachments = append(m.Attachments, s.calendar(c, e, "REQUEST", now))
	case mailCancelled:
		if !b.ConfirmedAt.IsZero() {
			m.Attachments = append(m.Attachments, s.calendar(c, e, "CANCEL", now))
		}
	}
	_, _, err = s.outbox.Enqueue(ctx, tx, m)
	return err
}

func (s *Service) calendar(c catalog.Course, e catalog.Event, method string, now time.Time) messaging.Attachment {
	data := catalog.Calendar(c, e, catalog.CalendarOptions{BaseURL: s.baseURL, Now: now, Method: method, Organizer: s.organizer})
	return messaging.Attachment{
		Filename:    c.Slug + ".ics",
		ContentType: "text/calendar; charset=utf-8; method=" + method,
		Data:        data,
	}
}

// ManageURL is the manage link for a token.
func (s *Service) ManageURL(token string) string { return s.baseURL + "/bookings/" + token }
