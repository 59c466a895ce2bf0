package admin

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
)

// TestAttentionPage books a review that goes overdue, a younger one, an
// offer about to lapse and an e-mail that fails, and checks the page
// lists each as the course team needs it — oldest review first, overdue
// said in words, the mail server's answer escaped — that coordinators
// and finance see it and trainers do not, and that an empty install
// says so in words.
func TestAttentionPage(t *testing.T) {
	t.Parallel()
	a := newArea(t, func(o *areaOptions) { o.admin.DevMailbox = true })
	a.addUser(t, "coord@example.org", account.Coordinator)
	a.addUser(t, "finance@example.org", account.Finance)
	a.addUser(t, "trainer@example.org", account.Trainer)
	coord := a.signIn(t, "coord@example.org", password, "")

	// Empty: each section says so.
	res, body := a.get(t, "/admin/attention", coord)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /admin/attention as coordinator: %d", res.StatusCode)
	}
	for _, want := range []string{"No bookings are waiting for review.", "No offers lapse within the next 24 hours.", "No e-mails are failing."} {
		if !strings.Contains(body, want) {
			t.Errorf("empty page lacks %q", want)
		}
	}

	c := catalogtest.NewCourse(t0)
	c.Events[0].Capacity = 3
	c.Events[0].Days[0].Date = catalog.Date{Year: 2027, Month: time.February, Day: 10}
	c.Waitlist, c.OfferHoldHours = true, 48
	c.Questions = []catalog.Question{{Key: "nhs", Label: "Do you work in the NHS?", Kind: catalog.YesNo}}
	c.Rules = []catalog.Rule{{Outcome: catalog.Review, Message: "We check eligibility outside the NHS by hand.",
		Conditions: []catalog.Condition{{Question: "nhs", Op: catalog.OpNo}}}}
	if _, err := a.catalog.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	book := func(name, nhs string) booking.Result {
		t.Helper()
		res, err := a.bookings.Book(ctx, booking.Request{EventID: c.Events[0].ID, Name: name,
			Email: strings.ToLower(strings.Fields(name)[0]) + "@example.org", Organisation: "North Clinic", Role: "Psychotherapist",
			SystemChecked: true, FeeTier: "Standard", Answers: map[string]string{"nhs": nhs}}, audit.ParticipantOf(0))
		if err != nil {
			t.Fatalf("book %s: %v", name, err)
		}
		return res
	}
	// Tuesday 1 December 2026, 09:00: Ann's review starts; Eve takes the
	// last place but one.
	ann := book("Ann Archer", "no")
	eve := book("Eve Evans", "yes")
	// Thursday 3 December, 08:00: Ben's review starts, filling the date;
	// Cal waits, and is offered Eve's place when she cancels (for 48 hours).
	a.clock.add(47 * time.Hour)
	ben := book("Ben Baker", "no")
	cal := book("Cal Cole", "yes")
	if cal.Booking.Status != booking.Waitlisted {
		t.Fatalf("Cal: got %s, want waitlisted", cal.Booking.Status)
	}
	if _, err := a.bookings.Cancel(ctx, eve.Token); err != nil {
		t.Fatal(err)
	}
	smtpAnswer := `550 5.1.1 <eve@example.org>: mailbox unavailable <script>alert(1)</script>`
	if _, err := a.db.ExecContext(ctx, `UPDATE messages SET status = 'failed', attempts = 5, last_error = $1 WHERE to_email = $2 AND kind = $3`,
		smtpAnswer, "eve@example.org", "booking_cancelled"); err != nil {
		t.Fatal(err)
	}
	// Friday 4 December, 09:00 UK time: Ann's reply was due yesterday;
	// Cal's offer lapses tomorrow at 08:00, within 24 hours.
	a.clock.add(25 * time.Hour)

	coord = a.signIn(t, "coord@example.org", password, "") // the first session has timed out
	res, body = a.get(t, "/admin/attention", coord)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /admin/attention: %d", res.StatusCode)
	}
	reviews, rest, _ := strings.Cut(body, `id="offers"`)
	offers, failing, _ := strings.Cut(rest, `id="failing"`)
	annAt, benAt := strings.Index(reviews, "Ann Archer"), strings.Index(reviews, "Ben Baker")
	if annAt < 0 || benAt < 0 || annAt > benAt {
		t.Fatalf("reviews: want Ann then Ben, oldest first:\n%s", reviews)
	}
	annLine, benLine := reviews[annAt:benAt], reviews[benAt:]
	for _, want := range []string{
		"booking " + itoa(ann.Booking.ID), "Test course, Wednesday 10 February 2027", "We check eligibility outside the NHS by hand.",
		"Overdue", "3 working days waited of the 2 promised", "Waiting since 09:00 on Tuesday 1 December 2026 UK time (GMT)",
		"reply due by Thursday 3 December 2026",
	} {
		if !strings.Contains(annLine, want) {
			t.Errorf("Ann's review lacks %q:\n%s", want, annLine)
		}
	}
	if strings.Contains(benLine, "Overdue") || !strings.Contains(benLine, "1 working day waited of the 2 promised") ||
		!strings.Contains(benLine, "booking "+itoa(ben.Booking.ID)) {
		t.Errorf("Ben's review (one working day, not overdue):\n%s", benLine)
	}
	for _, want := range []string{"Cal Cole", "booking " + itoa(cal.Booking.ID), "Lapses at 08:00 on Saturday 5 December 2026 UK time (GMT)"} {
		if !strings.Contains(offers, want) {
			t.Errorf("offers lack %q:\n%s", want, offers)
		}
	}
	for _, want := range []string{"eve@example.org", "<code>booking_cancelled</code>", "(booking_cancelled)</a>", "booking " + itoa(eve.Booking.ID), "Failed",
		"Gave up after 5 attempts",
		"550 5.1.1 &lt;eve@example.org&gt;: mailbox unavailable &lt;script&gt;alert(1)&lt;/script&gt;"} {
		if !strings.Contains(failing, want) {
			t.Errorf("failing e-mails lack %q:\n%s", want, failing)
		}
	}
	if strings.Contains(body, "<script>alert(1)") {
		t.Error("the mail server's answer is on the page unescaped")
	}
	// The coordinator may read messages, so the failing e-mail links to
	// its page in the mail log; each booking links to its page.
	if !strings.Contains(failing, `<a href="/admin/messages/`) || !strings.Contains(failing, `">E-mail `) {
		t.Errorf("coordinator: the failing e-mail does not link to the mail log:\n%s", failing)
	}
	for _, id := range []int64{ann.Booking.ID, ben.Booking.ID, cal.Booking.ID, eve.Booking.ID} {
		if !strings.Contains(body, `href="/admin/bookings/`+itoa(id)+`"`) {
			t.Errorf("no link to booking %d", id)
		}
	}

	fin := a.signIn(t, "finance@example.org", password, "")
	res, body = a.get(t, "/admin/attention", fin)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Ann Archer") {
		t.Errorf("finance: got %d, want the page", res.StatusCode)
	}
	if strings.Contains(body, `<a href="/admin/messages/`) {
		t.Error("finance: a link to the mail log, which finance may not open")
	}
	if _, home := a.get(t, "/admin", fin); !strings.Contains(home, `href="/admin/attention"`) {
		t.Error("finance: the first page does not link the attention page")
	}

	tr := a.signIn(t, "trainer@example.org", password, "")
	if res, body := a.get(t, "/admin/attention", tr); res.StatusCode != http.StatusForbidden || strings.Contains(body, "Ann Archer") {
		t.Errorf("trainer: got %d, want 403 without the page", res.StatusCode)
	}
	if _, home := a.get(t, "/admin", tr); strings.Contains(home, `href="/admin/attention"`) {
		t.Error("trainer: the first page links the attention page, which a trainer may not open")
	}

	// A coordinator limited to the course sees the failing e-mail but may
	// not open the mail log (it needs messages:read site-wide): the
	// booking is linked, the mail log is not.
	a.addUser(t, "mine@example.org", account.Coordinator, c.ID)
	res, body = a.get(t, "/admin/attention", a.signIn(t, "mine@example.org", password, ""))
	mineFailing, _, _ := strings.Cut(body[strings.Index(body, `id="failing"`):], `id="invoices"`)
	if res.StatusCode != http.StatusOK || !strings.Contains(mineFailing, `href="/admin/bookings/`+itoa(eve.Booking.ID)+`"`) {
		t.Errorf("limited coordinator: got %d, want the failing e-mail with its booking:\n%s", res.StatusCode, mineFailing)
	}
	if strings.Contains(body, `href="/admin/messages/`) {
		t.Error("limited coordinator: a link to the mail log, which they may not open")
	}
	if res, _ := a.get(t, "/admin/messages", a.signIn(t, "mine@example.org", password, "")); res.StatusCode != http.StatusForbidden {
		t.Errorf("limited coordinator on the mail log: %d, want 403 (the link rule assumes it)", res.StatusCode)
	}
}

