package site

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/messaging"
	"plenary/internal/web"
)

// bookingCourses is the catalogue of the booking tests, at testNow (1 May
// 2022): the DIT refresher with the demo's eligibility rules, two places
// and a waiting list; a free course whose rule asks for a coordinator's
// review; a one-place course with no waiting list; and a draft.
func bookingCourses(t testing.TB) []catalog.Course {
	t.Helper()
	zoom := catalog.Meeting{Provider: "Zoom", JoinURL: "https://zoom.us/j/98765", ID: "987 6543 2100", Passcode: "zx-SECRET-91"}
	ditDay := func(d catalog.Date) catalog.Day {
		return day(t, d, "10:00", "17:00",
			item(t, catalog.Teaching, "10:00", "12:30", "Reviewing the DIT model"),
			item(t, catalog.Lunch, "12:30", "13:15", "Lunch"),
			item(t, catalog.Plenary, "16:15", "17:00", "Plenary and questions"))
	}
	online := func(ref string, d catalog.Date, status catalog.EventStatus) catalog.Event {
		return catalog.Event{Ref: ref, Format: catalog.Online, Status: status, Capacity: 2, Meeting: zoom, Days: []catalog.Day{ditDay(d)}}
	}
	return []catalog.Course{
		{
			Slug: "dit-refresher", Title: "DIT refresher", Status: catalog.Published,
			Summary:            "A one-day online refresher in Dynamic Interpersonal Therapy.",
			JoiningLeadDays:    1,
			Waitlist:           true,
			OfferHoldHours:     48,
			BookingClosesHours: 24,
			CancellationTerms:  "Cancel up to **14 days** before the course for a full refund.",
			Fees:               []catalog.FeeTier{{Name: "Standard", Amount: 12000, Currency: "GBP"}, {Name: "NHS", Amount: 9500, Currency: "GBP"}},
			Questions: []catalog.Question{
				{Key: "training_completed", Label: "When did you complete the DIT training?", Kind: catalog.DateAnswer, Help: "The last day of your DIT training."},
				{Key: "supervised_practice_started", Label: "When did you start supervised DIT practice?", Kind: catalog.DateAnswer},
			},
			Rules: []catalog.Rule{
				{Conditions: []catalog.Condition{{Question: "training_completed", Op: catalog.OpMissing}},
					Outcome: catalog.Refuse, Message: "This course is for people who have completed the DIT training."},
				{Conditions: []catalog.Condition{
					{Question: "training_completed", Op: catalog.OpBefore, Date: catalog.DateRef{Base: catalog.BaseEvent, Offset: -6, Unit: catalog.UnitMonths}},
					{Question: "supervised_practice_started", Op: catalog.OpMissing}},
					Outcome: catalog.Accept, Message: "For you this refresher is required before you start supervised DIT practice."},
			},
			Events: []catalog.Event{
				online("june", catalog.Date{Year: 2022, Month: 6, Day: 10}, ""),
				online("past", catalog.Date{Year: 2021, Month: 11, Day: 5}, ""),
				online("cancelled", catalog.Date{Year: 2022, Month: 7, Day: 8}, catalog.Cancelled),
				// Tomorrow: inside the 24 hours before the start, so closed.
				online("tomorrow", catalog.Date{Year: 2022, Month: 5, Day: 2}, ""),
			},
		},
		{
			Slug: "supervision-skills", Title: "Supervision skills", Status: catalog.Published,
			Summary: "A free afternoon on clinical supervision.",
			Questions: []catalog.Question{
				{Key: "supervisor", Label: "Do you supervise DIT cases?", Kind: catalog.YesNo, Required: true},
			},
			Rules: []catalog.Rule{
				{Conditions: []catalog.Condition{{Question: "supervisor", Op: catalog.OpNo}},
					Outcome: catalog.Review, Message: "A coordinator checks the course suits people who do not supervise yet."},
			},
			Events: []catalog.Event{
				{Ref: "sept", Format: catalog.InPerson, Venue: catalog.Venue{Name: "Room 4"},
					Days: []catalog.Day{day(t, catalog.Date{Year: 2022, Month: 9, Day: 14}, "14:00", "16:30")}},
			},
		},
		{
			Slug: "small-group", Title: "Small group", Status: catalog.Published,
			Summary: "One place, no waiting list.",
			Events: []catalog.Event{
				{Ref: "only", Format: catalog.InPerson, Capacity: 1, Venue: catalog.Venue{Name: "Room 1"},
					Days: []catalog.Day{day(t, catalog.Date{Year: 2022, Month: 9, Day: 20}, "14:00", "16:30")}},
			},
		},
		{
			Slug: "secret-draft", Title: "Unreleased draft course", Status: catalog.Draft,
			Events: []catalog.Event{
				{Ref: "draft", Format: catalog.Online, Days: []catalog.Day{day(t, catalog.Date{Year: 2022, Month: 8, Day: 1}, "10:00", "12:00")}},
			},
		},
	}
}

