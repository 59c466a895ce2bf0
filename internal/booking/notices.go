package booking

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"plenary/internal/audit"
	"plenary/internal/catalog"
	"plenary/internal/messaging"
	"plenary/internal/workdays"
)

// EventSaved is the catalogue's save hook (catalog.Store.OnEventSave): it
// runs for every event a save writes, in the save's transaction tx, so
// whatever it does happens if and only if the save commits. It
//
//   - tells the people booked on the event of a participant-visible
//     change (see eventChanged), and
//   - fills the places the saved event has free — a higher capacity, or a
//     place freed by the change — from its waiting list, first come first
//     served, as fillPlaces does after a cancellation. Nobody is moved up
//     once the date has started (by the service's clock), or on a
//     cancelled date.
//
// Both are done in the name of the save's actor (ev.Options.Actor), with
// an audit entry for each booking they change (booking.cancel when the
// date is cancelled, booking.move_up).
//
// It reports whom it told and moved up in ev.Report. In a dry run
// (ev.Options.DryRun) it does all the same — the save rolls back — and
// records a refusal in ev.Report.Refused instead of returning it.
func (s *Service) EventSaved(ctx context.Context, tx *sql.Tx, ev catalog.EventSave) error {
	if len(ev.Change.Changes) > 0 {
		if err := s.eventChanged(ctx, tx, ev); err != nil {
			return fmt.Errorf("booking: event %d changed: %w", ev.New.ID, err)
		}
	}
	if ev.Added {
		return nil // nobody can have booked a date that did not exist
	}
	if _, err := s.store.withTx(tx).lockEvent(ctx, ev.New.ID); err != nil {
		return fmt.Errorf("booking: fill places on event %d: %w", ev.New.ID, err)
	}
	moved := map[Status]int{}
	if err := s.fillPlacesCounting(ctx, tx, ev.Course, ev.New, s.now().UTC(), ev.Options.Actor, moved); err != nil {
		return fmt.Errorf("booking: fill places on event %d: %w", ev.New.ID, err)
	}
	for st, n := range moved {
		if ev.Report.MovedUp == nil {
			ev.Report.MovedUp = map[string]int{}
		}
		ev.Report.MovedUp[string(st)] += n
	}
	return nil
}

// LateChangeError refuses a participant-visible change to an event inside
// the minimum-notice window that the coordinator has not confirmed. It
// matches ErrLateChange.
type LateChangeError struct {
	Course string // the course's title
	Ref    string // the date's ref in the course file
	First  catalog.Date
	// WorkingDays are the working days from today to First; Window is
	// the minimum-notice window, in working days.
	WorkingDays, Window int
}

func (e *LateChangeError) Error() string { return ErrLateChange.Error() + ": " + e.Message() }

// Message says what is late, for the person saving, without the
// package's prefix.
func (e *LateChangeError) Message() string {
	return fmt.Sprintf("%s (%s) starts on %s, %d working day(s) from today, inside the %d-working-day notice window",
		e.Course, e.Ref, e.First.In(time.UTC).Format("Monday 2 January 2006"), e.WorkingDays, e.Window)
}

// Is makes errors.Is(err, ErrLateChange) true.
func (e *LateChangeError) Is(target error) bool { return target == ErrLateChange }

