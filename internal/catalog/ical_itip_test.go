package catalog

import (
	"bytes"
	"net/mail"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
)

// unfoldLines returns the content lines of a calendar file, unfolded.
func unfoldLines(raw []byte) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSuffix(string(raw), "\r\n"), "\r\n") {
		if strings.HasPrefix(l, " ") && len(out) > 0 {
			out[len(out)-1] += l[1:]
			continue
		}
		out = append(out, l)
	}
	return out
}

// propLines returns the unfolded content lines of the named property.
func propLines(raw []byte, name string) []string {
	var out []string
	for _, l := range unfoldLines(raw) {
		if strings.HasPrefix(l, name+":") || strings.HasPrefix(l, name+";") {
			out = append(out, l)
		}
	}
	return out
}

// checkTextEscaped checks, independently of the library, that a TEXT
// value has every comma, semicolon and backslash escaped (RFC 5545
// §3.3.11) and no control characters.
func checkTextEscaped(t *testing.T, line string) {
	t.Helper()
	_, value, ok := strings.Cut(line, ":")
	if !ok {
		t.Fatalf("no value in %q", line)
	}
	for i := 0; i < len(value); i++ {
		switch c := value[i]; {
		case c == '\\':
			if i+1 >= len(value) || !strings.ContainsRune(`\;,nN`, rune(value[i+1])) {
				t.Errorf("bad escape at %d in %q", i, line)
			}
			i++
		case c == ',' || c == ';':
			t.Errorf("unescaped %q at %d in %q", c, i, line)
		case c < 0x20 && c != '\t', c == 0x7f:
			t.Errorf("control character %#x in %q", c, line)
		}
	}
}

// TestCalendarStrictClients writes an invitation for a hybrid date whose
// venue and meeting fields hold line breaks (CRLF, CR and LF), commas and
// semicolons, to an attendee whose name needs quoting, and checks the
// file as a strict client would: every text escaped, ORGANIZER and
// ATTENDEE valid mailto: addresses with a quoted CN, the parameters iTIP
// expects, and the values read back as written.
func TestCalendarStrictClients(t *testing.T) {
	e := icalEvent(t, "Europe/London", Date{Year: 2026, Month: 6, Day: 10}, Date{Year: 2026, Month: 6, Day: 11})
	e.Format = Hybrid
	e.Version = 2
	e.Venue = Venue{Name: "Hall; West, Wing\r\nAnnexe", Address: "1 Road,\r\nFlat 2; rear\rTown\nAB1 2CD"}
	e.Meeting = Meeting{Provider: "Zoom", JoinURL: "https://zoom.example/j/1?pwd=a,b;c", ID: "812\r\n0000", Passcode: "a,b;c\r\nd"}
	course := icalCourse
	course.Title = "DIT; refresher, day\r\none"
	raw := Calendar(course, e, CalendarOptions{
		BaseURL: "https://training.example.org", Now: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC), Method: "REQUEST",
		Organizer: `Plenary Training <noreply@training.example.org>`,
		Attendee:  mail.Address{Name: `Dr Zoë O'Brien, "Zo"; MSc`, Address: "zoe@example.org"}, Joining: true,
	})
	checkStrict(t, raw)
	for _, p := range []string{"SUMMARY", "LOCATION", "DESCRIPTION", "X-WR-CALNAME"} {
		ls := propLines(raw, p)
		if len(ls) == 0 {
			t.Fatalf("no %s", p)
		}
		for _, l := range ls {
			checkTextEscaped(t, l)
		}
	}
	org := propLines(raw, "ORGANIZER")
	att := propLines(raw, "ATTENDEE")
	if len(org) != 2 || len(att) != 2 {
		t.Fatalf("got %d ORGANIZER and %d ATTENDEE lines, want one each per day:\n%s", len(org), len(att), raw)
	}
	if want := `ORGANIZER;CN="Plenary Training":mailto:noreply@training.example.org`; org[0] != want {
		t.Errorf("got %q, want %q", org[0], want)
	}
	if want := `ATTENDEE;CN="Dr Zoë O'Brien, 'Zo'; MSc";CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=FALSE:mailto:zoe@example.org`; att[0] != want {
		t.Errorf("got %q, want %q", att[0], want)
	}

	cal, err := ics.ParseCalendar(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("ParseCalendar: %v", err)
	}
	if len(cal.Events()) != 2 {
		t.Fatalf("got %d VEVENTs, want 2", len(cal.Events()))
	}
	for _, ev := range cal.Events() {
		o := ev.GetProperty(ics.ComponentPropertyOrganizer)
		if o.Value != "mailto:noreply@training.example.org" || o.ICalParameters["CN"][0] != "Plenary Training" {
			t.Errorf("ORGANIZER read back as %q %v", o.Value, o.ICalParameters)
		}
		a := ev.Attendees()
		if len(a) != 1 || a[0].Email() != "zoe@example.org" || a[0].ICalParameters["CN"][0] != `Dr Zoë O'Brien, 'Zo'; MSc` ||
			a[0].ParticipationStatus() != ics.ParticipationStatusAccepted {
			t.Errorf("ATTENDEE read back as %+v", a)
		}
		if got := ev.GetProperty(ics.ComponentPropertySequence).Value; got != "5" {
			t.Errorf("SEQUENCE %s, want 5 (joining instructions at version 2)", got)
		}
		if got := ev.GetProperty(ics.ComponentPropertySummary).Value; !strings.HasPrefix(got, "DIT; refresher, day\none (day ") {
			t.Errorf("SUMMARY read back as %q", got)
		}
		loc := ev.GetProperty(ics.ComponentPropertyLocation).Value
		if want := "Hall; West, Wing, Annexe, 1 Road,, Flat 2; rear, Town, AB1 2CD or https://zoom.example/j/1?pwd=a,b;c"; loc != want {
			t.Errorf("LOCATION read back as %q, want %q", loc, want)
		}
		desc := ev.GetProperty(ics.ComponentPropertyDescription).Value
		for _, want := range []string{"Passcode: a,b;c\nd\n", "Meeting ID: 812\n0000\n", "Join: https://zoom.example/j/1?pwd=a,b;c\n"} {
			if !strings.Contains(desc, want) {
				t.Errorf("DESCRIPTION read back lacks %q:\n%s", want, desc)
			}
		}
		if strings.Contains(desc, "\r") {
			t.Errorf("DESCRIPTION keeps a CR")
		}
	}
}