func newBookingSite(t testing.TB) *testSite {
	t.Helper()
	return newTestSite(t, bookingCourses(t)...)
}

// sameOrigin is what a browser sends with a form posted from the site.
var sameOrigin = map[string]string{"Sec-Fetch-Site": "same-origin"}

// ditForm is a complete, valid booking of the DIT refresher.
func ditForm(name, email string) url.Values {
	return url.Values{
		"name": {name}, "email": {email}, "organisation": {"North Clinic"}, "role": {"Psychotherapist"},
		"registration_number": {"UKCP 123"}, "fee_tier": {"NHS"}, "po_number": {"PO-77"},
		"answer_training_completed": {"2021-09-30"}, "answer_supervised_practice_started": {"2022-01-10"},
		"system_checked": {"yes"}, "access_needs": {"Captions, please."},
	}
}

func with(v url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "\x00delete" {
			out.Del(kv[i])
			continue
		}
		out.Set(kv[i], kv[i+1])
	}
	return out
}

// book posts a booking and returns the manage path it redirected to.
func (ts *testSite) book(t *testing.T, eventID int64, form url.Values) string {
	t.Helper()
	res, body := ts.post(t, fmt.Sprintf("/events/%d/book", eventID), form, sameOrigin)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("book: got status %d, want 303; body:\n%s", res.StatusCode, body)
	}
	loc := res.Header.Get("Location")
	if !strings.HasPrefix(loc, "/bookings/") || !strings.HasSuffix(loc, "?booked=1") {
		t.Fatalf("book: redirected to %q, want /bookings/{token}?booked=1", loc)
	}
	return strings.TrimSuffix(loc, "?booked=1")
}