// eventChanged tells the people booked on an event of a participant-visible
// change to it, each only what their booking lets them know.
//
// The meeting's joining details (link, meeting ID, passcode: the Private
// changes) reach confirmed people only, and only in their joining
// instructions — never in a change notice, never the old ones. So:
//
//   - the event is cancelled: every active booking (confirmed, pending
//     review, offered, waitlisted) gets an event_cancelled e-mail (dedupe
//     key event-cancelled/<booking>/<version>), with a calendar
//     cancellation (METHOD:CANCEL) for the confirmed; the booking is
//     cancelled, a fee invoiced or paid becomes refund due, and nobody is
//     moved up;
//   - pending review, offered and waitlisted bookings get an event_changed
//     e-mail (event-changed/<booking>/<version>) listing the public
//     changes old → new; a change that is only to the joining details
//     sends them nothing;
//   - confirmed bookings get an event_changed e-mail with the public
//     changes and the updated calendar entry (same UIDs, higher SEQUENCE;
//     none when only joining details changed), and, if the joining details
//     changed, the words "joining details have changed". If their joining
//     instructions already went, or are due now, the new ones go at once
//     (joining/<booking>/<version>) while the date is still to run;
//     otherwise the notice says when they will come.
//
// A change is late when the event's first day (the earlier of the old and
// the new one) is fewer than the minimum-notice window's working days
// away; the people told may then cancel free of charge. A late change that
// someone would be told of needs ev.Options.ConfirmLate, or it returns a
// *LateChangeError (ErrLateChange), which rolls the save back.
func (s *Service) eventChanged(ctx context.Context, tx *sql.Tx, ev catalog.EventSave) error {
	now := s.now().UTC()
	old, new := ev.Old, ev.New
	if !old.EndsAt.After(now) && !new.EndsAt.After(now) {
		return nil // correcting a date that is over tells nobody
	}
	list, err := s.store.withTx(tx).onEvent(ctx, new.ID, Confirmed, PendingReview, Offered, Waitlisted)
	if err != nil {
		return err
	}
	public := publicChanges(ev.Change.Changes)
	cancelled := new.Status == catalog.Cancelled
	var audience []Booking
	for _, b := range list {
		if cancelled || b.Status == Confirmed || len(public) > 0 {
			audience = append(audience, b)
		}
	}
	if len(audience) == 0 {
		return nil // nobody to tell, so nothing to confirm
	}
	late, days, first := s.lateChange(old, new, now)
	if late {
		ev.Report.Late = true
		if !ev.Options.ConfirmLate {
			err := &LateChangeError{Course: ev.Course.Title, Ref: new.Ref, First: first, WorkingDays: days, Window: s.minNotice}
			if !ev.Options.DryRun {
				return err
			}
			ev.Report.Refused = err
		}
	}
	n := noticeOf(old, new, ev.Change.Changes, late)
	// A dry run keeps the first person's notice to show as a sample.
	var sample messaging.Message
	for i, b := range audience {
		var keep *messaging.Message
		if ev.Options.DryRun && i == 0 {
			keep = &sample
		}
		if ev.Report.Told == nil {
			ev.Report.Told = map[string]int{}
		}
		ev.Report.Told[string(b.Status)]++
		if cancelled {
			err = s.eventCancelled(ctx, tx, ev.Course, new, b, now, ev.Options.Actor, ev.Options.Reason, keep)
		} else {
			var sent bool
			sent, err = s.eventChangeNotice(ctx, tx, ev.Course, new, b, n, now, keep)
			if sent {
				ev.Report.JoiningSent++
			}
		}
		if err != nil {
			return fmt.Errorf("booking %d: %w", b.ID, err)
		}
	}
	// An outbox that renders (messaging.Outbox does) shows the sample.
	if p, ok := s.outbox.(interface {
		Preview(messaging.Message) (messaging.Message, error)
	}); ok && sample.Kind != "" {
		if m, err := p.Preview(sample); err == nil {
			ev.Report.Notice = &catalog.Notice{To: m.ToName, Subject: m.Subject, Text: m.Text}
		}
	}
	if late {
		// What "needs attention" lists as a late change made lately, with
		// the people told (to count who cancels after it).
		la := lateAudit{Version: new.Version, FirstDay: first.String(), WorkingDays: days}
		for _, b := range audience {
			la.Bookings = append(la.Bookings, b.ID)
		}
		if err := audit.Record(ctx, tx, now, ev.Options.Actor, actionLateChange, "event", new.ID, nil, la, ""); err != nil {
			return err
		}
	}
	return nil
}

// actionLateChange is the audit entry of a change to an event inside the
// minimum-notice window that went ahead (it was confirmed), recorded with
// the save after event.update.
const actionLateChange = "event.late_change"

