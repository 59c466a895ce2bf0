package catalog

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"plenary/internal/workdays"
)

// FieldError is one problem with one field. Path names the field the way
// the course file does: "title", "fees[1].amount",
// "events[0].days[2].agenda[3]".
type FieldError struct {
	Path    string
	Message string
}

func (e FieldError) Error() string { return e.Path + ": " + e.Message }

// ValidationError lists every problem found in a course, so that a person
// fixes them all at once.
type ValidationError []FieldError

func (v ValidationError) Error() string {
	parts := make([]string, len(v))
	for i, e := range v {
		parts[i] = e.Error()
	}
	return "catalog: invalid course: " + strings.Join(parts, "; ")
}

var (
	slugRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	keyRE  = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// Limits on text fields, generous for people and small for abuse.
const (
	maxShort = 200
	maxLong  = 20000
	// maxDirections bounds a venue's directions: a paragraph or two.
	maxDirections = 4000
)

// regionNames lists the working-day regions for messages.
func regionNames() string {
	names := make([]string, 0, 3)
	for _, r := range workdays.Regions() {
		names = append(names, string(r))
	}
	return strings.Join(names, ", ")
}

// Normalize fills in what a course leaves to its defaults and derives
// what follows from the rest, so that the course is in the form the store
// keeps: each event's time zone (DefaultTimeZone when empty) and status
// (scheduled when empty), its region in canonical form (so "Scotland" and
// "scotland" are one region to Diff and the store), its StartsAt and
// EndsAt from its days, and Required on every question a refuse rule
// needs answered. It reports nothing: a value it cannot make sense of (an
// unknown region or zone) is left for Validate to name. Calling it again
// changes nothing. ParseCourseFile and Store.Save call Normalize and then
// Validate.
func (c *Course) Normalize() {
	// A question a refuse rule needs answered is required, whatever the
	// file says, so that the form does not call it optional.
	needed := c.MissingRefusals()
	for i, q := range c.Questions {
		if _, ok := needed[q.Key]; ok {
			c.Questions[i].Required = true
		}
	}
	for i := range c.Events {
		c.Events[i].normalize()
	}
}

func (e *Event) normalize() {
	if e.TimeZone == "" {
		e.TimeZone = DefaultTimeZone
	}
	if e.Region != "" {
		if r, err := workdays.ParseRegion(e.Region); err == nil {
			e.Region = string(r)
		}
	}
	if e.Status == "" {
		e.Status = Scheduled
	}
	e.computeSpan()
}

// Validate checks a course and its events and returns a ValidationError
// listing every problem, or nil. It changes nothing: values that
// Normalize fills in (an empty time zone or event status) are not
// problems.
func (c Course) Validate() error {
	var errs ValidationError
	add := func(path, format string, args ...any) {
		errs = append(errs, FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	// short checks a one-line text; a required one (a name people read:
	// a title, a label) must also show at least one character.
	short := func(path, value string, required bool) {
		switch {
		case required && strings.TrimSpace(value) == "":
			add(path, "is required")
		case len(value) > maxShort:
			add(path, "is longer than %d characters", maxShort)
		case textProblem(value, false) != "":
			add(path, "%s", textProblem(value, false))
		case required && !HasVisible(value):
			add(path, "has nothing visible in it")
		}
	}
	long := func(path, value string) {
		if len(value) > maxLong {
			add(path, "is longer than %d characters", maxLong)
		} else if msg := textProblem(value, true); msg != "" {
			add(path, "%s", msg)
		}
	}

	switch {
	case c.Slug == "":
		add("slug", "is required")
	case len(c.Slug) > 80 || !slugRE.MatchString(c.Slug):
		add("slug", "must be lower-case letters, digits and single hyphens, at most 80 characters (e.g. dit-refresher)")
	}
	short("title", c.Title, true)
	if len(c.Summary) > 500 {
		add("summary", "is longer than 500 characters")
	} else {
		long("summary", c.Summary)
	}
	if c.Status != Draft && c.Status != Published {
		add("status", "must be draft or published")
	}
	long("about", c.About)
	long("audience", c.Audience)
	long("aims", c.Aims)
	long("prerequisites", c.Prerequisites)
	long("delivery", c.Delivery)
	long("cancellation_terms", c.CancellationTerms)
	if c.JoiningLeadDays < 0 || c.JoiningLeadDays > 30 {
		add("joining_lead_days", "must be between 0 and 30 working days")
	}
	if c.CompletionPercent < 0 || c.CompletionPercent > 100 {
		add("completion.minimum_percent", "must be between 1 and 100 per cent of the teaching minutes")
	}
	if msg := feedbackURLProblem(c.FeedbackURL); msg != "" {
		add("feedback_url", "%s", msg)
	}
	if c.ReminderDaysBefore < 0 || c.ReminderDaysBefore > 60 {
		add("reminder_days_before", "must be between 0 (no reminder) and 60 days")
	}
	if c.OfferHoldHours < 0 || c.OfferHoldHours > 168 {
		add("booking.offer_hold_hours", "must be between 0 (confirm the first person waiting at once) and 168 hours (a week)")
	}
	if c.BookingClosesHours < 0 || c.BookingClosesHours > 720 {
		add("booking.closes_hours_before", "must be between 0 (bookings close at the start) and 720 hours (30 days)")
	}
	seenTopic := map[string]bool{}
	for i, t := range c.Topics {
		p := fmt.Sprintf("topics[%d]", i)
		short(p, t, true)
		if seenTopic[strings.ToLower(t)] {
			add(p, "repeats the topic %q", t)
		}
		seenTopic[strings.ToLower(t)] = true
	}
	seenFee := map[string]bool{}
	for i, f := range c.Fees {
		p := fmt.Sprintf("fees[%d]", i)
		short(p+".name", f.Name, true)
		if seenFee[strings.ToLower(f.Name)] {
			add(p+".name", "repeats the fee name %q", f.Name)
		}
		seenFee[strings.ToLower(f.Name)] = true
		if f.Amount < 0 {
			add(p+".amount", "must not be negative")
		}
		if _, err := CurrencyDecimals(f.Currency); err != nil {
			add(p+".currency", "must be a three-letter code such as GBP, of a currency ISO 4217 knows")
		}
	}
	seenKey := map[string]bool{}
	for i, q := range c.Questions {
		p := fmt.Sprintf("questions[%d]", i)
		switch {
		case !keyRE.MatchString(q.Key) || len(q.Key) > 40:
			add(p+".key", "must be lower-case letters, digits and underscores, starting with a letter (e.g. training_completed)")
		case seenKey[q.Key]:
			add(p+".key", "repeats the key %q", q.Key)
		}
		seenKey[q.Key] = true
		short(p+".label", q.Label, true)
		if !slices.Contains([]QuestionKind{TextAnswer, DateAnswer, YesNo}, q.Kind) {
			add(p+".kind", "must be text, date or yes_no")
		}
		if len(q.Help) > 1000 {
			add(p+".help", "is longer than 1000 characters")
		} else {
			long(p+".help", q.Help)
		}
	}
	c.validateRules(add)
	seenRef := map[string]bool{}
	for i := range c.Events {
		c.Events[i].validate(fmt.Sprintf("events[%d]", i), seenRef, add, short, long)
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func (e Event) validate(p string, seenRef map[string]bool, add func(path, format string, args ...any),
	short func(path, value string, required bool), long func(path, value string)) {
	switch {
	case e.Ref == "":
		add(p+".ref", "is required: a short name for this date that stays the same if the date moves")
	case len(e.Ref) > 80 || !slugRE.MatchString(e.Ref):
		add(p+".ref", "must be lower-case letters, digits and single hyphens (e.g. 2022-06)")
	case seenRef[e.Ref]:
		add(p+".ref", "repeats the ref %q", e.Ref)
	}
	seenRef[e.Ref] = true
	if e.TimeZone != "" { // "" is DefaultTimeZone (Normalize)
		if _, err := time.LoadLocation(e.TimeZone); err != nil || e.TimeZone == "Local" {
			add(p+".time_zone", "%q is not an IANA time zone such as Europe/London", e.TimeZone)
		}
	}
	if e.Region != "" {
		if _, err := workdays.ParseRegion(e.Region); err != nil {
			add(p+".region", "%q is not a region; the regions are %s", e.Region, regionNames())
		}
	}
	if !slices.Contains(Formats, e.Format) {
		add(p+".format", "must be online, in_person or hybrid")
	}
	if e.Status != "" && !slices.Contains([]EventStatus{Scheduled, Changed, Cancelled, Completed}, e.Status) { // "" is scheduled (Normalize)
		add(p+".status", "must be scheduled, changed, cancelled or completed")
	}
	if e.Capacity < 0 || e.Capacity > 100000 {
		add(p+".capacity", "must be between 0 (no limit) and 100000")
	}
	if (e.Format == InPerson || e.Format == Hybrid) && strings.TrimSpace(e.Venue.Name) == "" {
		add(p+".venue.name", "is required for an event held in person")
	} else {
		short(p+".venue.name", e.Venue.Name, false)
	}
	long(p+".venue.address", e.Venue.Address)
	if len(e.Venue.Directions) > maxDirections {
		add(p+".venue.directions", "is longer than %d characters", maxDirections)
	} else {
		long(p+".venue.directions", e.Venue.Directions)
	}
	short(p+".meeting.provider", e.Meeting.Provider, false)
	short(p+".meeting.id", e.Meeting.ID, false)
	short(p+".meeting.passcode", e.Meeting.Passcode, false)
	if msg := textProblem(e.Meeting.JoinURL, false); msg != "" {
		add(p+".meeting.join_url", "%s", msg)
	} else if e.Meeting.JoinURL != "" && !strings.HasPrefix(e.Meeting.JoinURL, "https://") {
		add(p+".meeting.join_url", "must start with https://")
	}
	if len(e.Days) == 0 {
		add(p+".days", "needs at least one day")
	}
	for i, d := range e.Days {
		dp := fmt.Sprintf("%s.days[%d]", p, i)
		if d.Date.IsZero() {
			add(dp+".date", "is required")
		}
		if i > 0 && !e.Days[i-1].Date.Before(d.Date) {
			add(dp+".date", "must come after the day before it")
		}
		if !d.Start.Valid || !d.End.Valid {
			add(dp+".time", "needs a start and an end, e.g. 10:00-17:00")
		} else if d.End.Minutes <= d.Start.Minutes {
			add(dp+".time", "must end after it starts")
		}
		for j, a := range d.Agenda {
			ap := fmt.Sprintf("%s.agenda[%d]", dp, j)
			if !slices.Contains(AgendaKinds, a.Kind) {
				add(ap, "kind must be one of registration, teaching, break, lunch, plenary, other")
			}
			if !a.Start.Valid {
				add(ap, "needs a start time")
			}
			if a.End.Valid && a.End.Minutes <= a.Start.Minutes {
				add(ap, "must end after it starts")
			}
			if j > 0 && a.Start.Valid && d.Agenda[j-1].Start.Valid && a.Start.Minutes < d.Agenda[j-1].Start.Minutes {
				add(ap, "starts before the item above it")
			}
			if msg := d.agendaOutside(a); msg != "" {
				add(ap, "%s", msg)
			}
			switch {
			case strings.TrimSpace(a.Title) == "":
				add(ap, "needs a title")
			case len(a.Title) > maxShort:
				add(ap, "title is longer than %d characters", maxShort)
			case textProblem(a.Title, false) != "":
				add(ap, "title %s", textProblem(a.Title, false))
			case !HasVisible(a.Title):
				add(ap, "title has nothing visible in it")
			}
		}
	}
}

// agendaOutside says how agenda item a falls outside the day's times, or
// "" when it does not (or the times are not both known). Every item ends
// by the day's end and starts before it; only registration may open before
// the day starts, since people arrive early.
func (d Day) agendaOutside(a AgendaItem) string {
	if !d.Start.Valid || !d.End.Valid || !a.Start.Valid || d.End.Minutes <= d.Start.Minutes {
		return ""
	}
	day := d.Start.String() + "-" + d.End.String()
	switch {
	case a.Start.Minutes >= d.End.Minutes:
		return fmt.Sprintf("starts at %s, when the day (%s) has ended", a.Start, day)
	case a.End.Valid && a.End.Minutes > d.End.Minutes:
		return fmt.Sprintf("ends at %s, after the day (%s) ends", a.End, day)
	case a.Start.Minutes < d.Start.Minutes && a.Kind != Registration:
		return fmt.Sprintf("starts at %s, before the day (%s) starts; only registration may open earlier", a.Start, day)
	}
	return ""
}

// maxFeedbackURL bounds a feedback link: longer than any form's address.
const maxFeedbackURL = 2000

// feedbackURLProblem says what is wrong with a course's feedback link,
// or "" when it is none or a whole http:// or https:// address.
func feedbackURLProblem(s string) string {
	if s == "" {
		return ""
	}
	if msg := textProblem(s, false); msg != "" {
		return msg
	}
	if len(s) > maxFeedbackURL {
		return fmt.Sprintf("must be at most %d characters", maxFeedbackURL)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsAny(s, " \t") {
		return "must be a whole web address starting with https:// (or http://), e.g. https://forms.example.org/feedback"
	}
	return ""
}
