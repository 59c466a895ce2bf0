package catalog

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
)

func mustClock(t *testing.T, s string) Clock {
	t.Helper()
	c, err := ParseClock(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func icalEvent(t *testing.T, zone string, days ...Date) Event {
	t.Helper()
	e := Event{
		ID:       42,
		TimeZone: zone,
		Format:   Online,
		Status:   Scheduled,
		Version:  3,
		Meeting:  Meeting{Provider: "Zoom", JoinURL: "https://zoom.us/j/123456789", ID: "123 456 789", Passcode: "s3cret-pass"},
	}
	for _, d := range days {
		e.Days = append(e.Days, Day{
			Date: d, Start: mustClock(t, "10:00"), End: mustClock(t, "17:00"),
			Agenda: []AgendaItem{
				{Kind: Registration, Start: mustClock(t, "09:45"), Title: "Registration"},
				{Kind: Teaching, Start: mustClock(t, "10:00"), End: mustClock(t, "12:30"), Title: "Reviewing the DIT model; formulation, and the IPAF"},
				{Kind: Lunch, Start: mustClock(t, "12:30"), End: mustClock(t, "13:15"), Title: "Lunch"},
			},
		})
	}
	e.computeSpan()
	return e
}

var icalCourse = Course{ID: 7, Slug: "dit-refresher", Title: "Dynamic Interpersonal Therapy (DIT): a one-day refresher for practitioners, with a long title that must be folded"}

// checkStrict checks the raw text against RFC 5545 rules independently of
// the library: CRLF line ends only, lines at most 75 octets, folded lines
// start with one space, every DTSTART/DTEND in a VEVENT has a TZID, and
// there is a VTIMEZONE for each TZID used.
func checkStrict(t *testing.T, raw []byte) {
	t.Helper()
	s := string(raw)
	if !strings.HasSuffix(s, "\r\n") {
		t.Errorf("file does not end in CRLF")
	}
	if strings.Contains(strings.ReplaceAll(s, "\r\n", ""), "\n") || strings.Contains(strings.ReplaceAll(s, "\r\n", ""), "\r") {
		t.Errorf("file has a bare LF or CR")
	}
	lines := strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n")
	for i, l := range lines {
		if len(l) > 75 {
			t.Errorf("line %d is %d octets, want at most 75: %q", i+1, len(l), l)
		}
		if l == "" {
			t.Errorf("line %d is empty", i+1)
		}
	}
	// Unfold, then look at content lines.
	var unfolded []string
	for _, l := range lines {
		if strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") {
			if len(unfolded) == 0 {
				t.Fatalf("first line is a continuation")
			}
			unfolded[len(unfolded)-1] += l[1:]
			continue
		}
		unfolded = append(unfolded, l)
	}
	if unfolded[0] != "BEGIN:VCALENDAR" || unfolded[len(unfolded)-1] != "END:VCALENDAR" {
		t.Errorf("file is not one VCALENDAR: starts %q, ends %q", unfolded[0], unfolded[len(unfolded)-1])
	}
	var stack []string
	tzids := map[string]bool{}
	used := map[string]bool{}
	tzidRE := regexp.MustCompile(`^(DTSTART|DTEND);TZID=([^:;]+):\d{8}T\d{6}$`)
	for _, l := range unfolded {
		switch {
		case strings.HasPrefix(l, "BEGIN:"):
			stack = append(stack, l[6:])
		case strings.HasPrefix(l, "END:"):
			if len(stack) == 0 || stack[len(stack)-1] != l[4:] {
				t.Fatalf("%q does not close %v", l, stack)
			}
			stack = stack[:len(stack)-1]
		case len(stack) > 0 && stack[len(stack)-1] == "VTIMEZONE" && strings.HasPrefix(l, "TZID:"):
			tzids[l[5:]] = true
		case len(stack) > 0 && stack[len(stack)-1] == "VEVENT" && (strings.HasPrefix(l, "DTSTART") || strings.HasPrefix(l, "DTEND")):
			m := tzidRE.FindStringSubmatch(l)
			if m == nil {
				t.Errorf("got %q, want DTSTART/DTEND with a TZID and a local time", l)
				continue
			}
			used[m[2]] = true
		}
	}
	if len(stack) != 0 {
		t.Errorf("unclosed components %v", stack)
	}
	for z := range used {
		if !tzids[z] {
			t.Errorf("TZID %s used but no VTIMEZONE defines it", z)
		}
	}
	for _, p := range []string{"VERSION:2.0", "PRODID:", "METHOD:", "BEGIN:VTIMEZONE", "DTSTAMP:", "UID:", "SEQUENCE:", "SUMMARY:", "LOCATION:", "DESCRIPTION:", "URL:"} {
		if !strings.Contains(s, "\r\n"+p) {
			t.Errorf("no %s line", p)
		}
	}
}

func TestCalendarInstants(t *testing.T) {
	now := time.Date(2022, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		zone   string
		days   []Date
		starts []time.Time // UTC
		tzname []string    // STANDARD/DAYLIGHT names expected in the VTIMEZONE
	}{
		{"June in London is BST", "Europe/London", []Date{{Year: 2022, Month: 6, Day: 10}},
			[]time.Time{time.Date(2022, 6, 10, 9, 0, 0, 0, time.UTC)}, []string{"BST", "GMT"}},
		{"January in London is GMT", "Europe/London", []Date{{Year: 2023, Month: 1, Day: 10}},
			[]time.Time{time.Date(2023, 1, 10, 10, 0, 0, 0, time.UTC)}, []string{"GMT", "BST"}},
		{"across the last Sunday of March", "Europe/London", []Date{{Year: 2022, Month: 3, Day: 25}, {Year: 2022, Month: 3, Day: 28}},
			[]time.Time{time.Date(2022, 3, 25, 10, 0, 0, 0, time.UTC), time.Date(2022, 3, 28, 9, 0, 0, 0, time.UTC)}, []string{"BST", "GMT"}},
		{"across the last Sunday of October", "Europe/London", []Date{{Year: 2022, Month: 10, Day: 28}, {Year: 2022, Month: 10, Day: 31}},
			[]time.Time{time.Date(2022, 10, 28, 9, 0, 0, 0, time.UTC), time.Date(2022, 10, 31, 10, 0, 0, 0, time.UTC)}, []string{"BST", "GMT"}},
		{"New Year across two years", "Europe/London", []Date{{Year: 2022, Month: 12, Day: 30}, {Year: 2023, Month: 1, Day: 3}},
			[]time.Time{time.Date(2022, 12, 30, 10, 0, 0, 0, time.UTC), time.Date(2023, 1, 3, 10, 0, 0, 0, time.UTC)}, []string{"GMT"}},
		{"New York in July", "America/New_York", []Date{{Year: 2024, Month: 7, Day: 1}},
			[]time.Time{time.Date(2024, 7, 1, 14, 0, 0, 0, time.UTC)}, []string{"EDT", "EST"}},
		{"Sydney in January (southern summer)", "Australia/Sydney", []Date{{Year: 2024, Month: 1, Day: 15}},
			[]time.Time{time.Date(2024, 1, 14, 23, 0, 0, 0, time.UTC)}, []string{"AEDT", "AEST"}},
		{"Tokyo has no clock changes", "Asia/Tokyo", []Date{{Year: 2024, Month: 7, Day: 1}},
			[]time.Time{time.Date(2024, 7, 1, 1, 0, 0, 0, time.UTC)}, []string{"JST"}},
		{"UTC", "UTC", []Date{{Year: 2024, Month: 7, Day: 1}},
			[]time.Time{time.Date(2024, 7, 1, 10, 0, 0, 0, time.UTC)}, []string{"UTC"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := icalEvent(t, tt.zone, tt.days...)
			raw := Calendar(icalCourse, e, CalendarOptions{BaseURL: "https://training.example.org", Now: now})
			checkStrict(t, raw)
			for _, n := range tt.tzname {
				if !bytes.Contains(raw, []byte("TZNAME:"+n+"\r\n")) {
					t.Errorf("VTIMEZONE has no TZNAME:%s", n)
				}
			}

			cal, err := ics.ParseCalendar(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("ParseCalendar: %v", err)
			}
			evs := cal.Events()
			if len(evs) != len(tt.starts) {
				t.Fatalf("got %d VEVENTs, want %d", len(evs), len(tt.starts))
			}
			for i, ev := range evs {
				start, err := ev.GetStartAt()
				if err != nil {
					t.Fatalf("day %d: DTSTART: %v", i+1, err)
				}
				if !start.Equal(tt.starts[i]) {
					t.Errorf("day %d: got start %s, want %s", i+1, start.UTC(), tt.starts[i])
				}
				end, err := ev.GetEndAt()
				if err != nil {
					t.Fatalf("day %d: DTEND: %v", i+1, err)
				}
				if got := end.Sub(start); got != 7*time.Hour {
					t.Errorf("day %d: got length %s, want 7h", i+1, got)
				}
				if got, want := ev.Id(), "event-42-day-"+string(rune('1'+i))+"@training.example.org"; got != want {
					t.Errorf("day %d: got UID %q, want %q", i+1, got, want)
				}
				if got := ev.GetProperty(ics.ComponentPropertySequence).Value; got != "7" {
					t.Errorf("got SEQUENCE %s, want 7 (version 3, no joining details: 3×3−2)", got)
				}
			}
			// The VTIMEZONE must say the same as Go at each start.
			checkTimezone(t, cal, tt.zone, tt.starts)
		})
	}
}

// checkTimezone reads the VTIMEZONE back and checks that the observance in
// force at each instant has the offset Go's zone data gives.
func checkTimezone(t *testing.T, cal *ics.Calendar, zone string, instants []time.Time) {
	t.Helper()
	tzs := cal.Timezones()
	if len(tzs) != 1 {
		t.Fatalf("got %d VTIMEZONEs, want 1", len(tzs))
	}
	if got := tzs[0].GetProperty(ics.ComponentPropertyTzid).Value; got != zone {
		t.Errorf("got TZID %q, want %q", got, zone)
	}
	type obs struct {
		onsetUTC time.Time
		to       string
	}
	var list []obs
	for _, c := range tzs[0].SubComponents() {
		var cb *ics.ComponentBase
		switch o := c.(type) {
		case *ics.Standard:
			cb = &o.ComponentBase
		case *ics.Daylight:
			cb = &o.ComponentBase
		default:
			t.Fatalf("unexpected %T in VTIMEZONE", c)
		}
		local, err := time.Parse(icalLocal, cb.GetProperty(ics.ComponentPropertyDtStart).Value)
		if err != nil {
			t.Fatal(err)
		}
		from := cb.GetProperty(ics.ComponentProperty(ics.PropertyTzoffsetfrom)).Value
		to := cb.GetProperty(ics.ComponentProperty(ics.PropertyTzoffsetto)).Value
		list = append(list, obs{local.Add(-parseOffset(t, from)), to})
	}
	for _, at := range instants {
		var cur *obs
		for i := range list {
			if !list[i].onsetUTC.After(at) && (cur == nil || list[i].onsetUTC.After(cur.onsetUTC)) {
				cur = &list[i]
			}
		}
		loc, _ := time.LoadLocation(zone)
		_, off := at.In(loc).Zone()
		if cur == nil {
			t.Errorf("no observance in force at %s", at)
			continue
		}
		if cur.to != offset(off) {
			t.Errorf("at %s: VTIMEZONE gives %s, want %s", at, cur.to, offset(off))
		}
	}
}

func parseOffset(t *testing.T, s string) time.Duration {
	t.Helper()
	if len(s) != 5 {
		t.Fatalf("offset %q", s)
	}
	d := time.Duration((int(s[1]-'0')*10+int(s[2]-'0'))*60+int(s[3]-'0')*10+int(s[4]-'0')) * time.Minute
	if s[0] == '-' {
		d = -d
	}
	return d
}

func TestCalendarContent(t *testing.T) {
	now := time.Date(2022, 5, 1, 12, 0, 0, 0, time.UTC)
	online := icalEvent(t, "Europe/London", Date{Year: 2022, Month: 6, Day: 10})
	inPerson := icalEvent(t, "Europe/London", Date{Year: 2022, Month: 6, Day: 10})
	inPerson.Format = InPerson
	inPerson.Meeting = Meeting{}
	inPerson.Venue = Venue{Name: "The Training Centre", Address: "120 Belsize Lane\nLondon NW3 5BA"}
	cancelled := online
	cancelled.Status = Cancelled

	tests := []struct {
		name    string
		e       Event
		opts    CalendarOptions
		want    []string
		notWant []string
	}{
		{"public online", online, CalendarOptions{BaseURL: "https://training.example.org/", Now: now},
			[]string{"METHOD:PUBLISH", "LOCATION:Online (Zoom)", "STATUS:CONFIRMED", "URL:https://training.example.org/courses/dit-refresher", "DTSTAMP:20220501T120000Z", "DTSTART;TZID=Europe/London:20220610T100000", "DTEND;TZID=Europe/London:20220610T170000"},
			[]string{"s3cret-pass", "zoom.us/j", "123 456 789", "Cancelled"}},
		{"in person", inPerson, CalendarOptions{BaseURL: "https://training.example.org", Now: now},
			[]string{`LOCATION:The Training Centre\, 120 Belsize Lane\, London NW3 5BA`},
			nil},
		{"cancelled", cancelled, CalendarOptions{BaseURL: "https://training.example.org", Now: now, Method: "cancel"},
			[]string{"METHOD:CANCEL", "STATUS:CANCELLED", "SUMMARY:Cancelled: "},
			[]string{"STATUS:CONFIRMED"}},
		{"joining details for a participant", online, CalendarOptions{BaseURL: "https://training.example.org", Now: now, Method: "REQUEST", Organizer: "mailto:courses@example.org", Joining: true},
			[]string{"METHOD:REQUEST", "LOCATION:https://zoom.us/j/123456789", "Passcode: s3cret-pass", "ORGANIZER:mailto:courses@example.org"},
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := Calendar(icalCourse, tt.e, tt.opts)
			checkStrict(t, raw)
			// Search the unfolded text.
			text := strings.ReplaceAll(string(raw), "\r\n ", "")
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("no %q in\n%s", w, text)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(text, w) {
					t.Errorf("got %q, want it absent", w)
				}
			}
			cal, err := ics.ParseCalendar(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("ParseCalendar: %v", err)
			}
			ev := cal.Events()[0]
			if got := ev.GetProperty(ics.ComponentPropertySummary).Value; !strings.Contains(got, icalCourse.Title) {
				t.Errorf("got SUMMARY %q, want the course title", got)
			}
			desc := ics.FromText(ev.GetProperty(ics.ComponentPropertyDescription).Value)
			if !strings.Contains(desc, "10:00–17:00 UK time (BST)") || !strings.Contains(desc, "Reviewing the DIT model; formulation, and the IPAF") {
				t.Errorf("description lacks the times or agenda: %q", desc)
			}
		})
	}
}

func TestOffset(t *testing.T) {
	tests := []struct {
		secs int
		want string
	}{
		{0, "+0000"}, {3600, "+0100"}, {-18000, "-0500"}, {19800, "+0530"}, {-75, "-000115"},
	}
	for _, tt := range tests {
		if got := offset(tt.secs); got != tt.want {
			t.Errorf("offset(%d): got %q, want %q", tt.secs, got, tt.want)
		}
	}
}
