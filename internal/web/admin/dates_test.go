package admin

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
)

// datesForm is the add-dates form filled for an in-person date on one
// day, 10:00–16:00 in London.
func datesForm(t *testing.T, a *staffArea, tok string, courseID int64) url.Values {
	t.Helper()
	res, body := a.get(t, fmt.Sprintf("/admin/courses/%d/dates/new", courseID), tok)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET the add-dates form: %d", res.StatusCode)
	}
	form := formOf(t, body)
	if form.Get("time_zone") != "Europe/London" || form.Get("day_start_0") != "10:00" {
		t.Fatalf("the form's defaults: %v", form)
	}
	form.Set("format", "in_person")
	form.Set("venue_name", "North Clinic, Room 2")
	form.Set("capacity", "16")
	form.Set("day_start_0", "10:00")
	form.Set("day_end_0", "16:00")
	return form
}

// TestDatesWeeklyRuleAcrossClockChange adds Tuesday dates by a weekly
// rule across the end of BST: the preview lists them at 10:00 UK time,
// BST then GMT; "Add these 3 dates" saves them in one save, each with a
// ref of its day and a first day at 10:00 local.
func TestDatesWeeklyRuleAcrossClockChange(t *testing.T) {
	t.Parallel()
	a, tok, course := editorArea(t)
	path := fmt.Sprintf("/admin/courses/%d/dates/new", course.ID)
	form := datesForm(t, a, tok, course.ID)
	form.Set("day_date_0", "2027-10-19")
	form.Set("repeat", "weekly")
	form.Set("count", "3")
	form.Set("op", "preview")
	res, body := a.post(t, path, tok, form)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("preview: %d\n%s", res.StatusCode, body)
	}
	for _, want := range []string{"3 dates, every Tuesday", "Tuesday 19 October 2027", "Tuesday 2 November 2027",
		"10:00–16:00 UK time (BST)", "10:00–16:00 UK time (GMT)", "Add these 3 dates"} {
		if !strings.Contains(body, want) {
			t.Errorf("the preview does not say %q", want)
		}
	}
	if c, _ := a.catalog.CourseByID(ctx, course.ID); len(c.Events) != 1 {
		t.Fatalf("the preview saved dates: %d", len(c.Events))
	}
	form = formOf(t, body)
	form.Set("op", "add")
	res, _ = a.post(t, path, tok, form)
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "done=dates-3") {
		t.Fatalf("add: %d → %q", res.StatusCode, loc)
	}
	c, err := a.catalog.CourseByID(ctx, course.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Events) != 4 || c.Version != course.Version+1 {
		t.Fatalf("after adding: %d dates, version %d", len(c.Events), c.Version)
	}
	for _, e := range c.Events[1:] {
		local := e.StartsAt.In(e.Location())
		if local.Format("15:04") != "10:00" || e.Ref != e.Days[0].Date.String() || e.Venue.Name != "North Clinic, Room 2" || e.Capacity != 16 {
			t.Errorf("date %s: starts %s local, venue %q, places %d", e.Ref, local.Format("15:04 MST"), e.Venue.Name, e.Capacity)
		}
	}
	_, body = a.get(t, fmt.Sprintf("/admin/courses/%d?done=dates-3", course.ID), tok)
	if !strings.Contains(body, "3 dates were added.") {
		t.Error("the course page does not say the dates were added")
	}
}

// TestDatesMonthlyBankHoliday previews the last Monday of each month
// from April 2027 in England: 31 May 2027 (Spring bank holiday) and 30
// August 2027 (Summer bank holiday) are flagged, the others not.
func TestDatesMonthlyBankHoliday(t *testing.T) {
	t.Parallel()
	a, tok, course := editorArea(t)
	form := datesForm(t, a, tok, course.ID)
	form.Set("day_date_0", "2027-04-26")
	form.Set("region", "england-and-wales")
	form.Set("repeat", "monthly")
	form.Set("nth", "-1")
	form.Set("until", "2027-09-30")
	form.Set("op", "preview")
	res, body := a.post(t, fmt.Sprintf("/admin/courses/%d/dates/new", course.ID), tok, form)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("preview: %d\n%s", res.StatusCode, body)
	}
	for _, want := range []string{"6 dates, the last Monday of every month", "2 of these fall on a bank holiday",
		"Monday 31 May 2027: Spring Bank Holiday", "Monday 30 August 2027: Summer Bank Holiday"} {
		if !strings.Contains(strings.ToLower(body), strings.ToLower(want)) {
			t.Errorf("the preview does not say %q", want)
		}
	}
	if n := strings.Count(body, "<strong>Bank holiday:</strong>"); n != 2 {
		t.Errorf("%d dates flagged, want 2", n)
	}
}