// TestAttentionPageNarrowed books the last place on a date of each of two
// courses (paid, a week away) and checks who sees what: a coordinator
// limited to one course only that course's lines, invoices only for
// finance and the admin, each date linked to its bookings, and the first
// page's counts per section linking into the page.
func TestAttentionPageNarrowed(t *testing.T) {
	t.Parallel()
	a := newArea(t, nil)
	var courses []catalog.Course
	for _, title := range []string{"Alpha course", "Beta course"} {
		c := catalogtest.NewCourse(t0)
		c.Slug, c.Title = strings.ToLower(strings.Fields(title)[0]), title
		c.Events[0].Capacity = 1
		c.Events[0].Days[0].Date = catalog.Date{Year: 2026, Month: time.December, Day: 8} // five working days away
		if _, err := a.catalog.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(t0)); err != nil {
			t.Fatal(err)
		}
		courses = append(courses, c)
		if _, err := a.bookings.Book(ctx, booking.Request{EventID: c.Events[0].ID, Name: "Person " + c.Slug,
			Email: c.Slug + "@example.org", Organisation: "North Clinic", Role: "Psychotherapist", SystemChecked: true,
			FeeTier: "Standard"}, audit.ParticipantOf(0)); err != nil {
			t.Fatal(err)
		}
	}
	alpha, beta := courses[0], courses[1]
	a.addUser(t, "admin@example.org", account.Admin)
	a.addUser(t, "coord@example.org", account.Coordinator)
	a.addUser(t, "mine@example.org", account.Coordinator, alpha.ID)
	a.addUser(t, "finance@example.org", account.Finance)
	a.addUser(t, "trainer@example.org", account.Trainer)

	page := func(email string) string {
		t.Helper()
		res, body := a.get(t, "/admin/attention", a.signIn(t, email, password, ""))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: GET /admin/attention: %d", email, res.StatusCode)
		}
		return body
	}
	alphaDate := `href="/admin/bookings?event=` + itoa(alpha.Events[0].ID) + `"`
	betaDate := `href="/admin/bookings?event=` + itoa(beta.Events[0].ID) + `"`

	body := page("mine@example.org")
	filling := body[strings.Index(body, `id="filling"`):]
	if !strings.Contains(filling, alphaDate) || strings.Contains(body, "Beta course") || strings.Contains(body, betaDate) {
		t.Errorf("limited coordinator: want Alpha only:\n%s", filling)
	}
	// A full date: a warning badge, and the words do not say "full" again.
	if !strings.Contains(filling, `<span class="badge badge--full">Full</span> its one place taken.`) || strings.Contains(filling, "Full</span> full") {
		t.Errorf("limited coordinator: the full date's line:\n%s", filling)
	}
	if strings.Contains(body, `id="invoices"`) || strings.Contains(body, "INV-") {
		t.Error("limited coordinator: invoices shown without invoices:read")
	}
	if body := page("coord@example.org"); !strings.Contains(body, alphaDate) || !strings.Contains(body, betaDate) ||
		strings.Contains(body, "INV-") {
		t.Error("coordinator: want both dates and no invoices")
	}
	for _, email := range []string{"finance@example.org", "admin@example.org"} {
		body := page(email)
		invoices, _, _ := strings.Cut(body[strings.Index(body, `id="invoices"`):], `id="filling"`)
		if strings.Count(invoices, "INV-") != 2 || !strings.Contains(invoices, "Person alpha") || !strings.Contains(invoices, "4 working days to go") {
			t.Errorf("%s: invoices section:\n%s", email, invoices)
		}
	}

	// The first page counts each section the viewer may see.
	_, home := a.get(t, "/admin", a.signIn(t, "mine@example.org", password, ""))
	for _, want := range []string{`<a href="/admin/attention#filling">Dates nearly full or with a waiting list</a>: 1`,
		`<a href="/admin/attention#reviews">Bookings waiting for review</a>: 0`} {
		if !strings.Contains(home, want) {
			t.Errorf("limited coordinator's first page lacks %q", want)
		}
	}
	if strings.Contains(home, "#invoices") {
		t.Error("limited coordinator's first page counts invoices")
	}
	_, home = a.get(t, "/admin", a.signIn(t, "finance@example.org", password, ""))
	if !strings.Contains(home, `<a href="/admin/attention#invoices">Invoices unpaid near the course</a>: 2`) ||
		!strings.Contains(home, `#filling">Dates nearly full or with a waiting list</a>: 2`) {
		t.Error("finance's first page lacks the invoice and filling counts")
	}
	if _, home = a.get(t, "/admin", a.signIn(t, "trainer@example.org", password, "")); strings.Contains(home, "/admin/attention#") {
		t.Error("trainer's first page counts what they may not see")
	}
}
