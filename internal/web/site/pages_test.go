package site

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

func TestPages(t *testing.T) {
	t.Parallel()
	ts := newTestSite(t)
	june := ts.event(t, "dit-refresher", "2022-06")
	past := ts.event(t, "dit-refresher", "2021-11")
	draft := ts.event(t, "secret-draft", "2022-08")

	tests := []struct {
		name    string
		path    string
		status  int
		want    []string
		notWant []string
	}{
		{"catalogue", "/", 200,
			[]string{"<h1>Courses</h1>", `<meta name="description" content="Courses for professionals from Plenary`, "DIT refresher", "MBT foundation", "Supervision skills",
				"Friday 10 June 2022", "10:00–17:00 UK time (BST)", "Online (Zoom)", "From £95.00", "£1,480.00", "Free",
				"Dynamic Interpersonal Therapy", `href="/courses/dit-refresher"`, `<option value="online">Online</option>`},
			[]string{"Unreleased draft course", "Hidden topic", "Friday 5 November 2021", "Monday 4 July 2022"}},
		{"catalogue by topic", "/?topic=Mentalization", 200,
			[]string{"MBT foundation", `<option value="Mentalization" selected>`, "Clear filters"},
			[]string{"DIT refresher", "Supervision skills"}},
		{"catalogue by topic, any case", "/?topic=mentalization", 200,
			[]string{"MBT foundation"}, []string{"DIT refresher"}},
		{"catalogue by format", "/?format=in_person", 200,
			[]string{"MBT foundation", "Supervision skills", `<option value="in_person" selected>`},
			[]string{"DIT refresher"}},
		{"catalogue by format and topic", "/?format=online&topic=Supervision", 200,
			[]string{"Supervision skills"}, []string{"DIT refresher", "MBT foundation"}},
		{"unknown topic", "/?topic=Astrology", 200,
			[]string{"No courses match", `href="/"`}, []string{"DIT refresher"}},
		// What a visitor can put in a URL that PostgreSQL would refuse (a
		// NUL, bad UTF-8) finds nothing, on both engines: never a 500.
		{"topic with a NUL", "/?topic=Mentalization%00", 200, []string{"No courses match"}, []string{"MBT foundation"}},
		{"topic of bad UTF-8", "/?topic=%ff%fe", 200, []string{"No courses match"}, []string{"MBT foundation"}},
		{"topic too long, cut between characters", "/?topic=" + strings.Repeat("%C3%84", 150), 200, []string{"No courses match"}, nil},
		{"slug with a NUL", "/courses/dit-refresher%00", 404, nil, nil},
		{"slug of bad UTF-8", "/courses/%ff", 404, nil, nil},
		{"unknown format is ignored", "/?format=carrier-pigeon", 200,
			[]string{"DIT refresher", "MBT foundation"}, nil},
		{"odd filter text", "/?topic=%3Cscript%3E&format=%00", 200,
			[]string{"No courses match"}, []string{"<script>"}},
		{"course", "/courses/dit-refresher", 200,
			[]string{"<h1>DIT refresher</h1>", "A one-day online refresher", "About this course", "Who it is for", "Aims",
				"Prerequisites", "How it runs", "<strong>refresh</strong>", "<h3>Overview</h3>", "<li>Revisit the IPAF</li>",
				"Standard", "£120.00", "NHS", "£95.00",
				"Friday 10 June 2022", "10:00–17:00 UK time (BST)", "1 day, 10:00–17:00",
				`<meta name="description" content="A one-day online refresher in Dynamic Interpersonal Therapy.">`,
				"Friday 13 January 2023", "10:00–17:00 UK time (GMT)",
				"Reviewing the DIT model", "Coffee break", `class="agenda__quiet"`, "09:45", "Registration and welcome",
				"Past date", "Friday 5 November 2021",
				"Joining instructions are e-mailed at least one working day before the course.",
				"Dates occasionally change; if yours does we will tell you in good time.",
				"Book a place", "Places available", fmt.Sprintf(`href="/events/%d/book"`, june),
				fmt.Sprintf(`href="/events/%d.ics"`, june), `href="/system-check"`},
			[]string{"<script>alert", "javascript:", fmt.Sprintf(`href="/events/%d.ics"`, past), fmt.Sprintf(`href="/events/%d/book"`, past),
				"<h1>Overview", "Booking opens soon", "coming soon", "Hear about new dates", "hours)"}},
		{"multi-day in person course", "/courses/mbt-foundation", 200,
			[]string{"Day 1: Thursday 27 October 2022", "09:30–16:30 UK time (BST)", "Day 4: Tuesday 1 November 2022", "09:30–16:30 UK time (GMT)",
				"The Training Centre", "120 Belsize Lane<br>London NW3 5BA", "In person", "4 days, 09:30–16:30 each day",
				"Cancelled", "Monday 4 July 2022", "£1,480.00",
				"Joining instructions are e-mailed at least 3 working days before the course."},
			[]string{"Past date"}},
		{"free hybrid course", "/courses/supervision-skills", 200,
			[]string{"Free", "Hybrid (in person or online)", "Room 4, The Training Centre", "14:00–16:30 UK time (BST)", "1 day, 14:00–16:30"},
			nil},
		{"draft course", "/courses/secret-draft", 404, []string{"Page not found"}, []string{"Unreleased draft course"}},
		{"unknown course", "/courses/no-such-course", 404, []string{"Page not found"}, nil},
		{"unknown path", "/no/such/page", 404, []string{"Page not found", `<a href="/">`}, nil},
		{"system check", "/system-check", 200,
			[]string{"<h1>Check your camera, microphone and speakers</h1>", "Test with your meeting provider", "https://zoom.us/test",
				"What to check", "js/system-check.js", "data-no-js"},
			[]string{"Our online courses use", "Your course uses"}},
		{"system check for an online date", fmt.Sprintf("/system-check?event=%d", june), 200,
			[]string{"Test with Zoom", "Your course uses Zoom.", `href="https://zoom.us/test"`, "Join a Zoom test meeting"},
			[]string{"Test with your meeting provider"}},
		{"system check for a hybrid date", fmt.Sprintf("/system-check?event=%d", ts.event(t, "supervision-skills", "2022-09")), 200,
			[]string{"Your course uses Zoom."}, nil},
		{"system check for an in-person date", fmt.Sprintf("/system-check?event=%d", ts.event(t, "mbt-foundation", "2022-10")), 200,
			[]string{"Test with your meeting provider"}, []string{"Your course uses"}},
		{"system check for a draft's date", fmt.Sprintf("/system-check?event=%d", draft), 200,
			[]string{"Test with your meeting provider"}, []string{"Your course uses", "Teams"}},
		{"system check for an unknown date", "/system-check?event=999999", 200,
			[]string{"Test with your meeting provider"}, []string{"Your course uses"}},
		{"system check with a bad event", "/system-check?event=x%3Cscript%3E", 200,
			[]string{"Test with your meeting provider"}, []string{"<script>"}},
		{"privacy", "/privacy", 200,
			[]string{"<h1>How we handle your information</h1>", "special-category data", "erased <strong>30 days after the course</strong>",
				"erased 365 days after each is sent", "without your name or e-mail address",
				"only the course team sees it", "e-mails we send you", "reply to any e-mail we sent you", `href="/cookies"`,
				`<meta name="description"`},
			[]string{"mailto:", "Page-view counts"}},
		{"cookies", "/cookies", 200,
			[]string{"plenary_consent", `<div class="table-scroll" tabindex="0" role="region" aria-label="Table of the cookies we set">`, `href="/privacy"`, "Strictly necessary", "6 months", "under 16", "parent or carer", "We do not use any analytics", `value="accept"`, `value="reject"`}, nil},
		{"draft event calendar", fmt.Sprintf("/events/%d.ics", draft), 404, []string{"Page not found"}, nil},
		{"unknown event calendar", "/events/999999.ics", 404, nil, nil},
		{"bad event id", "/events/abc.ics", 404, nil, nil},
		{"event id without .ics", fmt.Sprintf("/events/%d", june), 404, nil, nil},
		{"event id with leading zero", fmt.Sprintf("/events/0%d.ics", june), 404, nil, nil},
		{"negative event id", "/events/-1.ics", 404, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := ts.get(t, tt.path)
			if res.StatusCode != tt.status {
				t.Fatalf("GET %s: got status %d, want %d", tt.path, res.StatusCode, tt.status)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("GET %s: no %q in the page", tt.path, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(body, w) {
					t.Errorf("GET %s: got %q, want it absent", tt.path, w)
				}
			}
			if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("got Content-Type %q, want text/html; charset=utf-8", ct)
			}
		})
	}
}

