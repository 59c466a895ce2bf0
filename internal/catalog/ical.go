package catalog

import (
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"
	_ "time/tzdata" // calendar files must be right on machines without zone files
	"unicode"

	ics "github.com/arran4/golang-ical"
)

// CalendarOptions says how Calendar writes a calendar file.
type CalendarOptions struct {
	// BaseURL is the site's address, e.g. https://training.example.org. It
	// prefixes the course link.
	BaseURL string
	// UIDDomain names the UIDs ("event-1-day-1@DOMAIN"). It must never
	// change for an install, or calendars would add every date again; the
	// install records it once (see database.Site). Empty means the base
	// URL's host.
	UIDDomain string
	// Now is the DTSTAMP: when the file was made.
	Now time.Time
	// Method is the iTIP method: "PUBLISH" (the default, a file to
	// download), "REQUEST" (an invitation sent by e-mail) or "CANCEL".
	Method string
	// Organizer is who sends invitations (iTIP REQUEST and CANCEL need
	// one): an address as a From header writes it ("Plenary Training
	// <noreply@example.org>"), a bare address, or a mailto: URI. It is
	// written as ORGANIZER;CN="name":mailto:address. Left out when empty
	// or not an address.
	Organizer string
	// Attendee is the participant the invitation is for: written as
	// ATTENDEE with CN, ROLE=REQ-PARTICIPANT, PARTSTAT=ACCEPTED (booking
	// the place was the acceptance) and RSVP=FALSE (no reply is
	// expected), on REQUEST and CANCEL files. Left out when its Address
	// is empty.
	Attendee mail.Address
	// Joining adds the online meeting's link, ID and passcode to the
	// description. Only for a booked participant's own e-mail, never for a
	// public file.
	Joining bool
}

// Sequence is the SEQUENCE of the calendar files of an event at version v
// (RFC 5546 asks it to rise whenever an invitation's content changes, or
// calendar programs ignore the update). Each version has three steps, so
// the number rises for every UID across confirmation → joining
// instructions → change → new joining instructions → cancellation:
//
//	3v−2  files without joining details (confirmation, change notice, the
//	      public download)
//	3v−1  the joining instructions' file, with the meeting details
//	3v    a cancellation (METHOD:CANCEL, or a cancelled date)
//
// The version rises with every participant-visible change, the joining
// details included, so new joining instructions always outrank the old
// ones.
func Sequence(version int, method string, joining bool) int {
	switch {
	case strings.EqualFold(method, string(ics.MethodCancel)):
		return max(3*version, 0)
	case joining:
		return max(3*version-1, 0)
	default:
		return max(3*version-2, 0)
	}
}

// Calendar writes an iCalendar (RFC 5545) file for one event.
//
// Each day of the event is its own VEVENT, with a UID that stays the same
// whatever changes ("event-<id>-day-<n>@<host>"), so calendar programs show
// the real hours of each day rather than one block running overnight, and
// an update (same UID, higher SEQUENCE: see Sequence) replaces the entries
// people already have. Times are written in the event's zone with a TZID
// and a VTIMEZONE generated from Go's zone data, so they stay right across
// clock changes. Text is escaped as RFC 5545 asks, line breaks of any kind
// included (a venue's address has several lines). Lines end in CRLF and
// are folded at 75 octets.
func Calendar(c Course, e Event, opts CalendarOptions) []byte {
	cal, w := newCalendar(c, opts)
	if len(e.Days) > 0 {
		cal.AddVTimezone(timezone(e.Location(), e.Days[0].Date.Year, e.Days[len(e.Days)-1].Date.Year))
	}
	w.addEvent(cal, c, e)
	return []byte(cal.Serialize(ics.WithNewLineWindows))
}

// FeedRefresh is how often a subscribed course calendar (CourseCalendar)
// asks to be fetched again, as REFRESH-INTERVAL (RFC 7986) and
// X-PUBLISHED-TTL.
const FeedRefresh = "PT6H"