// TestCalendarAttendeeOnlyOnInvitations: the public download names nobody;
// a cancellation names the attendee; an organiser that is not an address
// is left out rather than written wrong.
func TestCalendarAttendeeOnlyOnInvitations(t *testing.T) {
	e := icalEvent(t, "Europe/London", Date{Year: 2026, Month: 6, Day: 10})
	ann := mail.Address{Name: "Ann", Address: "ann@example.org"}
	tests := []struct {
		method, organizer string
		wantOrg, wantAtt  bool
	}{
		{"PUBLISH", "", false, false},
		{"PUBLISH", "noreply@training.example", true, false},
		{"REQUEST", "mailto:noreply@training.example", true, true},
		{"CANCEL", "Plenary <noreply@training.example>", true, true},
		{"REQUEST", "Plenary", false, true},
		{"REQUEST", `"x,y"@training.example`, false, true},
	}
	for _, tt := range tests {
		raw := Calendar(icalCourse, e, CalendarOptions{Method: tt.method, Organizer: tt.organizer, Attendee: ann})
		checkStrict(t, raw)
		if got := len(propLines(raw, "ORGANIZER")) > 0; got != tt.wantOrg {
			t.Errorf("%s with organiser %q: ORGANIZER %v, want %v", tt.method, tt.organizer, got, tt.wantOrg)
		}
		if got := len(propLines(raw, "ATTENDEE")) > 0; got != tt.wantAtt {
			t.Errorf("%s: ATTENDEE %v, want %v", tt.method, got, tt.wantAtt)
		}
	}
}

// TestSequenceRises follows one date's UID through the files a confirmed
// participant gets — confirmation, joining instructions, a change, new
// joining instructions, a cancellation — and checks SEQUENCE rises at
// every step, as RFC 5546 asks for each update to be taken.
func TestSequenceRises(t *testing.T) {
	e := icalEvent(t, "Europe/London", Date{Year: 2026, Month: 6, Day: 10})
	steps := []struct {
		name    string
		version int
		method  string
		joining bool
	}{
		{"confirmation", 1, "REQUEST", false},
		{"joining instructions", 1, "REQUEST", true},
		{"change notice", 2, "REQUEST", false},
		{"new joining instructions", 2, "REQUEST", true},
		{"passcode change: newer joining instructions", 3, "REQUEST", true},
		{"booking cancelled", 3, "CANCEL", false},
		{"date cancelled", 4, "CANCEL", false},
	}
	last := -1
	for _, s := range steps {
		e.Version = s.version
		raw := Calendar(icalCourse, e, CalendarOptions{Method: s.method, Joining: s.joining, Organizer: "noreply@training.example"})
		cal, err := ics.ParseCalendar(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		var seq int
		for _, c := range cal.Events()[0].GetProperty(ics.ComponentPropertySequence).Value {
			seq = seq*10 + int(c-'0')
		}
		if seq != Sequence(s.version, s.method, s.joining) {
			t.Errorf("%s: file says %d, Sequence says %d", s.name, seq, Sequence(s.version, s.method, s.joining))
		}
		if seq <= last {
			t.Errorf("%s: SEQUENCE %d does not rise above %d", s.name, seq, last)
		}
		last = seq
	}
}