func TestBookingFormValidation(t *testing.T) {
	t.Parallel()
	ts := newBookingSite(t)
	june := ts.event(t, "dit-refresher", "june")
	path := fmt.Sprintf("/events/%d/book", june)
	long := strings.Repeat("x", 121)

	tests := []struct {
		name  string
		form  url.Values
		field string // the field the message is beside
		msg   string
		echo  string // a value="…" the page must show again
	}{
		{"no name", with(ditForm("", "ann@example.org")), "name", "Enter your name.", `value="ann@example.org"`},
		{"CR LF in name", with(ditForm("Ann\r\nBcc: x@evil.example", "ann@example.org")), "name", "Your name must be on one line.", "value=\"Ann\r\nBcc: x@evil.example\""},
		{"LF in e-mail", with(ditForm("Ann", "ann@example.org\nBcc: x@evil.example")), "email", "e-mail address must be on one line", `value="Ann"`},
		{"bad e-mail", with(ditForm("Ann <b>", "not-an-address")), "email", "Enter an e-mail address in the form name@example.org.", `value="Ann &lt;b&gt;"`},
		{"long name", with(ditForm(long, "ann@example.org")), "name", "Your name is too long: use at most 120 characters.", `value="` + long + `"`},
		{"long organisation", with(ditForm("Ann", "ann@example.org"), "organisation", strings.Repeat("o", 161)), "organisation", "too long", `value="` + strings.Repeat("o", 161) + `"`},
		{"no role", with(ditForm("Ann", "ann@example.org"), "role", " "), "role", "Enter your role or profession.", `value="North Clinic"`},
		{"long access needs", with(ditForm("Ann", "ann@example.org"), "access_needs", strings.Repeat("a", 2001)), "access_needs", "at most 2000 characters", ">" + strings.Repeat("a", 2001) + "</textarea>"},
		{"bad date", with(ditForm("Ann", "ann@example.org"), "answer_training_completed", "last spring"), "answer_training_completed", "Enter a date such as 2024-03-15.", `value="last spring"`},
		{"no fee tier", with(ditForm("Ann", "ann@example.org"), "fee_tier", "\x00delete"), "fee_tier", "Choose the fee that applies to you.", `value="PO-77"`},
		{"unknown fee tier", with(ditForm("Ann", "ann@example.org"), "fee_tier", "Friends and family"), "fee_tier", "Choose the fee that applies to you.", `value="UKCP 123"`},
		{"no system check", with(ditForm("Ann", "ann@example.org"), "system_checked", "\x00delete"), "system_checked", "Confirm that you have checked", `value="2021-09-30"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := ts.post(t, path, tt.form, sameOrigin)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("got status %d, want 422", res.StatusCode)
			}
			// The message sits beside its field, which points at it.
			errID := tt.field + "-error"
			i := strings.Index(body, `id="`+errID+`"`)
			if i < 0 {
				t.Fatalf("no error element %s; body:\n%s", errID, body)
			}
			if msg := body[i:min(len(body), i+400)]; !strings.Contains(msg, html.EscapeString(tt.msg)) && !strings.Contains(msg, tt.msg) {
				t.Errorf("error beside %s: got %q, want it to contain %q", tt.field, msg, tt.msg)
			}
			if !strings.Contains(body, errID+`"`) || strings.Count(body, errID) < 2 {
				t.Errorf("no aria-describedby pointing at %s", errID)
			}
			if !strings.Contains(body, `class="error-summary"`) || !strings.Contains(body, `<a href="#`) {
				t.Errorf("no error summary linking to the fields")
			}
			if !strings.Contains(body, tt.echo) {
				t.Errorf("what was typed is not kept: no %s", tt.echo)
			}
			if !strings.Contains(body, "<title>Error: ") {
				t.Errorf("the title does not start with Error:")
			}
		})
	}
	if n := ts.count(t, `SELECT COUNT(*) FROM bookings`); n != 0 {
		t.Errorf("bad forms saved %d bookings, want none", n)
	}
}

// count runs a COUNT query.
func (ts *testSite) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := ts.db.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestBookingUnavailable(t *testing.T) {
	t.Parallel()
	ts := newBookingSite(t)
	// Fill the one place of the small group first.
	small := ts.event(t, "small-group", "only")
	ts.book(t, small, url.Values{"name": {"Ann"}, "email": {"ann@example.org"}, "organisation": {"A"}, "role": {"B"}})

	form := ditForm("Ben", "ben@example.org")
	tests := []struct {
		name   string
		path   string
		status int
		want   string
	}{
		{"past", fmt.Sprintf("/events/%d/book", ts.event(t, "dit-refresher", "past")), 410, "Bookings for this date are closed"},
		{"inside the closing time", fmt.Sprintf("/events/%d/book", ts.event(t, "dit-refresher", "tomorrow")), 410, "Bookings for this date are closed"},
		{"cancelled", fmt.Sprintf("/events/%d/book", ts.event(t, "dit-refresher", "cancelled")), 410, "This date has been cancelled"},
		{"unpublished", fmt.Sprintf("/events/%d/book", ts.event(t, "secret-draft", "draft")), 404, "This date is not open for booking"},
		{"unknown", "/events/999999/book", 404, "This date is not open for booking"},
		{"not a number", "/events/abc/book", 404, "Page not found"},
		{"full, no waiting list", fmt.Sprintf("/events/%d/book", small), 409, "This date is full"},
	}
	for _, tt := range tests {
		for _, method := range []string{"GET", "POST"} {
			t.Run(tt.name+" "+method, func(t *testing.T) {
				var res *http.Response
				var body string
				if method == "GET" {
					res, body = ts.get(t, tt.path)
				} else {
					res, body = ts.post(t, tt.path, form, sameOrigin)
				}
				if res.StatusCode != tt.status {
					t.Fatalf("got status %d, want %d", res.StatusCode, tt.status)
				}
				if !strings.Contains(body, tt.want) {
					t.Errorf("no %q in the page", tt.want)
				}
				if strings.Contains(body, "Unreleased draft course") {
					t.Errorf("the page names the draft course")
				}
			})
		}
	}

	t.Run("cross-origin POST", func(t *testing.T) {
		path := fmt.Sprintf("/events/%d/book", ts.event(t, "dit-refresher", "june"))
		for _, h := range []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}} {
			res, body := ts.post(t, path, form, h)
			if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "another site") {
				t.Errorf("%v: got status %d, want 403 with an explanation", h, res.StatusCode)
			}
		}
		if n := ts.count(t, `SELECT COUNT(*) FROM bookings WHERE email = 'ben@example.org'`); n != 0 {
			t.Errorf("a cross-origin POST booked %d places", n)
		}
	})
	t.Run("oversized form", func(t *testing.T) {
		path := fmt.Sprintf("/events/%d/book", ts.event(t, "dit-refresher", "june"))
		res, _ := ts.post(t, path, with(form, "access_needs", strings.Repeat("a", web.MaxBodyBytes)), sameOrigin)
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("got status %d, want 413", res.StatusCode)
		}
	})
}