// CourseCalendar writes one iCalendar file of several dates of a course,
// for a calendar program to subscribe to (METHOD:PUBLISH, whatever
// opts.Method says, and never the joining details): each day of each
// date is a VEVENT exactly as Calendar writes it, with the same UIDs, so
// a date already added from its own file is updated rather than
// duplicated, and a refresh of the subscription updates each entry in
// place. It names the calendar after the course and asks to be fetched
// again every FeedRefresh. Each zone the dates use gets one VTIMEZONE
// covering their years.
func CourseCalendar(c Course, events []Event, opts CalendarOptions) []byte {
	opts.Method, opts.Joining, opts.Attendee = string(ics.MethodPublish), false, mail.Address{}
	cal, w := newCalendar(c, opts)
	cal.SetName(icalText(c.Title))
	cal.SetXWRCalDesc(icalText("Dates of " + c.Title + ": " + w.courseURL(c)))
	cal.SetRefreshInterval(FeedRefresh) // written with VALUE=DURATION
	cal.SetXPublishedTTL(FeedRefresh)
	type span struct {
		loc         *time.Location
		first, last int
	}
	zones := map[string]span{}
	var order []string
	for _, e := range events {
		if len(e.Days) == 0 {
			continue
		}
		loc := e.Location()
		first, last := e.Days[0].Date.Year, e.Days[len(e.Days)-1].Date.Year
		sp, ok := zones[loc.String()]
		if !ok {
			order = append(order, loc.String())
			sp = span{loc, first, last}
		}
		zones[loc.String()] = span{loc, min(sp.first, first), max(sp.last, last)}
	}
	for _, name := range order {
		z := zones[name]
		cal.AddVTimezone(timezone(z.loc, z.first, z.last))
	}
	for _, e := range events {
		w.addEvent(cal, c, e)
	}
	return []byte(cal.Serialize(ics.WithNewLineWindows))
}

// calendarWriter holds what every VEVENT of one file shares.
type calendarWriter struct {
	method                 string
	base, host             string
	now                    time.Time
	joining                bool
	organizer, attendee    mail.Address
	hasOrganizer, invitees bool
}

func (w calendarWriter) courseURL(c Course) string { return w.base + "/courses/" + c.Slug }

// newCalendar starts a calendar file with the options' method and the
// course's name.
func newCalendar(c Course, opts CalendarOptions) (*ics.Calendar, calendarWriter) {
	method := strings.ToUpper(opts.Method)
	if method == "" {
		method = string(ics.MethodPublish)
	}
	base := strings.TrimRight(opts.BaseURL, "/")
	host := opts.UIDDomain
	if host == "" {
		host = "plenary.invalid"
		if u, err := url.Parse(base); err == nil && u.Hostname() != "" {
			host = u.Hostname()
		}
	}
	now := opts.Now.UTC()
	if opts.Now.IsZero() {
		now = time.Now().UTC()
	}
	cal := ics.NewCalendar()
	cal.SetProductId("-//Plenary//Course calendar//EN")
	cal.SetCalscale("GREGORIAN")
	cal.SetMethod(ics.Method(method))
	cal.SetXWRCalName(icalText(c.Title))
	organizer, hasOrganizer := calAddress(opts.Organizer)
	invitation := method == string(ics.MethodRequest) || method == string(ics.MethodCancel)
	return cal, calendarWriter{
		method: method, base: base, host: host, now: now, joining: opts.Joining,
		organizer: organizer, hasOrganizer: hasOrganizer,
		attendee: opts.Attendee, invitees: invitation && safeAddress(opts.Attendee.Address),
	}
}

// addEvent adds one VEVENT per day of e.
func (w calendarWriter) addEvent(cal *ics.Calendar, c Course, e Event) {
	courseURL := w.courseURL(c)
	loc := e.Location()
	tzid := loc.String()
	cancelled := e.Status == Cancelled || w.method == string(ics.MethodCancel)
	seqMethod := w.method
	if cancelled {
		seqMethod = string(ics.MethodCancel)
	}
	sequence := Sequence(e.Version, seqMethod, w.joining)
	location := icalText(eventLocation(e, w.joining))
	for i, d := range e.Days {
		ev := cal.AddEvent(fmt.Sprintf("event-%d-day-%d@%s", e.ID, i+1, w.host))
		ev.SetDtStampTime(w.now)
		if !e.UpdatedAt.IsZero() {
			ev.SetLastModifiedAt(e.UpdatedAt)
		}
		ev.SetSequence(sequence)
		start, end := d.Span(loc)
		ev.SetProperty(ics.ComponentPropertyDtStart, start.Format(icalLocal), ics.WithTZID(tzid))
		ev.SetProperty(ics.ComponentPropertyDtEnd, end.Format(icalLocal), ics.WithTZID(tzid))
		summary := c.Title
		if len(e.Days) > 1 {
			summary = fmt.Sprintf("%s (day %d of %d)", c.Title, i+1, len(e.Days))
		}
		if cancelled {
			summary = "Cancelled: " + summary
		}
		ev.SetSummary(icalText(summary))
		if location != "" {
			ev.SetLocation(location)
		}
		ev.SetDescription(icalText(description(c, e, d, loc, courseURL, w.joining, cancelled)))
		ev.SetURL(courseURL)
		if w.hasOrganizer {
			addCalAddress(&ev.ComponentBase, ics.ComponentPropertyOrganizer, w.organizer)
		}
		if w.invitees {
			addCalAddress(&ev.ComponentBase, ics.ComponentPropertyAttendee, w.attendee,
				"CUTYPE=INDIVIDUAL", "ROLE=REQ-PARTICIPANT", "PARTSTAT=ACCEPTED", "RSVP=FALSE")
		}
		if cancelled {
			ev.SetStatus(ics.ObjectStatusCancelled)
		} else {
			ev.SetStatus(ics.ObjectStatusConfirmed)
		}
		ev.SetTimeTransparency(ics.TransparencyOpaque)
	}
}

