package booking

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"plenary/internal/audit"
	"plenary/internal/catalog"
)

// Adding a booking by hand: a coordinator fills in the public booking
// form for someone (a phone call, a paper form) and may override three of
// its checks, each with a typed reason. It runs the public form's own code
// (bookEvent), so capacity is checked under the same lock.

// The overrides of a hand-added booking, as Overrides.Reasons names them
// (and the form's reason fields: reason_<override>).
const (
	OverrideCapacity    = "ignore_capacity"
	OverrideEligibility = "skip_eligibility"
	OverrideNoEmail     = "no_email"
)

// Overrides are what a coordinator may set aside when adding a booking by
// hand; each one set needs its reason in Reasons (by the names above).
type Overrides struct {
	// IgnoreCapacity confirms the booking even on a full date.
	IgnoreCapacity bool
	// SkipEligibility sets aside the course's eligibility rules: no
	// refusal, no review, unanswered questions allowed.
	SkipEligibility bool
	// NoEmail sends the person nothing (no confirmation, no manage link).
	NoEmail bool
	Reasons map[string]string

	byHand bool
}

// set lists the overrides that are on, in a fixed order.
func (o Overrides) set() []string {
	var out []string
	for _, x := range []struct {
		on   bool
		name string
	}{{o.IgnoreCapacity, OverrideCapacity}, {o.SkipEligibility, OverrideEligibility}, {o.NoEmail, OverrideNoEmail}} {
		if x.on {
			out = append(out, x.name)
		}
	}
	return out
}

// checkRequest is Request.check; with SkipEligibility an unanswered
// question is no error.
func (o Overrides) checkRequest(r *Request, c *catalog.Course, e *catalog.Event) FormError {
	asked := r.Answers
	v := participantVoice
	if o.byHand {
		v = staffVoice
	}
	ferr := r.checkAs(c, e, v)
	if o.SkipEligibility {
		for _, q := range c.Questions {
			if strings.TrimSpace(asked[q.Key]) == "" {
				delete(ferr, AnswerField(q.Key))
			}
		}
	}
	if len(ferr) == 0 {
		return nil
	}
	return ferr
}

// evaluate applies the course's rules, unless SkipEligibility sets them
// aside (the booking is then taken as the rules accepting it).
func (o Overrides) evaluate(c *catalog.Course, r *Request, e *catalog.Event, today catalog.Date) catalog.Decision {
	if o.SkipEligibility {
		return catalog.Decision{Outcome: catalog.Accept}
	}
	return catalog.Evaluate(c.Rules, r.Answers, e.Days[0].Date, today)
}

// bookableByHand is bookable for a coordinator: a hand-added booking may
// come after bookings close to the public (a late phone call), up to the
// event's start; never on a cancelled or completed date or a course that
// is not published.
func bookableByHand(c *catalog.Course, e *catalog.Event, now time.Time) error {
	switch {
	case c.Status != catalog.Published:
		return ErrEventUnavailable
	case e.Status == catalog.Cancelled:
		return ErrEventCancelled
	case e.Status == catalog.Completed || !now.Before(e.StartsAt):
		return ErrClosed
	}
	return nil
}

// AddByHand books req for actor, a coordinator, through the public form's
// code (the same checks and the same lock), with overrides. Each override
// set needs its typed reason (a FormError "reason_<override>" without);
// the reasons go into the booking's audit entry. Without IgnoreCapacity a
// full date waitlists the person (or refuses, ErrEventFull, when the
// course keeps no waiting list), as the public form does. A person already
// booked on the date is a FormError on "email".
func (s *Service) AddByHand(ctx context.Context, req Request, actor audit.Actor, o Overrides) (Result, error) {
	var lines []string
	ferr := FormError{}
	for _, name := range o.set() {
		reason, e := reasonFor("reason_"+name, o.Reasons[name])
		for k, v := range e {
			ferr[k] = v
		}
		lines = append(lines, name+": "+reason)
	}
	o.byHand = true
	course, event, err := s.catalog.Event(ctx, req.EventID)
	if errors.Is(err, catalog.ErrNotFound) {
		return Result{}, ErrEventUnavailable
	}
	if err != nil {
		return Result{}, fmt.Errorf("booking: %w", err)
	}
	if len(ferr) > 0 { // with the form's own errors, so the page shows all at once
		checked := req
		for k, v := range o.checkRequest(&checked, &course, &event) {
			ferr[k] = v
		}
		return Result{}, ferr
	}
	reason := "added by hand"
	if len(lines) > 0 {
		reason += "; " + strings.Join(lines, "; ")
	}
	res, err := s.bookEvent(ctx, &course, &event, req, actor, o, reason)
	if err != nil {
		return Result{}, err
	}
	return *res, nil
}

// ReadRequest reads the booking form's fields from a posted form, for
// course c: the public form and the staff area's "add by hand" share it.
// Nothing is checked here (Book and AddByHand do). Answers are read for
// the course's own questions and, up to maxOtherAnswers, for others: the
// public form's course may be a second old (catalog.Store.EventRecent),
// and the booking is judged against the course as it is under the date's
// lock, which may ask a question added since; checking keeps only the
// answers the course it judges with asks for.
func ReadRequest(form url.Values, c catalog.Course) Request {
	r := Request{
		Name: form.Get("name"), Email: form.Get("email"), Organisation: form.Get("organisation"), Role: form.Get("role"),
		RegistrationNumber: form.Get("registration_number"), FeeTier: form.Get("fee_tier"),
		AccessNeeds: form.Get("access_needs"), PONumber: form.Get("po_number"),
		SystemChecked: form.Get("system_checked") != "", Answers: map[string]string{},
	}
	for _, q := range c.Questions {
		if v, ok := form[AnswerField(q.Key)]; ok && len(v) > 0 {
			r.Answers[q.Key] = v[0]
		}
	}
	others := 0
	for name, v := range form {
		key, ok := strings.CutPrefix(name, AnswerField(""))
		if !ok || key == "" || len(key) > maxAnswerKey || len(v) == 0 {
			continue
		}
		if _, asked := r.Answers[key]; asked {
			continue
		}
		if others == maxOtherAnswers {
			break
		}
		r.Answers[key], others = v[0], others+1
	}
	return r
}

// The answers ReadRequest keeps beyond the course's questions: how many,
// and how long a key may be (a course file's keys are short words).
const (
	maxOtherAnswers = 20
	maxAnswerKey    = 64
)

// EventByID returns a date with its course, for the staff area's "add by
// hand" page; an unknown date is ErrEventUnavailable.
func (s *Service) EventByID(ctx context.Context, id int64) (catalog.Course, catalog.Event, error) {
	c, e, err := s.catalog.Event(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return c, e, ErrEventUnavailable
	}
	if err != nil {
		return c, e, fmt.Errorf("booking: event %d: %w", id, err)
	}
	return c, e, nil
}