func TestBookingOutcomes(t *testing.T) {
	t.Parallel()
	ts := newBookingSite(t)
	june := ts.event(t, "dit-refresher", "june")
	sept := ts.event(t, "supervision-skills", "sept")

	// The form itself: fields, labels and the course's questions.
	res, form := ts.get(t, fmt.Sprintf("/events/%d/book", june))
	if res.StatusCode != 200 {
		t.Fatalf("GET form: status %d", res.StatusCode)
	}
	for _, w := range []string{
		`name="name"`, `autocomplete="name"`, `autocomplete="email"`, `autocomplete="organization"`, `autocomplete="organization-title"`,
		`inputmode="email"`, `name="registration_number"`, `type="date"`, `name="answer_training_completed"`,
		`name="fee_tier" value="Standard"`, `name="fee_tier" value="NHS"`, `name="po_number"`, `name="access_needs"`,
		"Only the course coordinators see this, and it is erased after the course.",
		`name="system_checked"`, fmt.Sprintf(`href="/system-check?event=%d"`, june), "2 places left", "Friday 10 June 2022", "10:00–17:00 UK time (BST)",
		// Before booking: when it closes, the cancellation terms and the
		// privacy notice, all before the button.
		"Booking closes on Thursday 9 June 2022 at 10:00 UK time (BST).",
		"Cancel up to <strong>14 days</strong> before the course for a full refund.",
		"erased 30 days after the course", `<a href="/privacy">`,
	} {
		if !strings.Contains(form, w) {
			t.Errorf("booking form: no %q", w)
		}
	}
	if i, j := strings.Index(form, "Booking closes"), strings.Index(form, `<button class="button" type="submit">`); i < 0 || j < i {
		t.Errorf("booking form: the notices before booking are not before the submit button")
	}
	_, sform := ts.get(t, fmt.Sprintf("/events/%d/book", sept))
	for _, w := range []string{`type="radio" id="answer_supervisor-yes" name="answer_supervisor" value="yes"`, `value="no"`} {
		if !strings.Contains(sform, w) {
			t.Errorf("yes/no question: no %q", w)
		}
	}
	// No terms of its own: it says cancelling is free.
	for _, w := range []string{"Booking closes on Wednesday 14 September 2022 at 14:00 UK time (BST).", "There are no particular terms for this course"} {
		if !strings.Contains(sform, w) {
			t.Errorf("free in-person course form: no %q", w)
		}
	}
	for _, w := range []string{"po_number", "fee_tier", "system_checked"} {
		if strings.Contains(sform, `name="`+w+`"`) {
			t.Errorf("free in-person course: got a %s field", w)
		}
	}

	tests := []struct {
		name    string
		event   int64
		form    url.Values
		status  int
		want    []string
		notWant []string
	}{
		{"confirmed with a note", june, with(ditForm("Ann Able", "ann@example.org"), "answer_supervised_practice_started", ""), 200,
			[]string{"Your place is confirmed", "For you this refresher is required before you start supervised DIT practice.",
				"confirmation with a calendar file to ann@example.org", "at least one working day before", "INV-000001", "£95.00", "PO-77",
				fmt.Sprintf(`href="/events/%d.ics"`, june), "https://training.example.org/bookings/"},
			[]string{"Captions, please."}},
		{"confirmed", june, ditForm("Ben Best", "ben@example.org"), 200, []string{"Your place is confirmed"}, []string{"Please note"}},
		{"waitlisted", june, ditForm("Cal Cole", "cal@example.org"), 200, []string{"You are on the waiting list: number 1", "48 hours"}, []string{"INV-"}},
		{"waitlisted second", june, ditForm("Dee Dunn", "dee@example.org"), 200, []string{"You are on the waiting list: number 2"}, nil},
		{"pending review", sept, url.Values{"name": {"Eve"}, "email": {"eve@example.org"}, "organisation": {"E"}, "role": {"R"}, "answer_supervisor": {"no"}}, 200,
			[]string{"We have your request; a coordinator will look at your answers",
				"because:", `<ul class="review-reasons"><li>A coordinator checks the course suits people who do not supervise yet.</li></ul>`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			manage := ts.book(t, tt.event, tt.form)
			res, body := ts.get(t, manage+"?booked=1")
			if res.StatusCode != tt.status {
				t.Fatalf("GET manage page: status %d", res.StatusCode)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("no %q on the page", w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(body, w) {
					t.Errorf("got %q on the page", w)
				}
			}
		})
	}

	// A blank answer that a refuse rule needs is an error beside the
	// question, with the rule's message; the question is not "optional".
	t.Run("blank answer a refuse rule needs", func(t *testing.T) {
		f := with(ditForm("Fay Fox", "fay@example.org"), "answer_training_completed", "")
		res, body := ts.post(t, fmt.Sprintf("/events/%d/book", june), f, sameOrigin)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("got status %d, want 422", res.StatusCode)
		}
		if strings.Contains(body, "When did you complete the DIT training? <span class=\"optional\">") {
			t.Error("the question a refuse rule needs is labelled optional")
		}
		for _, w := range []string{`id="answer_training_completed-error"><span class="visually-hidden">Error:</span> This course is for people who have completed the DIT training.`,
			`value="Fay Fox"`, `value="fay@example.org"`, `value="NHS" checked`} {
			if !strings.Contains(body, w) {
				t.Errorf("no %q", w)
			}
		}
	})

	t.Run("repeat booking", func(t *testing.T) {
		before := ts.count(t, `SELECT COUNT(*) FROM messages WHERE kind = 'booking_already_booked'`)
		res, _ := ts.post(t, fmt.Sprintf("/events/%d/book", june), ditForm("Ann Again", "ANN@example.org"), sameOrigin)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("got status %d, want 303", res.StatusCode)
		}
		res, body := ts.get(t, res.Header.Get("Location"))
		if res.StatusCode != 200 {
			t.Fatalf("got status %d", res.StatusCode)
		}
		want := "There is already a booking for this e-mail address on this date; we have e-mailed its manage link to that address."
		if !strings.Contains(body, want) {
			t.Errorf("no neutral message %q", want)
		}
		for _, leak := range []string{"Ann Able", "confirmed", "INV-"} {
			if strings.Contains(body, leak) {
				t.Errorf("the repeat-booking page reveals %q", leak)
			}
		}
		if after := ts.count(t, `SELECT COUNT(*) FROM messages WHERE kind = 'booking_already_booked'`); after != before+1 {
			t.Errorf("got %d repeat-booking mails, want %d", after, before+1)
		}
	})

	t.Run("course page shows places", func(t *testing.T) {
		_, body := ts.get(t, "/courses/dit-refresher")
		for _, w := range []string{"Full — join the waiting list", "Join the waiting list", "Bookings closed", fmt.Sprintf(`href="/events/%d/book"`, june)} {
			if !strings.Contains(body, w) {
				t.Errorf("course page: no %q", w)
			}
		}
		for _, ref := range []string{"past", "cancelled", "tomorrow"} {
			if id := ts.event(t, "dit-refresher", ref); strings.Contains(body, fmt.Sprintf(`href="/events/%d/book"`, id)) {
				t.Errorf("course page: a booking link for the %s date", ref)
			}
		}
	})
}