// TestZoneLabels checks each date says the zone in force on its day.
func TestZoneLabels(t *testing.T) {
	t.Parallel()
	ts := newTestSite(t)
	_, body := ts.get(t, "/courses/dit-refresher")
	tests := []struct{ date, want string }{
		{"Friday 10 June 2022", "UK time (BST)"},
		{"Friday 13 January 2023", "UK time (GMT)"},
		{"Friday 5 November 2021", "UK time (GMT)"},
	}
	for _, tt := range tests {
		i := strings.Index(body, `<h3 class="date__title">`+tt.date+`</h3>`)
		if i < 0 {
			t.Fatalf("no date heading %q", tt.date)
		}
		rest := body[i:]
		if end := strings.Index(rest[1:], `<h3 class="date__title">`); end > 0 {
			rest = rest[:end]
		}
		if !strings.Contains(rest, "10:00–17:00 "+tt.want) {
			t.Errorf("%s: got no %q in its section", tt.date, "10:00–17:00 "+tt.want)
		}
	}
}

// TestCoursePageOrder checks upcoming dates come first, in order, and past
// ones after them.
func TestCoursePageOrder(t *testing.T) {
	t.Parallel()
	ts := newTestSite(t)
	_, body := ts.get(t, "/courses/dit-refresher")
	order := []string{"Friday 10 June 2022", "Friday 13 January 2023", "Past dates (1)", "Friday 5 November 2021"}
	last := -1
	for _, s := range order {
		i := strings.Index(body, s)
		if i < 0 {
			t.Fatalf("no %q", s)
		}
		if i < last {
			t.Errorf("got %q before the item above it, want the order %v", s, order)
		}
		last = i
	}
	// The catalogue lists courses with the soonest date first.
	_, home := ts.get(t, "/")
	if a, b := strings.Index(home, "DIT refresher"), strings.Index(home, "MBT foundation"); a < 0 || b < 0 || a > b {
		t.Errorf("got DIT at %d and MBT at %d, want DIT (June) before MBT (October)", a, b)
	}
}