// icalLocal is the form of a local DATE-TIME (no Z): the zone is in TZID.
const icalLocal = "20060102T150405"

// icalText prepares a TEXT value for golang-ical, which escapes
// backslashes, commas, semicolons and LF (ics.ToText) but passes a CR
// through as it is, ending the content line early: every line break (CRLF,
// CR, LF) becomes LF, and other control characters, which RFC 5545 does
// not allow in TEXT, go (a tab stays).
func icalText(s string) string {
	s = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(s)
	return strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}

// calAddress reads an organiser given as a From header value, a bare
// address or a mailto: URI.
func calAddress(s string) (mail.Address, bool) {
	s = strings.TrimSpace(s)
	if len(s) >= 7 && strings.EqualFold(s[:7], "mailto:") {
		s = s[7:]
	}
	if s == "" {
		return mail.Address{}, false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || !safeAddress(a.Address) {
		return mail.Address{}, false
	}
	return *a, true
}

// safeAddress reports whether an address can be written as a mailto: URI
// as it is: no quoted local part or other characters a URI or a content
// line would need escaped. Booking forms never accept such addresses.
func safeAddress(addr string) bool {
	if addr == "" || !strings.Contains(addr, "@") {
		return false
	}
	for _, r := range addr {
		if r <= ' ' || r == 0x7f || strings.ContainsRune(`"\;,:<>()[]`, r) {
			return false
		}
	}
	return true
}

// addCalAddress adds an ORGANIZER or ATTENDEE property: mailto:address
// with the name as CN and the given parameters. golang-ical (v0.3.4)
// writes parameter values with backslash escapes, which RFC 5545 does not
// have: "O'Brien" would reach a calendar as "O\'Brien", and a comma would
// cut the name short. So the parameters are written here — the name as a
// quoted-string (RFC 5545 §3.1: any character but control characters and
// DQUOTE, which becomes ') — and passed to the library as part of the
// property name, which it writes as it is. Folding still applies.
func addCalAddress(cb *ics.ComponentBase, prop ics.ComponentProperty, a mail.Address, params ...string) {
	name := string(prop)
	cn := strings.Map(func(r rune) rune {
		switch {
		case r == '"':
			return '\''
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, strings.TrimSpace(a.Name))
	if cn != "" {
		name += `;CN="` + cn + `"`
	}
	for _, p := range params {
		name += ";" + p
	}
	cb.AddProperty(ics.ComponentProperty(name), "mailto:"+a.Address)
}

func eventLocation(e Event, joining bool) string {
	var venue string
	if e.Venue.Name != "" {
		venue = oneLine(e.Venue.Name)
		if addr := oneLine(e.Venue.Address); addr != "" {
			venue += ", " + addr
		}
	}
	online := "Online"
	if e.Meeting.Provider != "" {
		online = "Online (" + e.Meeting.Provider + ")"
	}
	if joining && e.Meeting.JoinURL != "" {
		online = e.Meeting.JoinURL
	}
	switch e.Format {
	case Online:
		return online
	case Hybrid:
		if venue == "" {
			return online
		}
		return venue + " or " + online
	default:
		return venue
	}
}

func description(c Course, e Event, d Day, loc *time.Location, courseURL string, joining, cancelled bool) string {
	var b strings.Builder
	if cancelled {
		b.WriteString("This date has been cancelled.\n\n")
	}
	b.WriteString(c.Title + "\n")
	b.WriteString(d.Date.In(time.UTC).Format("Monday 2 January 2006") + ", " + d.TimeRange(loc) + "\n")
	b.WriteString(e.Format.Label() + "\n")
	if len(d.Agenda) > 0 {
		b.WriteString("\nAgenda\n")
		for _, a := range d.Agenda {
			t := a.Start.String()
			if a.HasEnd() {
				t += "–" + a.End.String()
			}
			b.WriteString(t + " " + a.Title + "\n")
		}
	}
	if joining && (e.Meeting.JoinURL != "" || e.Meeting.ID != "") {
		b.WriteString("\nJoining details\n")
		if e.Meeting.JoinURL != "" {
			b.WriteString("Join: " + e.Meeting.JoinURL + "\n")
		}
		if e.Meeting.ID != "" {
			b.WriteString("Meeting ID: " + e.Meeting.ID + "\n")
		}
		if e.Meeting.Passcode != "" {
			b.WriteString("Passcode: " + e.Meeting.Passcode + "\n")
		}
	}
	b.WriteString("\nCourse details: " + courseURL)
	return b.String()
}

// oneLine joins the non-empty lines of s (split at CRLF, CR or LF) with
// commas.
func oneLine(s string) string {
	var parts []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, ", ")
}

// timezone builds a VTIMEZONE for loc that is right for every instant from
// the start of firstYear to the end of lastYear: one observance for the
// rules in force on 1 January of firstYear, then one for each transition
// up to the end of lastYear, all taken from Go's zone data
// (time.Time.ZoneBounds). Each observance has a single DTSTART and no
// RRULE, which is plain RFC 5545 and avoids guessing rules.
func timezone(loc *time.Location, firstYear, lastYear int) *ics.VTimezone {
	tz := ics.NewTimezone(loc.String())
	from := time.Date(firstYear, time.January, 1, 0, 0, 0, 0, loc)
	until := time.Date(lastYear+1, time.January, 1, 0, 0, 0, 0, loc)

	start, end := from.ZoneBounds()
	if start.IsZero() {
		// The zone has always had these rules: one observance from 1970.
		addObservance(tz, from, time.Date(1970, time.January, 1, 0, 0, 0, 0, time.UTC), true)
	} else {
		addObservance(tz, start, time.Time{}, false)
	}
	for t := end; !t.IsZero() && t.Before(until); {
		addObservance(tz, t, time.Time{}, false)
		_, t = t.ZoneBounds()
	}
	return tz
}

// addObservance adds a STANDARD or DAYLIGHT component for the zone rules
// that begin at the instant at. Its DTSTART is the local time just before
// the change (in the old offset), as RFC 5545 asks. With fixed set, the
// zone never changes and the onset is the given wall time.
func addObservance(tz *ics.VTimezone, at time.Time, onset time.Time, fixed bool) {
	name, offTo := at.Zone()
	offFrom := offTo
	var dtstart string
	if fixed {
		dtstart = onset.Format(icalLocal)
	} else {
		_, offFrom = at.Add(-time.Second).Zone()
		dtstart = at.UTC().Add(time.Duration(offFrom) * time.Second).Format(icalLocal)
	}
	var c *ics.ComponentBase
	if at.IsDST() {
		d := &ics.Daylight{}
		tz.Components = append(tz.Components, d)
		c = &d.ComponentBase
	} else {
		c = &tz.AddStandard().ComponentBase
	}
	c.SetProperty(ics.ComponentPropertyDtStart, dtstart)
	c.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetfrom), offset(offFrom))
	c.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetto), offset(offTo))
	if name != "" && !strings.ContainsAny(name, "+-") {
		c.SetProperty(ics.ComponentProperty(ics.PropertyTzname), name)
	}
}

// offset writes a UTC offset in seconds as +HHMM (or +HHMMSS).
func offset(secs int) string {
	sign := '+'
	if secs < 0 {
		sign, secs = '-', -secs
	}
	h, m, s := secs/3600, secs/60%60, secs%60
	if s != 0 {
		return fmt.Sprintf("%c%02d%02d%02d", sign, h, m, s)
	}
	return fmt.Sprintf("%c%02d%02d", sign, h, m)
}