// TestBookingOff checks a server without a booking service shows no
// booking links and answers the booking pages with 404.
func TestBookingOff(t *testing.T) {
	t.Parallel()
	ts := newBookingSite(t)
	_, _, h, err := newHandler(testOptions{Options: web.Options{DB: ts.db, Now: func() time.Time { return testNow }}, Site: Options{Catalog: ts.store}})
	if err != nil {
		t.Fatal(err)
	}
	off := &testSite{handler: h}
	june := ts.event(t, "dit-refresher", "june")
	_, body := off.get(t, "/courses/dit-refresher")
	if strings.Contains(body, "/book") || strings.Contains(body, "Book a place") {
		t.Errorf("course page links to booking with booking off")
	}
	for _, p := range []string{fmt.Sprintf("/events/%d/book", june), "/bookings/" + strings.Repeat("a", 43)} {
		if res, _ := off.get(t, p); res.StatusCode != 404 {
			t.Errorf("GET %s: got %d, want 404", p, res.StatusCode)
		}
	}
	// The staff area asks for a session before anything else.
	if res, _ := off.get(t, "/admin/messages"); res.StatusCode != 303 || !strings.HasPrefix(res.Header.Get("Location"), "/admin/login") {
		t.Errorf("GET /admin/messages: got %d → %q, want the sign-in page", res.StatusCode, res.Header.Get("Location"))
	}
}