// TestNoMeetingDetails checks that no public page or calendar file shows
// a meeting's link, ID or passcode.
func TestNoMeetingDetails(t *testing.T) {
	t.Parallel()
	ts := newTestSite(t)
	paths := []string{"/", "/?format=online", "/cookies", "/privacy", "/system-check", "/no-such-page"}
	for slug, c := range ts.courses {
		paths = append(paths, "/courses/"+slug)
		for _, e := range c.Events {
			paths = append(paths, fmt.Sprintf("/events/%d.ics", e.ID), fmt.Sprintf("/system-check?event=%d", e.ID))
		}
	}
	for _, p := range paths {
		_, body := ts.get(t, p)
		for _, secret := range meetingSecrets {
			if strings.Contains(body, secret) {
				t.Errorf("GET %s: got meeting detail %q, want it kept private", p, secret)
			}
		}
	}
}

func TestEventCalendar(t *testing.T) {
	t.Parallel()
	ts := newTestSite(t)
	tests := []struct {
		slug, ref string
		file      string
		want      []string
	}{
		{"dit-refresher", "2022-06", "dit-refresher-2022-06-10.ics",
			[]string{"DTSTART;TZID=Europe/London:20220610T100000", "LOCATION:Online (Zoom)", "STATUS:CONFIRMED", "BEGIN:VTIMEZONE", "URL:https://training.example.org/courses/dit-refresher"}},
		{"mbt-foundation", "2022-10", "mbt-foundation-2022-10-27.ics",
			[]string{"event-%d-day-4@training.example.org", "DTSTART;TZID=Europe/London:20221101T093000", "LOCATION:The Training Centre\\, 120 Belsize Lane"}},
		{"mbt-foundation", "2022-07", "mbt-foundation-2022-07-04.ics",
			[]string{"STATUS:CANCELLED"}},
		{"dit-refresher", "2021-11", "dit-refresher-2021-11-05.ics",
			[]string{"DTSTART;TZID=Europe/London:20211105T100000"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			id := ts.event(t, tt.slug, tt.ref)
			res, body := ts.get(t, fmt.Sprintf("/events/%d.ics", id))
			if res.StatusCode != 200 {
				t.Fatalf("got status %d, want 200", res.StatusCode)
			}
			if got, want := res.Header.Get("Content-Type"), "text/calendar; charset=utf-8"; got != want {
				t.Errorf("got Content-Type %q, want %q", got, want)
			}
			if got, want := res.Header.Get("Content-Disposition"), `attachment; filename="`+tt.file+`"`; got != want {
				t.Errorf("got Content-Disposition %q, want %q", got, want)
			}
			unfolded := strings.ReplaceAll(body, "\r\n ", "")
			for _, w := range tt.want {
				if strings.Contains(w, "%d") {
					w = fmt.Sprintf(w, id)
				}
				if !strings.Contains(unfolded, w) {
					t.Errorf("no %q in\n%s", w, body)
				}
			}
			if strings.Contains(strings.ReplaceAll(body, "\r\n", ""), "\n") {
				t.Errorf("got a bare LF, want CRLF line ends")
			}
		})
	}
}