// lateAudit is what an event.late_change entry records.
type lateAudit struct {
	Version     int     `json:"version"`
	FirstDay    string  `json:"first_day"`
	WorkingDays int     `json:"working_days"` // left before the first day when it was made
	Bookings    []int64 `json:"bookings"`     // the bookings told of it
}

// lateChange reports whether a change from old to new at now falls inside
// the minimum-notice window, with the working days left before the
// earlier of the two first days and that day.
func (s *Service) lateChange(old, new catalog.Event, now time.Time) (late bool, days int, first catalog.Date) {
	e := new
	if len(new.Days) == 0 || (len(old.Days) > 0 && old.StartsAt.Before(new.StartsAt)) {
		e = old
	}
	if len(e.Days) == 0 {
		return false, 0, catalog.Date{}
	}
	first = e.Days[0].Date
	today := catalog.DateOf(now.In(e.Location()))
	days = s.workdays.WorkingDaysBetween(workdays.Region(new.Region), workdays.Date(today), workdays.Date(first))
	return s.minNotice > 0 && days < s.minNotice, days, first
}

// eventCancelled cancels b because its event is cancelled, for actor (who
// cancelled the date), and tells them.
func (s *Service) eventCancelled(ctx context.Context, tx *sql.Tx, c catalog.Course, e catalog.Event, b Booking, now time.Time,
	actor audit.Actor, reason string, sample *messaging.Message) error {
	hadPlace, invited := b.Status.HoldsPlace(), b.Status == Confirmed
	var refund string
	switch b.Payment {
	case Paid:
		refund = fmt.Sprintf("The fee you paid (%s) will be refunded in full.", catalog.FormatMoney(b.Amount, b.Currency))
	case Invoice:
		refund = fmt.Sprintf("Invoice %s is cancelled: please do not pay it. If you have paid it already, the fee will be refunded in full.",
			b.InvoiceLabel())
	}
	before := b
	b.Status, b.CancelledAt, b.OfferExpiresAt = Cancelled, now, time.Time{}
	if b.Payment == Paid || b.Payment == Invoice {
		b.Payment = RefundDue
	}
	if err := s.store.withTx(tx).saveState(ctx, &b, now); err != nil {
		return err
	}
	note := "the date was cancelled"
	if reason != "" {
		note += ": " + reason
	}
	if err := record(ctx, tx, now, actor, actionCancel, before, b, note); err != nil {
		return err
	}
	spec := mailSpec{
		kind: mailEventCancelled, dedupe: mailKey("event-cancelled", b.ID, strconv.Itoa(e.Version)),
		fill:   func(d *mailData) { d.HadPlace, d.Refund, d.CancelReason = hadPlace, refund, reason },
		sample: sample,
	}
	if invited {
		spec.calendar = "CANCEL"
	}
	return s.queue(ctx, tx, spec, c, e, b, "")
}

// notice is one change rendered for the people told of it.
type notice struct {
	public  []mailChange // the changes anyone booked may read
	joining bool         // the joining details changed (confirmed people only hear of it)
	late    bool
}