// TestBookingKeepsPageCached: with the page cache on, a booking changes
// the places shown on the next request while the rest of the page comes
// from the cache (no new render); a booking made elsewhere (another
// instance on the same database) shows once the cache's TTL has passed.
func TestBookingKeepsPageCached(t *testing.T) {
	t.Parallel()
	now := testNow
	ts := newTestSiteWith(t, testNow, func(o *testOptions) {
		o.PageCacheTTL = time.Hour
		o.Now = func() time.Time { return now }
	}, bookingCourses(t)...)
	june := ts.event(t, "dit-refresher", "june")
	page := func(want string, renders, fills int64) string {
		t.Helper()
		_, body := ts.get(t, "/courses/dit-refresher")
		if !strings.Contains(body, want) {
			t.Fatalf("no %q on the course page", want)
		}
		if strings.Contains(body, "plenary-slot") {
			t.Fatalf("a slot marker left on the page")
		}
		if got, gotFills := ts.srv.renders.Load(), ts.srv.slotFills.Load(); got != renders || gotFills != fills {
			t.Fatalf("%d renders and %d reads of places, want %d and %d", got, gotFills, renders, fills)
		}
		return body
	}
	first := page("2 places left", 1, 1)
	page("2 places left", 1, 1) // all from the cache, places too
	ts.book(t, june, ditForm("Ann", "ann@example.org"))
	after := page("1 place left", 1, 2) // the places read again, the page not rendered
	if strings.Replace(first, "2 places left", "1 place left", 1) != after {
		t.Errorf("the page changed beyond its places:\n%s\n---\n%s", first, after)
	}
	// The page as rendered whole, without the cache (a staff cookie
	// passes it by), is the same bytes.
	r := httptest.NewRequest(http.MethodGet, "/courses/dit-refresher", nil)
	r.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: "x"})
	if _, whole := ts.do(t, r); whole != after {
		t.Errorf("the cached page with its slots filled differs from the page rendered whole")
	}
	rendersNow := ts.srv.renders.Load()

	// Another instance takes the last place: this one shows it once the
	// places it read are older than the TTL (at most).
	c, e, err := ts.store.Event(context.Background(), june)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.bookings.BookEvent(context.Background(), &c, &e, booking.ReadRequest(ditForm("Bo", "bo@example.org"), c), audit.ParticipantOf(0)); err != nil {
		t.Fatal(err)
	}
	page("1 place left", rendersNow, 2) // stale, within the TTL
	now = now.Add(time.Hour)
	if _, body := ts.get(t, "/courses/dit-refresher"); strings.Contains(body, "1 place left") || !strings.Contains(body, "Full") {
		t.Errorf("after the TTL: the places are still stale")
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	const limit = 10 // PLENARY_BOOKING_LIMIT's default: ten a minute
	now := testNow
	ts := newTestSiteWith(t, testNow, func(o *testOptions) {
		o.BookingLimit = limit
		o.Now = func() time.Time { return now }
	}, bookingCourses(t)...)
	path := fmt.Sprintf("/events/%d/book", ts.event(t, "dit-refresher", "june"))
	post := func(addr string) *http.Response {
		r := newPost(path, url.Values{"name": {""}})
		r.RemoteAddr = addr
		res, _ := ts.do(t, r)
		return res
	}
	for i := range limit {
		if res := post("198.51.100.7:5000"); res.StatusCode == http.StatusTooManyRequests {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	res := post("198.51.100.7:5001")
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("after the burst: got status %d, want 429", res.StatusCode)
	}
	if ra := res.Header.Get("Retry-After"); ra != "6" {
		t.Errorf("got Retry-After %q, want 6 (ten a minute)", ra)
	}
	if res := post("198.51.100.8:5000"); res.StatusCode == http.StatusTooManyRequests {
		t.Errorf("another client was refused")
	}
	now = now.Add(6 * time.Second)
	if res := post("198.51.100.7:5000"); res.StatusCode == http.StatusTooManyRequests {
		t.Errorf("after Retry-After: still refused")
	}
	// The manage pages' forms share the limit.
	if res := post("198.51.100.7:5000"); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("got %d, want 429 again", res.StatusCode)
	}
	r := newPost("/bookings/"+strings.Repeat("a", 43)+"/cancel", nil)
	r.RemoteAddr = "198.51.100.7:5000"
	if res, body := ts.do(t, r); res.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Please wait") {
		t.Errorf("manage POST: got %d, want the 429 page", res.StatusCode)
	}
}

