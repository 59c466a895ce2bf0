package admin

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/certificates"
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

// TestDateEditZoneRegionFormat changes a booked date's zone, region and
// format: a zone that is not one and an in-person date without a venue
// are refused beside their fields, the typed values kept, nothing saved;
// the check then lists the zone and format (told) and the region (staff
// only); the save keeps the times as typed in the new zone, and the
// notice names the new zone and format.
func TestDateEditZoneRegionFormat(t *testing.T) {
	t.Parallel()
	a, tok, course := bookedArea(t, 28, "Ann Archer")
	path := fmt.Sprintf("/admin/dates/%d/edit", course.Events[0].ID)
	_, body := a.get(t, path, tok)
	if !strings.Contains(body, "10:00 stays 10:00 on the clock of the new zone") {
		t.Error("the page does not say the times stay as typed when the zone changes")
	}
	form := dateFormOf(t, body)
	if form.Get("time_zone") != catalog.DefaultTimeZone || form.Get("format") != "online" || !form.Has("region") {
		t.Fatalf("the stored zone, region and format are not in the form: %v", form)
	}
	form.Set("time_zone", "Mars/Olympus")
	form.Set("op", "save")
	res, body := a.post(t, path, tok, form)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="time_zone-error"`) ||
		dateFormOf(t, body).Get("time_zone") != "Mars/Olympus" {
		t.Fatalf("a zone that is not one: %d\n%s", res.StatusCode, body)
	}
	form.Set("time_zone", "America/New_York")
	form.Set("region", "scotland")
	form.Set("format", "in_person")
	res, body = a.post(t, path, tok, form)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="venue_name-error"`) {
		t.Fatalf("in person without a venue: %d\n%s", res.StatusCode, body)
	}
	if c, _ := a.catalog.CourseByID(ctx, course.ID); c.Version != course.Version {
		t.Fatal("a refused change was saved")
	}
	form = dateFormOf(t, body)
	if form.Get("format") != "in_person" || form.Get("region") != "scotland" {
		t.Fatalf("the typed format and region were not kept: %v", form)
	}
	form.Set("venue_name", "Room 4")
	form.Set("venue_directions", "Side door, first floor.")
	form.Set("op", "check")
	res, body = a.post(t, path, tok, form)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("check: %d\n%s", res.StatusCode, body)
	}
	for _, want := range []string{"Time zone", "Europe/London", "America/New_York", "Format", "1 person will be told",
		"Changed for staff only", "Bank holidays of", "Scotland"} {
		if !strings.Contains(body, want) {
			t.Errorf("the check does not say %q", want)
		}
	}
	form = dateFormOf(t, body)
	form.Set("op", "save")
	if res, body = a.post(t, path, tok, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", res.StatusCode, body)
	}
	c, _ := a.catalog.CourseByID(ctx, course.ID)
	e := c.Events[0]
	if e.TimeZone != "America/New_York" || e.Region != "scotland" || e.Format != catalog.InPerson || e.Venue.Name != "Room 4" ||
		e.Venue.Directions != "Side door, first floor." {
		t.Fatalf("saved: %s %s %s %+v", e.TimeZone, e.Region, e.Format, e.Venue)
	}
	ny, _ := time.LoadLocation("America/New_York")
	if e.Days[0].Start.String() != "10:00" || !e.StartsAt.Equal(e.Days[0].Start.At(e.Days[0].Date, ny)) ||
		e.StartsAt.In(ny).Hour() != 10 {
		t.Fatalf("the times moved with the zone: %s, starts %s", e.Days[0].Start, e.StartsAt)
	}
	var id int64
	if err := a.db.QueryRowContext(ctx, `SELECT id FROM messages WHERE dedupe_key LIKE 'event-changed/%'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	m, err := a.outbox.Message(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"America/New_York", "In person", "Room 4"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("the notice does not say %q:\n%s", want, m.Text)
		}
	}
}

// TestDateEditAddRemoveDay adds a day to a booked date (the check and the
// notice give the new dates), takes the register on its first day, and
// is then refused removing or moving that day, beside it; the unmarked
// second day is removed, and the person booked is told again.
func TestDateEditAddRemoveDay(t *testing.T) {
	t.Parallel()
	a, tok, course := bookedArea(t, 28, "Ann Archer")
	ev := course.Events[0]
	first := ev.Days[0].Date
	path := fmt.Sprintf("/admin/dates/%d/edit", ev.ID)
	_, body := a.get(t, path, tok)
	form := dateFormOf(t, body)
	if form.Has("day_date_1") || strings.Contains(body, `value="remove-day-0"`) {
		t.Fatal("a one-day date offers to remove its day")
	}
	form.Set("op", "add-day")
	_, body = a.post(t, path, tok, form)
	form = dateFormOf(t, body)
	second := first.AddDays(1)
	if form.Get("day_date_1") != second.String() || form.Get("day_start_1") != "10:00" || form.Get("day_end_1") != "17:00" || form.Get("day_was_1") != "" {
		t.Fatalf("added day: %v", form)
	}
	form.Set("op", "check")
	res, body := a.post(t, path, tok, form)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "1 person will be told") || !strings.Contains(body, ">Dates</th>") ||
		!strings.Contains(body, second.String()) {
		t.Fatalf("check an added day: %d\n%s", res.StatusCode, body)
	}
	form = dateFormOf(t, body)
	form.Set("op", "save")
	if res, body = a.post(t, path, tok, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save an added day: %d\n%s", res.StatusCode, body)
	}
	c, _ := a.catalog.CourseByID(ctx, course.ID)
	if n := len(c.Events[0].Days); n != 2 || c.Events[0].Days[1].Date != second {
		t.Fatalf("saved days: %+v", c.Events[0].Days)
	}
	if n := countMail(t, a, "event-changed/%"); n != 1 {
		t.Fatalf("%d notices of the added day, want 1", n)
	}
	// The register of the first day is taken.
	var booking int64
	if err := a.db.QueryRowContext(ctx, `SELECT id FROM bookings WHERE email = 'ann@example.org'`).Scan(&booking); err != nil {
		t.Fatal(err)
	}
	if _, err := a.srv.register.Save(ctx, ev.ID, first, "", []certificates.Entry{{BookingID: booking, Mark: certificates.Present}},
		audit.StaffMember(1, "Boss")); err != nil {
		t.Fatal(err)
	}
	_, body = a.get(t, path, tok)
	form = dateFormOf(t, body)
	form.Set("op", "remove-day-0")
	res, body = a.post(t, path, tok, form)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="day_date_0-error"`) ||
		!strings.Contains(body, "has marks for 1 person") || dateFormOf(t, body).Get("day_date_0") != first.String() {
		t.Fatalf("remove a day with register marks: %d\n%s", res.StatusCode, body)
	}
	// Moving it is removing it from its day: refused too, beside it.
	form.Set("day_date_0", first.AddDays(-1).String())
	form.Set("op", "save")
	res, body = a.post(t, path, tok, form)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="day_date_0-error"`) || !strings.Contains(body, "cannot move from "+first.String()) {
		t.Fatalf("move a day with register marks: %d\n%s", res.StatusCode, body)
	}
	if got, _ := a.catalog.CourseByID(ctx, course.ID); got.Version != c.Version {
		t.Fatal("a refused day change was saved")
	}
	form.Set("day_date_0", first.String())
	form.Set("op", "remove-day-1")
	res, body = a.post(t, path, tok, form)
	form = dateFormOf(t, body)
	if res.StatusCode != http.StatusOK || form.Has("day_date_1") {
		t.Fatalf("remove the second day: %d %v", res.StatusCode, form)
	}
	form.Set("op", "save")
	if res, body = a.post(t, path, tok, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save a removed day: %d\n%s", res.StatusCode, body)
	}
	c, _ = a.catalog.CourseByID(ctx, course.ID)
	if n := len(c.Events[0].Days); n != 1 || c.Events[0].Days[0].Date != first {
		t.Fatalf("days after the removal: %+v", c.Events[0].Days)
	}
	if n := countMail(t, a, "event-changed/%"); n != 2 {
		t.Fatalf("%d notices after the removal, want 2", n)
	}
}

// TestDateEditPastDays: a day that has happened can be neither removed
// nor moved, and no day is moved into the past; a future day of the same
// date is removed.
func TestDateEditPastDays(t *testing.T) {
	t.Parallel()
	a := newArea(t, nil)
	a.addUser(t, "boss@example.org", account.Admin)
	tok := a.signIn(t, "boss@example.org", password, "")
	course := catalogtest.NewCourse(t0)
	today := catalog.DateOf(t0)
	day := course.Events[0].Days[0]
	day.Date = today.AddDays(-5)
	next := day
	next.Date, next.Agenda = today.AddDays(1), nil
	course.Events[0].Days = []catalog.Day{day, next}
	if _, err := a.catalog.Save(ctx, []*catalog.Course{&course}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/admin/dates/%d/edit", course.Events[0].ID)
	_, body := a.get(t, path, tok)
	form := dateFormOf(t, body)
	form.Set("op", "remove-day-0")
	res, body := a.post(t, path, tok, form)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="day_date_0-error"`) || !strings.Contains(body, "is in the past") {
		t.Fatalf("remove a past day: %d\n%s", res.StatusCode, body)
	}
	// A form posted without the past day's row (its remove button
	// refused): refused above the days, nothing saved.
	gone := url.Values{}
	for k, v := range form {
		switch {
		case strings.HasPrefix(k, "a_") && strings.Contains(k, "_0_"), strings.HasSuffix(k, "_0") && strings.HasPrefix(k, "day_"):
		case strings.HasSuffix(k, "_1") && strings.HasPrefix(k, "day_"):
			gone[strings.TrimSuffix(k, "_1")+"_0"] = v
		default:
			gone[k] = v
		}
	}
	gone.Set("op", "save")
	res, body = a.post(t, path, tok, gone)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="days-error"`) || !strings.Contains(body, "Open the date again to put it back") {
		t.Fatalf("a past day's row left out: %d\n%s", res.StatusCode, body)
	}
	form.Set("day_date_1", today.AddDays(-2).String())
	form.Set("op", "save")
	res, body = a.post(t, path, tok, form)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="day_date_1-error"`) ||
		!strings.Contains(body, "A day added or moved must be today or later") || dateFormOf(t, body).Get("day_date_1") != today.AddDays(-2).String() {
		t.Fatalf("move a day into the past: %d\n%s", res.StatusCode, body)
	}
	if c, _ := a.catalog.CourseByID(ctx, course.ID); c.Version != course.Version {
		t.Fatal("a refused day change was saved")
	}
	form.Set("day_date_1", next.Date.String())
	form.Set("op", "remove-day-1")
	_, body = a.post(t, path, tok, form)
	form = dateFormOf(t, body)
	form.Set("op", "save")
	if res, body = a.post(t, path, tok, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove the future day: %d\n%s", res.StatusCode, body)
	}
	if c, _ := a.catalog.CourseByID(ctx, course.ID); len(c.Events[0].Days) != 1 || c.Events[0].Days[0].Date != day.Date {
		t.Fatalf("days: %+v", c.Events[0].Days)
	}
}