// eventChangeNotice tells b what changed and, if they had joining
// instructions (or are now owed them), sends the new ones. It reports
// whether it did.
func (s *Service) eventChangeNotice(ctx context.Context, tx *sql.Tx, c catalog.Course, e catalog.Event, b Booking,
	n notice, now time.Time, sample *messaging.Message) (joiningSent bool, err error) {
	confirmed := b.Status == Confirmed
	var had, joiningNow bool
	var joiningAt string
	// A date still running counts too: new meeting details for day 2 of a
	// two-day course must reach the people on it, at once.
	if confirmed && (upcoming(e, now) || running(e, now)) {
		joining, err := messaging.OfKind(ctx, tx, string(mailJoining), []string{SubjectRef(b.ID)})
		if err != nil {
			return false, err
		}
		had = len(joining) > 0
		at := s.JoiningSendAt(c, e)
		joiningNow = had || !now.Before(at)
		if !joiningNow {
			t := at.In(e.Location())
			joiningAt = t.Format("Monday 2 January 2006 at 15:04") + " " + catalog.ZoneLabel(t)
		}
	}
	spec := mailSpec{
		kind: mailEventChanged, dedupe: mailKey("event-changed", b.ID, strconv.Itoa(e.Version)),
		fill: func(d *mailData) {
			d.Changes, d.Late, d.HadPlace = n.public, n.late, b.Status.HoldsPlace()
			d.JoiningChanged = confirmed && n.joining
			d.JoiningNow, d.JoiningAt = joiningNow, joiningAt
			if e.Venue.Name != "" {
				d.VenueName, d.VenueAddress = e.Venue.Name, lines(e.Venue.Address)
			}
		},
	}
	if confirmed && len(n.public) > 0 {
		spec.calendar = "REQUEST"
	}
	spec.sample = sample
	if err := s.queue(ctx, tx, spec, c, e, b, ""); err != nil {
		return false, err
	}
	if !joiningNow {
		return false, nil
	}
	return true, s.sendJoining(ctx, tx, c, e, b, had)
}

// mailChange is one change as a notice shows it: what changed, and the
// old and new values as lines.
type mailChange struct {
	Label    string
	Old, New []string
}

// publicChanges drops the changes only confirmed people may hear of.
func publicChanges(changes []catalog.Change) []catalog.Change {
	var out []catalog.Change
	for _, c := range changes {
		if !c.Private {
			out = append(out, c)
		}
	}
	return out
}

// noticeOf renders the public changes from old to new for people to read
// (the venue's fields as one change, each line of an address on its own
// line, a multi-day date's times and agenda labelled by day) and notes
// whether the private joining details changed. Private values are never
// rendered.
func noticeOf(old, new catalog.Event, changes []catalog.Change, late bool) notice {
	n := notice{late: late}
	oldLoc, newLoc := old.Location(), new.Location()
	multiDay := len(old.Days) > 1 || len(new.Days) > 1
	dayDate := func(i int) string { // "Wed 10 June": the day's new date, or its old one if it is gone
		d := new.Days
		if i >= len(d) {
			d = old.Days
		}
		return d[i].Date.In(time.UTC).Format("Mon 2 January")
	}
	venue := false
	for _, c := range changes {
		if c.Private {
			n.joining = true
			continue
		}
		var mc mailChange
		switch c.Field {
		case catalog.FieldDays:
			mc = mailChange{Label: "Dates", Old: []string{old.DateLabel()}, New: []string{new.DateLabel()}}
		case catalog.FieldDayTimes:
			mc.Label = "Times"
			if multiDay {
				mc.Label = fmt.Sprintf("Day %d (%s)", c.Day, dayDate(c.Day-1))
			}
			mc.Old = []string{old.Days[c.Day-1].TimeRange(oldLoc)}
			mc.New = []string{new.Days[c.Day-1].TimeRange(newLoc)}
		case catalog.FieldTimeZone:
			mc = mailChange{Label: "Time zone", Old: []string{old.TimeZone}, New: []string{new.TimeZone}}
		case catalog.FieldFormat:
			mc = mailChange{Label: "Format", Old: []string{old.Format.Label()}, New: []string{new.Format.Label()}}
		case catalog.FieldVenueName, catalog.FieldVenueAddress, catalog.FieldVenueDirections:
			if venue {
				continue
			}
			venue = true
			mc = mailChange{Label: "Venue", Old: venueLines(old.Venue), New: venueLines(new.Venue)}
		case catalog.FieldMeetingProvider:
			mc = mailChange{Label: "Online meeting", Old: []string{old.Meeting.Provider}, New: []string{new.Meeting.Provider}}
		case catalog.FieldStatus:
			mc = mailChange{Label: "Status", Old: []string{statusLabel(old.Status)}, New: []string{statusLabel(new.Status)}}
		case catalog.FieldAgenda:
			mc.Label = "Agenda"
			if multiDay {
				mc.Label = fmt.Sprintf("Agenda, day %d (%s)", c.Day, dayDate(c.Day-1))
			}
			mc.Old, mc.New = agendaLines(old, c.Day-1), agendaLines(new, c.Day-1)
		default:
			continue // a field this package does not know: say nothing rather than something wrong
		}
		mc.Old, mc.New = orNone(mc.Old), orNone(mc.New)
		n.public = append(n.public, mc)
	}
	return n
}

