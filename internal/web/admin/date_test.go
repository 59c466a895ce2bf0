package admin

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
)

// dateFormOf reads the date editor's form as a browser would submit it
// (formOf reads the first form posting under /admin/courses/).
func dateFormOf(t *testing.T, body string) url.Values {
	t.Helper()
	return formOf(t, strings.Replace(body, `<form method="post" action="/admin/dates/`, `<form method="post" action="/admin/courses/`, 1))
}

// bookedArea is a hooked staff area (minimum notice: 5 working days) with
// an admin signed in and the test course's date first days away, with
// people confirmed on it.
func bookedArea(t *testing.T, days int, people ...string) (*staffArea, string, catalog.Course) {
	t.Helper()
	a := newArea(t, func(o *areaOptions) { o.hooked, o.minNotice = true, 5 })
	a.addUser(t, "boss@example.org", account.Admin)
	tok := a.signIn(t, "boss@example.org", password, "")
	course := catalogtest.NewCourse(t0)
	course.Fees = nil
	course.Events[0].Days[0].Date = catalog.DateOf(t0).AddDays(days)
	if _, err := a.catalog.Save(ctx, []*catalog.Course{&course}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	for _, name := range people {
		email := strings.ToLower(strings.Fields(name)[0]) + "@example.org"
		if _, err := a.bookings.Book(ctx, booking.Request{EventID: course.Events[0].ID, Name: name, Email: email,
			Organisation: "North Clinic", Role: "Psychotherapist", SystemChecked: true}, audit.ParticipantOf(0)); err != nil {
			t.Fatal(err)
		}
	}
	return a, tok, course
}

func countMail(t *testing.T, a *staffArea, like string) (n int) {
	t.Helper()
	if err := a.db.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE dedupe_key LIKE $1`, like).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDateAgendaEditor adds an agenda item, moves it up, marks its kind,
// and is refused an item outside the day's times with the message beside
// the item and nothing saved; a good agenda then saves.
func TestDateAgendaEditor(t *testing.T) {
	t.Parallel()
	a, tok, course := editorArea(t)
	path := fmt.Sprintf("/admin/dates/%d/edit", course.Events[0].ID)
	res, body := a.get(t, path, tok)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", path, res.StatusCode)
	}
	form := dateFormOf(t, body)
	if form.Get("a_title_0_1") != "Teaching" || form.Get("day_start_0") != "10:00" {
		t.Fatalf("the stored agenda is not in the form: %v", form)
	}
	form.Set("op", "add-item-0")
	_, body = a.post(t, path, tok, form)
	form = dateFormOf(t, body)
	if !form.Has("a_title_0_2") || form.Get("a_start_0_2") != "16:00" {
		t.Fatalf("added item: %v", form)
	}
	form.Set("a_kind_0_2", "lunch")
	form.Set("a_start_0_2", "12:00")
	form.Set("a_end_0_2", "12:45")
	form.Set("a_title_0_2", "Lunch")
	form.Set("a_start_0_1", "12:45")
	form.Set("op", "up-item-0-2")
	_, body = a.post(t, path, tok, form)
	form = dateFormOf(t, body)
	if form.Get("a_title_0_1") != "Lunch" || form.Get("a_kind_0_1") != "lunch" || form.Get("a_title_0_2") != "Teaching" {
		t.Fatalf("move up: %q (%s), %q", form.Get("a_title_0_1"), form.Get("a_kind_0_1"), form.Get("a_title_0_2"))
	}
	// Teaching to 17:30 on a day that ends at 17:00.
	form.Set("a_end_0_2", "17:30")
	form.Set("op", "save")
	res, body = a.post(t, path, tok, form)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="a_start_0_2-error"`) ||
		!strings.Contains(body, "ends at 17:30, after the day (10:00-17:00) ends") {
		t.Fatalf("an item outside the day: %d\n%s", res.StatusCode, body)
	}
	if got := dateFormOf(t, body).Get("a_end_0_2"); got != "17:30" {
		t.Fatalf("the typed end was not kept: %q", got)
	}
	if c, _ := a.catalog.CourseByID(ctx, course.ID); c.Version != course.Version {
		t.Fatal("the refused agenda was saved")
	}
	form.Set("a_end_0_2", "16:30")
	if res, body = a.post(t, path, tok, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", res.StatusCode, body)
	}
	c, _ := a.catalog.CourseByID(ctx, course.ID)
	ag := c.Events[0].Days[0].Agenda
	if len(ag) != 3 || ag[1].Kind != catalog.Lunch || ag[2].End.String() != "16:30" {
		t.Fatalf("saved agenda: %+v", ag)
	}
}