// TestDateEditStaleFieldByField: editors who opened the date at the same
// version and change different fields all save, each keeping the
// others' changes; one who changed a field someone else changed
// meanwhile is refused beside that field alone, with its saved value,
// the typed value kept, the others' changes to other fields taken into
// the form and nothing saved; saving again saves theirs over it.
func TestDateEditStaleFieldByField(t *testing.T) {
	t.Parallel()
	a, tok, course := editorArea(t)
	path := fmt.Sprintf("/admin/dates/%d/edit", course.Events[0].ID)
	open := func() url.Values {
		_, body := a.get(t, path, tok)
		return dateFormOf(t, body)
	}
	fa, fb, fc, fd, fe := open(), open(), open(), open(), open()
	fa.Set("capacity", "30")
	fa.Set("op", "save")
	if res, body := a.post(t, path, tok, fa); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("first editor: %d\n%s", res.StatusCode, body)
	}
	fb.Set("venue_name", "Room B")
	fb.Set("day_start_0", "09:45")
	fb.Set("op", "save")
	if res, body := a.post(t, path, tok, fb); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("second editor, other fields: %d\n%s", res.StatusCode, body)
	}
	c, _ := a.catalog.CourseByID(ctx, course.ID)
	e := c.Events[0]
	if e.Capacity != 30 || e.Venue.Name != "Room B" || e.Days[0].Start.String() != "09:45" || e.Days[0].Agenda[1].Title != "Teaching" {
		t.Fatalf("after two editors: %d places, %q, %s", e.Capacity, e.Venue.Name, e.Days[0].Start)
	}
	fc.Set("capacity", "25")
	fc.Set("op", "save")
	res, body := a.post(t, path, tok, fc)
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, `id="capacity-error"`) || !strings.Contains(body, "now saved as &#34;30&#34;") {
		t.Fatalf("third editor, the same field: %d\n%s", res.StatusCode, body)
	}
	if strings.Contains(body, `id="venue_name-error"`) || strings.Contains(body, `id="days-error"`) {
		t.Error("fields only the others changed are marked as refused")
	}
	form := dateFormOf(t, body)
	if form.Get("capacity") != "25" || form.Get("venue_name") != "Room B" || form.Get("day_start_0") != "09:45" {
		t.Fatalf("the form after the refusal: %v", form)
	}
	if got, _ := a.catalog.CourseByID(ctx, course.ID); got.Version != c.Version {
		t.Fatal("the refused save saved")
	}
	form.Set("op", "save")
	if res, body = a.post(t, path, tok, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving again: %d\n%s", res.StatusCode, body)
	}
	c, _ = a.catalog.CourseByID(ctx, course.ID)
	if e = c.Events[0]; e.Capacity != 25 || e.Venue.Name != "Room B" || e.Days[0].Start.String() != "09:45" {
		t.Fatalf("after saving again: %d places, %q, %s", e.Capacity, e.Venue.Name, e.Days[0].Start)
	}
	// Another field alone: the check goes ahead on top of theirs, and
	// says so as a notice, not an error.
	fe.Set("venue_address", "1 High Street")
	fe.Set("op", "check")
	res, body = a.post(t, path, tok, fe)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `<div class="notice" role="status" aria-labelledby="stale-title">`) ||
		!strings.Contains(body, "Their changes to Places, Venue, Days, times and agenda are now in the form") || !strings.Contains(body, "What this save will do") {
		t.Fatalf("fifth editor, another field: %d\n%s", res.StatusCode, body)
	}
	if form = dateFormOf(t, body); form.Get("capacity") != "25" || form.Get("venue_address") != "1 High Street" {
		t.Fatalf("the checked form: %v", form)
	}
	// The times, changed by the second editor: refused beside the days.
	fd.Set("day_start_0", "11:00")
	fd.Set("op", "check")
	res, body = a.post(t, path, tok, fd)
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, `id="days-error"`) || !strings.Contains(body, "09:45") ||
		dateFormOf(t, body).Get("day_start_0") != "11:00" {
		t.Fatalf("fourth editor, the times: %d\n%s", res.StatusCode, body)
	}
}