func newPost(path string, form url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	return r
}

// mailTo returns the messages queued to an address, newest first.
func (ts *testSite) mailTo(t *testing.T, email string) []messaging.Message {
	t.Helper()
	all, err := ts.outbox.List(context.Background(), messaging.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []messaging.Message
	for _, m := range all {
		if m.ToEmail == email {
			out = append(out, m)
		}
	}
	return out
}

// FuzzBookingForm posts odd input to the booking form: whatever is sent,
// the answer is a page for the person (a redirect, the form again, or a
// plain refusal), never a 500.
func FuzzBookingForm(f *testing.F) {
	ts := newBookingSite(f)
	june := ts.event(f, "dit-refresher", "june")
	f.Add("Ann", "ann@example.org", "2021-09-30", "NHS", "yes")
	f.Add("Ann\r\n", "a@b", "2021-02-30", "", "")
	f.Add(strings.Repeat("é", 200), "\x00@example.org", "9999-99-99", "Standard\n", "on")
	f.Add("<script>", "ann@example.org\n", "", "\xff", "no")
	f.Fuzz(func(t *testing.T, name, email, date, fee, checked string) {
		form := url.Values{"name": {name}, "email": {email}, "organisation": {"O"}, "role": {"R"},
			"answer_training_completed": {date}, "fee_tier": {fee}, "system_checked": {checked}}
		res, body := ts.post(t, fmt.Sprintf("/events/%d/book", june), form, sameOrigin)
		if res.StatusCode >= 500 {
			t.Fatalf("got status %d for %q:\n%s", res.StatusCode, form.Encode(), body)
		}
		if strings.Contains(body, "<script>") {
			t.Fatalf("input echoed unescaped")
		}
	})
}