// TestDatesRefused: more than 100 dates, a rule with no end and a day
// typed wrong are refused beside their fields, the typed input kept, and
// nothing is saved.
func TestDatesRefused(t *testing.T) {
	t.Parallel()
	a, tok, course := editorArea(t)
	path := fmt.Sprintf("/admin/courses/%d/dates/new", course.ID)
	for name, tc := range map[string]struct {
		set   map[string]string
		field string
		msg   string
	}{
		"over 100": {map[string]string{"day_date_0": "2027-01-05", "repeat": "weekly", "until": "2029-06-01"}, "until", "at most 100 dates"},
		"count":    {map[string]string{"day_date_0": "2027-01-05", "repeat": "weekly", "count": "101"}, "count", "at most 100 dates"},
		"no end":   {map[string]string{"day_date_0": "2027-01-05", "repeat": "weekly"}, "until", "say when the dates end"},
		"bad day":  {map[string]string{"day_date_0": "19/10/2027"}, "day_date_0", "enter the date as YYYY-MM-DD"},
		"no venue": {map[string]string{"day_date_0": "2027-01-05", "venue_name": ""}, "venue_name", "Venue is required"},
	} {
		form := datesForm(t, a, tok, course.ID)
		for k, v := range tc.set {
			form.Set(k, v)
		}
		for _, op := range []string{"preview", "add"} {
			form.Set("op", op)
			res, body := a.post(t, path, tok, form)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("%s/%s: %d, want 422", name, op, res.StatusCode)
				continue
			}
			if !strings.Contains(body, `id="`+tc.field+`-error"`) || !strings.Contains(body, tc.msg) {
				t.Errorf("%s/%s: no message %q beside %s", name, op, tc.msg, tc.field)
			}
			if got := formOf(t, body).Get("day_date_0"); got != tc.set["day_date_0"] {
				t.Errorf("%s/%s: the typed day became %q", name, op, got)
			}
		}
	}
	if c, _ := a.catalog.CourseByID(ctx, course.ID); len(c.Events) != 1 || c.Version != course.Version {
		t.Fatalf("refused forms saved something: %d dates, version %d", len(c.Events), c.Version)
	}
}

// TestDatesStaleRefused: the form was opened at one version, someone
// else saved the course meanwhile; adding is refused with what happened,
// the entries kept, and nothing added. Adding again then works.
func TestDatesStaleRefused(t *testing.T) {
	t.Parallel()
	a, tok, course := editorArea(t)
	path := fmt.Sprintf("/admin/courses/%d/dates/new", course.ID)
	form := datesForm(t, a, tok, course.ID)
	form.Set("day_date_0", "2027-03-09")
	form.Set("op", "add")
	other := course
	other.Title = "Renamed meanwhile"
	if _, err := a.catalog.Save(ctx, []*catalog.Course{&other}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	res, body := a.post(t, path, tok, form)
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "Someone else saved this course") {
		t.Fatalf("stale add: %d\n%s", res.StatusCode, body)
	}
	again := formOf(t, body)
	if again.Get("day_date_0") != "2027-03-09" || again.Get("venue_name") != "North Clinic, Room 2" {
		t.Fatalf("the entries were not kept: %v", again)
	}
	if c, _ := a.catalog.CourseByID(ctx, course.ID); len(c.Events) != 1 {
		t.Fatalf("a stale add saved %d dates", len(c.Events)-1)
	}
	again.Set("op", "add")
	if res, _ := a.post(t, path, tok, again); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("adding after the refusal: %d", res.StatusCode)
	}
}

// TestDateCopy runs a date again on a new day from the course page's
// "Copy to another day" form: its times and agenda come along; a day
// typed wrong is refused beside the field with what was typed kept.
func TestDateCopy(t *testing.T) {
	t.Parallel()
	a, tok, course := editorArea(t)
	_, body := a.get(t, fmt.Sprintf("/admin/courses/%d", course.ID), tok)
	src := course.Events[0]
	action := fmt.Sprintf("/admin/dates/%d/copy", src.ID)
	if !strings.Contains(body, `action="`+action+`"`) || !strings.Contains(body, "Copy to another day") {
		t.Fatal("the course page has no copy form for the date")
	}
	res, body := a.post(t, action, tok, url.Values{"version": {fmt.Sprint(course.Version)}, "first_day": {"next tuesday"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="first_day-error"`) || !strings.Contains(body, `value="next tuesday"`) {
		t.Fatalf("a bad day: %d\n%s", res.StatusCode, body)
	}
	res, _ = a.post(t, action, tok, url.Values{"version": {fmt.Sprint(course.Version)}, "first_day": {"2027-06-08"}})
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "done=copied") {
		t.Fatalf("copy: %d → %q", res.StatusCode, loc)
	}
	c, _ := a.catalog.CourseByID(ctx, course.ID)
	if len(c.Events) != 2 {
		t.Fatalf("%d dates after the copy", len(c.Events))
	}
	n := c.Events[1]
	if n.Ref != "2027-06-08" || n.Days[0].Start != src.Days[0].Start || n.Days[0].End != src.Days[0].End ||
		len(n.Days[0].Agenda) != len(src.Days[0].Agenda) || n.Days[0].Agenda[1].Title != src.Days[0].Agenda[1].Title {
		t.Fatalf("the copy: %+v", n)
	}
	if n.Meeting.JoinURL != "" || n.Meeting.Provider != src.Meeting.Provider {
		t.Fatalf("the copy's meeting: %+v", n.Meeting)
	}
}