func venueLines(v catalog.Venue) []string {
	out := lines(v.Name)
	out = append(out, lines(v.Address)...)
	for i, l := range lines(v.Directions) {
		if i == 0 {
			l = "Directions: " + l
		}
		out = append(out, l)
	}
	return out
}

func agendaLines(e catalog.Event, i int) []string {
	if i >= len(e.Days) {
		return nil
	}
	var out []string
	for _, a := range e.Days[i].Agenda {
		t := a.Start.String()
		if a.HasEnd() {
			t += "–" + a.End.String()
		}
		out = append(out, t+" "+a.Title)
	}
	return out
}

func statusLabel(s catalog.EventStatus) string {
	if s == catalog.Cancelled {
		return "Cancelled"
	}
	return "Going ahead"
}

// orNone keeps the non-empty lines, or says "(none)".
func orNone(ls []string) []string {
	var out []string
	for _, l := range ls {
		out = append(out, lines(l)...)
	}
	if len(out) == 0 {
		return []string{"(none)"}
	}
	return out
}

// EventSchedule is when an event's timed messages go and how each
// booking's joining instructions stand, for coordinators.
type EventSchedule struct {
	EventID int64
	Version int
	// JoiningAt is when the joining instructions go (UTC); bookings
	// confirmed later get them at once.
	JoiningAt time.Time
	// ReminderAt is when the reminder goes; zero when the course sends
	// none.
	ReminderAt time.Time
	// Bookings are the event's active bookings in the order taken.
	Bookings []JoiningState
}

// JoiningState is how one booking's joining instructions for the event's
// current version stand.
type JoiningState struct {
	Booking Booking
	// Status is the joining e-mail's delivery status (queued, sent, kept
	// in the dev mailbox, or failed), or "" while none is queued.
	Status    messaging.Status
	Attempts  int
	LastError string
	SentAt    time.Time // zero until sent
}

// Schedule returns an event's joining and reminder times and, for each
// active booking, whether its joining instructions for the current version
// were queued, sent or failed.
func (s *Service) Schedule(ctx context.Context, eventID int64) (EventSchedule, error) {
	c, e, err := s.catalog.Event(ctx, eventID)
	if err != nil {
		return EventSchedule{}, fmt.Errorf("booking: schedule of event %d: %w", eventID, err)
	}
	out := EventSchedule{EventID: e.ID, Version: e.Version, JoiningAt: s.JoiningSendAt(c, e), ReminderAt: s.ReminderAt(c, e)}
	list, err := s.store.onEvent(ctx, e.ID, activeStatuses...)
	if err == nil {
		err = withMailFailing(ctx, s.db, list)
	}
	if err != nil {
		return EventSchedule{}, fmt.Errorf("booking: schedule of event %d: %w", eventID, err)
	}
	keys := make([]string, len(list))
	for i, b := range list {
		keys[i] = joiningKey(b.ID, e.Version)
	}
	sent, err := messaging.Deliveries(ctx, s.db, keys)
	if err != nil {
		return EventSchedule{}, fmt.Errorf("booking: schedule of event %d: %w", eventID, err)
	}
	for i, b := range list {
		d := sent[keys[i]] // zero while none is queued
		out.Bookings = append(out.Bookings, JoiningState{Booking: b, Status: d.Status, Attempts: d.Attempts,
			LastError: d.LastError, SentAt: d.SentAt})
	}
	return out, nil
}