// TestDateChangePreview changes the times of a date two people are
// booked on: "Check the changes" shows the change and says exactly 2
// people will be told, and queues nothing; "Save and tell 2 people"
// saves, and the 2 notices are in the mail log, one of them read back.
func TestDateChangePreview(t *testing.T) {
	t.Parallel()
	a, tok, course := bookedArea(t, 28, "Ann Archer", "Bob Baker")
	path := fmt.Sprintf("/admin/dates/%d/edit", course.Events[0].ID)
	_, body := a.get(t, path, tok)
	form := dateFormOf(t, body)
	form.Set("day_start_0", "10:30")
	form.Set("op", "check")
	res, body := a.post(t, path, tok, form)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("check: %d\n%s", res.StatusCode, body)
	}
	for _, want := range []string{"What this save will do", "10:00–17:00", "10:30–17:00", "2 people will be told", "2 confirmed",
		"Save and tell 2 people", "The notice as Ann Archer will read it", "Subject:", "Dear Ann Archer"} {
		if !strings.Contains(body, want) {
			t.Errorf("the check does not say %q", want)
		}
	}
	if n := countMail(t, a, "event-changed/%"); n != 0 {
		t.Fatalf("the check queued %d notices", n)
	}
	if c, _ := a.catalog.CourseByID(ctx, course.ID); c.Version != course.Version {
		t.Fatal("the check saved")
	}
	preview := body
	form = dateFormOf(t, body)
	form.Set("op", "save")
	if res, body = a.post(t, path, tok, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", res.StatusCode, body)
	}
	if n := countMail(t, a, "event-changed/%"); n != 2 {
		t.Fatalf("%d notices queued, the check said 2", n)
	}
	var id int64
	if err := a.db.QueryRowContext(ctx, `SELECT id FROM messages WHERE dedupe_key LIKE 'event-changed/%' ORDER BY id LIMIT 1`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	_, body = a.get(t, fmt.Sprintf("/admin/messages/%d", id), tok)
	if !strings.Contains(body, "10:30–17:00") {
		t.Errorf("the notice in the mail log does not give the new times:\n%s", body)
	}
	m, err := a.outbox.Message(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(preview, html.EscapeString(m.Subject)) {
		t.Errorf("the check's sample notice does not have the subject sent, %q", m.Subject)
	}
}

// TestDateLateChangeNeedsConfirm: a change to a date two days away with
// someone booked is inside the notice window: the check says so, a save
// without the box ticked is refused and saves nothing, ticked it saves.
func TestDateLateChangeNeedsConfirm(t *testing.T) {
	t.Parallel()
	a, tok, course := bookedArea(t, 2, "Ann Archer")
	path := fmt.Sprintf("/admin/dates/%d/edit", course.Events[0].ID)
	_, body := a.get(t, path, tok)
	form := dateFormOf(t, body)
	form.Set("venue_name", "Room 4")
	form.Set("op", "check")
	_, body = a.post(t, path, tok, form)
	if !strings.Contains(body, "inside the 5-working-day notice window") || !strings.Contains(body, `name="confirm_late"`) {
		t.Fatalf("the check does not ask for a confirmation:\n%s", body)
	}
	form.Set("op", "save")
	res, body := a.post(t, path, tok, form)
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, `id="confirm_late-error"`) {
		t.Fatalf("unconfirmed late save: %d", res.StatusCode)
	}
	if c, _ := a.catalog.CourseByID(ctx, course.ID); c.Version != course.Version {
		t.Fatal("the unconfirmed late change was saved")
	}
	form.Set("confirm_late", "1")
	if res, _ := a.post(t, path, tok, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirmed late save: %d", res.StatusCode)
	}
}

// TestDateCancelWithReason: cancelling asks for a reason; the check
// says who is told; cancelling tells them with the reason.
func TestDateCancelWithReason(t *testing.T) {
	t.Parallel()
	a, tok, course := bookedArea(t, 28, "Ann Archer")
	path := fmt.Sprintf("/admin/dates/%d/edit", course.Events[0].ID)
	_, body := a.get(t, path, tok)
	form := dateFormOf(t, body)
	form.Set("op", "check-cancel")
	res, body := a.post(t, path, tok, form)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="reason-error"`) {
		t.Fatalf("no reason: %d", res.StatusCode)
	}
	form.Set("reason", "The trainer is unwell.")
	res, body = a.post(t, path, tok, form)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "1 person will be told") || !strings.Contains(body, "Cancel the date and tell 1 person") ||
		!strings.Contains(body, "Why: The trainer is unwell.") {
		t.Fatalf("check cancel: %d\n%s", res.StatusCode, body)
	}
	if n := countMail(t, a, "event-cancelled/%"); n != 0 {
		t.Fatalf("the check queued %d", n)
	}
	form.Set("op", "cancel")
	if res, body = a.post(t, path, tok, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: %d\n%s", res.StatusCode, body)
	}
	c, _ := a.catalog.CourseByID(ctx, course.ID)
	if c.Events[0].Status != catalog.Cancelled {
		t.Fatalf("status %s", c.Events[0].Status)
	}
	var id int64
	if err := a.db.QueryRowContext(ctx, `SELECT id FROM messages WHERE dedupe_key LIKE 'event-cancelled/%'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	m, err := a.outbox.Message(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Text, "Why: The trainer is unwell.") {
		t.Errorf("the cancellation does not give the reason:\n%s", m.Text)
	}
}

// TestDateEditStale: a save based on an old version is refused with what
// is saved now, the typed input kept, nothing saved.
func TestDateEditStale(t *testing.T) {
	t.Parallel()
	a, tok, course := editorArea(t)
	path := fmt.Sprintf("/admin/dates/%d/edit", course.Events[0].ID)
	_, body := a.get(t, path, tok)
	form := dateFormOf(t, body)
	other := course
	other.Events = append([]catalog.Event(nil), course.Events...)
	other.Events[0].Capacity = 30
	if _, err := a.catalog.Save(ctx, []*catalog.Course{&other}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	form.Set("venue_name", "Typed meanwhile")
	form.Set("op", "save")
	res, body := a.post(t, path, tok, form)
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "Someone else saved this course") || !strings.Contains(body, "30 places") {
		t.Fatalf("stale: %d\n%s", res.StatusCode, body)
	}
	if got := dateFormOf(t, body).Get("venue_name"); got != "Typed meanwhile" {
		t.Fatalf("typed venue not kept: %q", got)
	}
	if c, _ := a.catalog.CourseByID(ctx, course.ID); c.Events[0].Venue.Name != "" {
		t.Fatal("the stale save was saved")
	}
}