var inlineScript = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)

// TestNoInlineScriptOrStyle scans every page for inline scripts, event
// handler attributes and style attributes, which the CSP would block.
func TestNoInlineScriptOrStyle(t *testing.T) {
	t.Parallel()
	ts := newTestSite(t)
	paths := []string{"/", "/?topic=Astrology", "/courses/dit-refresher", "/courses/mbt-foundation", "/courses/supervision-skills",
		"/system-check", "/cookies", "/cookies?consent=saved", "/privacy", "/nope",
		fmt.Sprintf("/system-check?event=%d", ts.event(t, "dit-refresher", "2022-06")),
		fmt.Sprintf("/events/%d/book", ts.event(t, "dit-refresher", "2022-06")),
		fmt.Sprintf("/events/%d/book", ts.event(t, "mbt-foundation", "2022-10"))}
	handlerAttr := regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	for _, p := range paths {
		res, body := ts.get(t, p)
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("GET %s: got CSP %q", p, csp)
		}
		for _, m := range inlineScript.FindAllStringSubmatch(body, -1) {
			if strings.TrimSpace(m[2]) != "" || !strings.Contains(m[1], "src=") {
				t.Errorf("GET %s: inline script %q", p, m[0])
			}
		}
		if strings.Contains(strings.ToLower(body), "<style") {
			t.Errorf("GET %s: has a <style> element", p)
		}
		if strings.Contains(body, " style=") {
			t.Errorf("GET %s: has a style attribute", p)
		}
		if m := handlerAttr.FindString(body); m != "" {
			t.Errorf("GET %s: has an event handler attribute %q", p, m)
		}
		if n := strings.Count(body, "<h1"); n != 1 {
			t.Errorf("GET %s: got %d h1 elements, want 1", p, n)
		}
		if !strings.Contains(body, `<html lang="en-GB">`) || !strings.Contains(body, `href="#main"`) || !strings.Contains(body, `<main id="main"`) {
			t.Errorf("GET %s: missing lang, skip link or main landmark", p)
		}
	}
}
