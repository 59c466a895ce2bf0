package admin

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database/dbtest"
)

// formOf reads the editor's form from a page as a browser would submit
// it (without a button): text inputs and hidden ones, checked boxes and
// radios, text areas, and each select's selected option.
func formOf(t *testing.T, body string) url.Values {
	t.Helper()
	start := strings.Index(body, `<form method="post" action="/admin/courses/`)
	if start < 0 {
		t.Fatalf("no editor form in the page:\n%s", body)
	}
	body = body[start:]
	body = body[:strings.Index(body, "</form>")]
	v := url.Values{}
	attr := func(tag, name string) (string, bool) {
		m := regexp.MustCompile(`\s` + name + `="([^"]*)"`).FindStringSubmatch(tag)
		if m == nil {
			return "", false
		}
		return html.UnescapeString(m[1]), true
	}
	for _, tag := range regexp.MustCompile(`<input[^>]*>`).FindAllString(body, -1) {
		name, _ := attr(tag, "name")
		typ, _ := attr(tag, "type")
		value, _ := attr(tag, "value")
		if (typ == "checkbox" || typ == "radio") && !strings.Contains(tag, " checked") {
			continue
		}
		v.Add(name, value)
	}
	for _, m := range regexp.MustCompile(`(?s)<textarea[^>]*name="([^"]*)"[^>]*>(.*?)</textarea>`).FindAllStringSubmatch(body, -1) {
		v.Add(m[1], html.UnescapeString(m[2]))
	}
	for _, m := range regexp.MustCompile(`(?s)<select[^>]*name="([^"]*)"[^>]*>(.*?)</select>`).FindAllStringSubmatch(body, -1) {
		if o := regexp.MustCompile(`<option value="([^"]*)" selected>`).FindStringSubmatch(m[2]); o != nil {
			v.Add(m[1], html.UnescapeString(o[1]))
		}
	}
	return v
}

// editorArea is a staff area with an admin signed in and the test course
// saved (as plenary import saves it).
func editorArea(t *testing.T) (*staffArea, string, catalog.Course) {
	t.Helper()
	a := newArea(t, nil)
	a.addUser(t, "boss@example.org", account.Admin)
	tok := a.signIn(t, "boss@example.org", password, "")
	course := catalogtest.NewCourse(t0)
	if _, err := a.catalog.Save(ctx, []*catalog.Course{&course}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	return a, tok, course
}

// TestCourseEditorRoundTrip edits every field a course file holds but
// the dates through the handlers (texts, topics, fees, questions — added,
// reordered —, rules, booking settings, reminders, status, a date's
// meeting details), then exports the course with the course file
// formatter and imports it into a fresh database: the course read back
// is the one saved. An untouched form saved again makes no new version.
func TestCourseEditorRoundTrip(t *testing.T) {
	t.Parallel()
	a, tok, course := editorArea(t)
	path := fmt.Sprintf("/admin/courses/%d", course.ID)
	res, body := a.get(t, path, tok)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", path, res.StatusCode)
	}
	// Saving the form as it was opened changes nothing.
	form := formOf(t, body)
	form.Set("op", "save")
	res, _ = a.post(t, path, tok, form)
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(loc, "done=unchanged") {
		t.Fatalf("saving the untouched form: %d → %q, want done=unchanged", res.StatusCode, loc)
	}
	if c, _ := a.catalog.CourseByID(ctx, course.ID); c.Version != course.Version {
		t.Fatalf("untouched save: version %d, want %d", c.Version, course.Version)
	}

	// Add a question and a rule with the "add another" buttons.
	form.Set("op", "add-question")
	_, body = a.post(t, path, tok, form)
	form = formOf(t, body)
	if !form.Has("q_key_0") {
		t.Fatalf("add a question: no row q_key_0 in %v", form)
	}
	form.Set("q_key_0", "registered")
	form.Set("q_label_0", "Are you registered with a professional body?")
	form.Set("q_kind_0", "yes_no")
	form.Set("op", "add-question")
	_, body = a.post(t, path, tok, form)
	form = formOf(t, body)
	form.Set("q_key_1", "training_completed")
	form.Set("q_label_1", "When did you complete your core training?")
	form.Set("q_kind_1", "date")
	form.Set("q_help_1", "The day on your certificate.")
	form.Set("q_required_1", "1")
	form.Set("op", "up-question-1") // training_completed first
	_, body = a.post(t, path, tok, form)
	form = formOf(t, body)
	if form.Get("q_key_0") != "training_completed" || form.Get("q_key_1") != "registered" {
		t.Fatalf("move up: keys %q, %q", form.Get("q_key_0"), form.Get("q_key_1"))
	}
	for _, op := range []string{"add-rule", "add-rule", "add-fee"} {
		form.Set("op", op)
		_, body = a.post(t, path, tok, form)
		form = formOf(t, body)
	}
	form.Set("r_if_0", "registered is no")
	form.Set("r_then_0", "refuse")
	form.Set("r_message_0", "This course is for registered practitioners.")
	form.Set("r_if_1", "training_completed after event - 6 months\nregistered is yes")
	form.Set("r_then_1", "review")
	form.Set("r_message_1", "Your training is recent: a coordinator will check.")
	form.Set("fee_name_1", "Concession")
	form.Set("fee_amount_1", "£60.50")
	form.Set("fee_currency_1", "GBP")
	form.Set("fee_amount_0", "£1,150.00")
	form.Set("title", "Dynamic Interpersonal Therapy: refresher")
	form.Set("summary", "Two days back in the model.")
	form.Set("topics", "Testing\r\nPsychotherapy\r\n")
	for i, name := range []string{"about", "audience", "aims", "prerequisites", "delivery", "cancellation_terms"} {
		form.Set(name, fmt.Sprintf("Text %d with **bold**,\r\n\r\n- a list\r\n- of things\r\n", i))
	}
	// A heading of the file's own level and a code block left open are
	// kept as the course file will write them.
	form.Set("about", "# Heading typed\r\n\r\nText.\r\n\r\n```\r\nopen code")
	form.Set("status", "draft")
	form.Set("waitlist", "1")
	form.Set("offer_hold_hours", "48")
	form.Set("closes_hours_before", "24")
	form.Set("joining_lead_days", "5")
	form.Set("reminder_days_before", "2")
	form.Set("completion", "percent")
	form.Set("completion_percent", "80")
	form.Set("feedback_url", " https://forms.example.org/feedback?course=dit&from=mail ")
	form.Set("m_provider_0", "Teams")
	form.Set("m_url_0", "https://teams.example/l/meetup/9")
	form.Set("m_id_0", "987 654")
	form.Set("m_passcode_0", "new-passcode")
	form.Set("op", "save")
	res, body = a.post(t, path, tok, form)
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(loc, "done=saved") {
		t.Fatalf("save: %d → %q\n%s", res.StatusCode, loc, body)
	}
	stored, err := a.catalog.CourseByID(ctx, course.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := catalog.Course{Title: "Dynamic Interpersonal Therapy: refresher", Summary: "Two days back in the model.",
		Status: catalog.Draft, Topics: []string{"Testing", "Psychotherapy"}, Waitlist: true, OfferHoldHours: 48,
		BookingClosesHours: 24, JoiningLeadDays: 5, ReminderDaysBefore: 2,
		Fees: []catalog.FeeTier{{Name: "Standard", Amount: 115000, Currency: "GBP"}, {Name: "Concession", Amount: 6050, Currency: "GBP"}},
		Questions: []catalog.Question{
			{Key: "training_completed", Label: "When did you complete your core training?", Kind: catalog.DateAnswer, Required: true, Help: "The day on your certificate."},
			{Key: "registered", Label: "Are you registered with a professional body?", Kind: catalog.YesNo, Required: false}}}
	got := stored
	if got.Title != want.Title || got.Summary != want.Summary || got.Status != want.Status || !reflect.DeepEqual(got.Topics, want.Topics) ||
		got.Waitlist != want.Waitlist || got.OfferHoldHours != 48 || got.BookingClosesHours != 24 || got.JoiningLeadDays != 5 ||
		got.ReminderDaysBefore != 2 || !reflect.DeepEqual(got.Fees, want.Fees) || !reflect.DeepEqual(got.Questions, want.Questions) {
		t.Errorf("stored after the edit:\n%+v\nwant fields of\n%+v", got, want)
	}
	if got.CompletionPercent != 80 || got.FeedbackURL != "https://forms.example.org/feedback?course=dit&from=mail" {
		t.Errorf("completion %d%%, feedback link %q stored", got.CompletionPercent, got.FeedbackURL)
	}
	if got.About != "### Heading typed\n\nText.\n\n```\nopen code\n```" {
		t.Errorf("about stored as %q", got.About)
	}
	if got.Delivery != "Text 4 with **bold**,\n\n- a list\n- of things" {
		t.Errorf("delivery stored as %q", got.Delivery)
	}
	if len(got.Rules) != 2 || got.Rules[1].Conditions[0].String() != "training_completed after event - 6 months" || got.Rules[0].Outcome != catalog.Refuse {
		t.Errorf("rules stored as %+v", got.Rules)
	}
	if m := got.Events[0].Meeting; m != (catalog.Meeting{Provider: "Teams", JoinURL: "https://teams.example/l/meetup/9", ID: "987 654", Passcode: "new-passcode"}) {
		t.Errorf("meeting stored as %+v", m)
	}
	if got.Version != course.Version+1 {
		t.Errorf("version %d, want %d", got.Version, course.Version+1)
	}

	// The download is the course file; imported elsewhere it is the same course.
	res, file := a.get(t, path+"/file", tok)
	if res.StatusCode != http.StatusOK || file != string(catalog.FormatCourseFile(stored)) {
		t.Fatalf("course file download: %d\n%s", res.StatusCode, file)
	}
	parsed, err := catalog.ParseCourseFile("export.md", []byte(file))
	if err != nil {
		t.Fatalf("the exported file does not import: %v", err)
	}
	fresh := catalog.NewStore(dbtest.New(t), catalog.Hooks{})
	if _, err := fresh.Save(ctx, []*catalog.Course{&parsed}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	back, err := fresh.CourseBySlug(ctx, stored.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := catalog.FormatCourseFile(back), catalog.FormatCourseFile(stored); string(a) != string(b) {
		t.Errorf("export → import changed the course:\n%s\nwant\n%s", a, b)
	}
	back.ID, back.Version, back.CreatedAt, back.UpdatedAt = stored.ID, stored.Version, stored.CreatedAt, stored.UpdatedAt
	for i := range back.Events {
		e, s := &back.Events[i], stored.Events[i]
		e.ID, e.CourseID, e.Version, e.CreatedAt, e.UpdatedAt, e.Status = s.ID, s.CourseID, s.Version, s.CreatedAt, s.UpdatedAt, s.Status
	}
	if !reflect.DeepEqual(back, stored) {
		t.Errorf("imported course differs:\n%+v\nwant\n%+v", back, stored)
	}

	// And the reverse: import the file over the edited course, then save
	// the editor's form untouched: no new version either way.
	if res, err := a.catalog.Save(ctx, []*catalog.Course{&parsed}, catalogtest.Options(t0)); err != nil || res[0].Changed {
		t.Fatalf("re-import of the export: changed=%v, %v", res[0].Changed, err)
	}
	_, body = a.get(t, path, tok)
	form = formOf(t, body)
	form.Set("op", "save")
	res, _ = a.post(t, path, tok, form)
	if loc := res.Header.Get("Location"); !strings.HasSuffix(loc, "done=unchanged") {
		t.Errorf("untouched save after import: → %q, want done=unchanged", loc)
	}
	if c, _ := a.catalog.CourseByID(ctx, course.ID); c.Version != stored.Version {
		t.Errorf("version after import and an untouched save: %d, want %d", c.Version, stored.Version)
	}
}

// TestCourseEditorStaleSave: two coordinators open the same version; the
// first saves; the second's save is refused with who changed which field
// (saved now beside their own), their typed input kept and nothing of
// theirs saved; saving again, knowing, goes through.
func TestCourseEditorStaleSave(t *testing.T) {
	t.Parallel()
	a, tok, course := editorArea(t)
	a.addUser(t, "cora@example.org", account.Coordinator)
	tok2 := a.signIn(t, "cora@example.org", password, "")
	path := fmt.Sprintf("/admin/courses/%d", course.ID)
	_, body := a.get(t, path, tok)
	first := formOf(t, body)
	_, body = a.get(t, path, tok2)
	second := formOf(t, body)

	first.Set("title", "A title from the first")
	first.Set("op", "save")
	if res, _ := a.post(t, path, tok, first); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("first save: %d", res.StatusCode)
	}
	second.Set("summary", "A summary typed by the second.")
	second.Set("op", "save")
	res, body := a.post(t, path, tok2, second)
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("stale save: %d, want 409\n%s", res.StatusCode, body)
	}
	for _, want := range []string{"Someone else changed this course", "Ann Smith", "version 2", "A summary typed by the second."} {
		if !strings.Contains(body, want) {
			t.Errorf("stale page lacks %q", want)
		}
	}
	// The second left the title alone: it is no conflict, and the form
	// now holds the first one's title.
	if strings.Contains(body, `<th scope="row">Title</th>`) {
		t.Errorf("the title, untouched by the second, is flagged as a conflict:\n%s", body)
	}
	stored, _ := a.catalog.CourseByID(ctx, course.ID)
	if stored.Summary == "A summary typed by the second." || stored.Title != "A title from the first" {
		t.Fatalf("after the refused save: %q / %q", stored.Title, stored.Summary)
	}
	again := formOf(t, body)
	if again.Get("version") != fmt.Sprint(stored.Version) || again.Get("summary") != "A summary typed by the second." {
		t.Fatalf("the re-shown form: version %q, summary %q", again.Get("version"), again.Get("summary"))
	}
	if again.Get("title") != "A title from the first" {
		t.Fatalf("the re-shown form's title: %q, want the one saved meanwhile", again.Get("title"))
	}
	again.Set("op", "save")
	if res, _ := a.post(t, path, tok2, again); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save after seeing the changes: %d", res.StatusCode)
	}
	stored, _ = a.catalog.CourseByID(ctx, course.ID)
	if stored.Summary != "A summary typed by the second." || stored.Title != "A title from the first" {
		t.Errorf("after the second save: %q / %q", stored.Title, stored.Summary)
	}
}

// TestCourseEditorStaleConflict: both change the title: the second's
// save is refused with the title flagged, their title kept in the form.
func TestCourseEditorStaleConflict(t *testing.T) {
	t.Parallel()
	a, tok, course := editorArea(t)
	a.addUser(t, "cora@example.org", account.Coordinator)
	tok2 := a.signIn(t, "cora@example.org", password, "")
	path := fmt.Sprintf("/admin/courses/%d", course.ID)
	_, body := a.get(t, path, tok)
	first := formOf(t, body)
	_, body = a.get(t, path, tok2)
	second := formOf(t, body)
	first.Set("title", "The first one's title")
	first.Set("op", "save")
	if res, _ := a.post(t, path, tok, first); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("first save: %d", res.StatusCode)
	}
	second.Set("title", "The second one's title")
	second.Set("op", "save")
	res, body := a.post(t, path, tok2, second)
	if res.StatusCode != http.StatusConflict ||
		!strings.Contains(body, `<th scope="row">Title</th><td>The first one&#39;s title</td><td>The second one&#39;s title</td>`) {
		t.Fatalf("a real conflict: %d\n%s", res.StatusCode, body)
	}
	if again := formOf(t, body); again.Get("title") != "The second one's title" {
		t.Errorf("the form's title after the conflict: %q", again.Get("title"))
	}
}

// TestCourseEditorNeedsVersion: a save without the version the form was
// opened at is refused with a message and saves nothing.
func TestCourseEditorNeedsVersion(t *testing.T) {
	t.Parallel()
	a, tok, course := editorArea(t)
	path := fmt.Sprintf("/admin/courses/%d", course.ID)
	_, body := a.get(t, path, tok)
	form := formOf(t, body)
	form.Del("version")
	form.Set("title", "A title without a version")
	form.Set("op", "save")
	res, body := a.post(t, path, tok, form)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "does not say which version of the course") ||
		!strings.Contains(body, `value="A title without a version"`) {
		t.Fatalf("save without a version: %d\n%s", res.StatusCode, body)
	}
	if stored, _ := a.catalog.CourseByID(ctx, course.ID); stored.Title == "A title without a version" {
		t.Error("a save without a version was stored")
	}
}

// TestCourseFileMeetings: the course file leaves out meeting details
// for a viewer without meetings:read.
func TestCourseFileMeetings(t *testing.T) {
	t.Parallel()
	_, _, course := editorArea(t)
	if !strings.Contains(string(courseFileFor(course, true)), "secret-passcode") {
		t.Fatal("the course file with meetings:read lacks the passcode")
	}
	if f := string(courseFileFor(course, false)); strings.Contains(f, "secret-passcode") || strings.Contains(f, "zoom.example") {
		t.Errorf("the course file without meetings:read has the meeting:\n%s", f)
	}
	if course.Events[0].Meeting.Passcode == "" {
		t.Error("courseFileFor changed the course it was given")
	}
}

// TestCourseEditorProblems: bad input is refused beside each field with
// what was typed kept and nothing saved; Preview renders the texts with
// the public renderer; "Try these rules" gives the outcome and reasons.
func TestCourseEditorProblems(t *testing.T) {
	t.Parallel()
	a, tok, course := editorArea(t)
	path := fmt.Sprintf("/admin/courses/%d", course.ID)
	_, body := a.get(t, path, tok)
	form := formOf(t, body)
	form.Set("title", "  ")
	form.Set("fee_amount_0", "£12.3")
	form.Set("offer_hold_hours", "two")
	form.Set("q_key_0", "Bad Key")
	form.Set("q_label_0", "Typed label")
	form.Set("q_kind_0", "text")
	form.Set("r_if_0", "Bad Key is sometimes")
	form.Set("r_then_0", "refuse")
	form.Set("r_message_0", "")
	form.Set("about", "**Typed** about")
	form.Set("completion", "percent")
	form.Set("completion_percent", "180")
	form.Set("feedback_url", "forms.example.org/feedback")
	form.Set("op", "save")
	res, body := a.post(t, path, tok, form)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad input: %d", res.StatusCode)
	}
	for field, want := range map[string]string{"title": "Title is required", "fee_amount_0": "£120.00",
		"offer_hold_hours": "whole number", "q_key_0": "lower-case letters", "r_if_0": "Rule 1", "r_message_0": "required for a refuse rule",
		"completion_percent": "between 1 and 100", "feedback_url": "starting with https://"} {
		m := regexp.MustCompile(`id="` + field + `-error"><span class="visually-hidden">Error:</span> ([^<]*)<`).FindStringSubmatch(body)
		if m == nil || !strings.Contains(html.UnescapeString(m[1]), want) {
			t.Errorf("%s: message %v, want one saying %q", field, m, want)
		}
	}
	kept := formOf(t, body)
	if kept.Get("fee_amount_0") != "£12.3" || kept.Get("q_label_0") != "Typed label" || kept.Get("about") != "**Typed** about" ||
		kept.Get("completion") != "percent" || kept.Get("completion_percent") != "180" || kept.Get("feedback_url") != "forms.example.org/feedback" {
		t.Errorf("typed input not kept: %v", kept)
	}
	if c, _ := a.catalog.CourseByID(ctx, course.ID); c.Version != course.Version || len(c.Questions) != 0 {
		t.Errorf("refused save changed the course: version %d, questions %v", c.Version, c.Questions)
	}

	// Preview.
	form = formOf(t, body)
	form.Set("op", "preview")
	res, body = a.post(t, path, tok, form)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "<strong>Typed</strong> about") {
		t.Errorf("preview: %d, no rendered text", res.StatusCode)
	}

	// Try these rules.
	form = formOf(t, body)
	form.Set("q_key_0", "training_completed")
	form.Set("q_kind_0", "date")
	form.Set("r_if_0", "training_completed after event - 6 months")
	form.Set("r_then_0", "review")
	form.Set("r_message_0", "Your training is recent.")
	form.Set("try_day", "2027-03-01")
	form.Set("op", "try")
	_, body = a.post(t, path, tok, form) // the answer box appears once the key is known
	form = formOf(t, body)
	form.Set("try_training_completed", "2027-01-15")
	form.Set("op", "try")
	_, body = a.post(t, path, tok, form)
	if !strings.Contains(body, "Needs review") || !strings.Contains(body, "Your training is recent.") {
		t.Errorf("try these rules, recent training: no review outcome with its reason")
	}
	form.Set("try_training_completed", "2025-01-15")
	_, body = a.post(t, path, tok, form)
	if !strings.Contains(body, "Eligible: booked as usual") {
		t.Errorf("try these rules, old training: not eligible")
	}
	if c, _ := a.catalog.CourseByID(ctx, course.ID); c.Version != course.Version {
		t.Errorf("preview or try saved: version %d", c.Version)
	}
}

// TestCourseEditorCreateAndLimits: a coordinator creates a course (a
// slug taken is refused beside the field); a coordinator limited to one
// course lists only it and cannot open another.
func TestCourseEditorCreateAndLimits(t *testing.T) {
	t.Parallel()
	a, tok, course := editorArea(t)
	res, body := a.get(t, "/admin/courses/new", tok)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("new: %d", res.StatusCode)
	}
	form := formOf(t, body)
	form.Set("title", "Supervision skills")
	form.Set("slug", course.Slug)
	form.Set("op", "save")
	res, body = a.post(t, "/admin/courses/new", tok, form)
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "a course with this address already exists") {
		t.Fatalf("taken slug: %d", res.StatusCode)
	}
	form.Set("slug", "supervision-skills")
	res, _ = a.post(t, "/admin/courses/new", tok, form)
	if res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(res.Header.Get("Location"), "done=created") {
		t.Fatalf("create: %d → %q", res.StatusCode, res.Header.Get("Location"))
	}
	created, err := a.catalog.CourseBySlug(ctx, "supervision-skills")
	if err != nil || created.Status != catalog.Draft || created.Title != "Supervision skills" {
		t.Fatalf("created: %+v, %v", created, err)
	}

	a.addUser(t, "lim@example.org", account.Coordinator, course.ID)
	lim := a.signIn(t, "lim@example.org", password, "")
	_, body = a.get(t, "/admin/courses", lim)
	if !strings.Contains(body, "Test course") || strings.Contains(body, "Supervision skills") || strings.Contains(body, "Create a course") {
		t.Errorf("limited coordinator's list shows other courses or the create button")
	}
	if res, _ := a.get(t, fmt.Sprintf("/admin/courses/%d", created.ID), lim); res.StatusCode != http.StatusForbidden {
		t.Errorf("limited coordinator on another course: %d, want 403", res.StatusCode)
	}
	if res, _ := a.get(t, fmt.Sprintf("/admin/courses/%d", course.ID), lim); res.StatusCode != http.StatusOK {
		t.Errorf("limited coordinator on their course: %d", res.StatusCode)
	}
	_, body = a.get(t, "/admin/courses?status=draft", tok)
	if !strings.Contains(body, "Supervision skills") || strings.Contains(body, ">Test course<") {
		t.Errorf("filter by draft: wrong courses")
	}
}

// TestMeetingDetailsAccess: meeting details (meetings:read) show on the
// course editor for a coordinator and on a date's people page for a
// trainer of the course who teaches the date; a finance user, without the permission, is
// refused both pages.
func TestMeetingDetailsAccess(t *testing.T) {
	t.Parallel()
	a, _, course := editorArea(t)
	a.addUser(t, "cora@example.org", account.Coordinator)
	tim := a.addUser(t, "tim@example.org", account.Trainer, course.ID)
	a.addUser(t, "fin@example.org", account.Finance)
	// A trainer sees the people (and meeting) of the dates they teach.
	if err := a.srv.register.SetTrainers(ctx, course.Events[0].ID, []int64{tim.ID}, audit.StaffMember(1, "Cora")); err != nil {
		t.Fatal(err)
	}
	coord := a.signIn(t, "cora@example.org", password, "")
	trainer := a.signIn(t, "tim@example.org", password, "")
	fin := a.signIn(t, "fin@example.org", password, "")
	editor := fmt.Sprintf("/admin/courses/%d", course.ID)
	people := fmt.Sprintf("/admin/dates/%d/people", course.Events[0].ID)
	if _, body := a.get(t, editor, coord); !strings.Contains(body, `value="secret-passcode"`) {
		t.Errorf("the coordinator's editor lacks the meeting's passcode")
	}
	if _, body := a.get(t, people, trainer); !strings.Contains(body, "secret-passcode") || !strings.Contains(body, "https://zoom.example/j/123") {
		t.Errorf("the trainer's people page lacks the meeting details")
	}
	for _, path := range []string{editor, people} {
		if res, body := a.get(t, path, fin); res.StatusCode != http.StatusForbidden || strings.Contains(body, "secret-passcode") {
			t.Errorf("finance on %s: %d", path, res.StatusCode)
		}
	}
}

// TestCourseEditorLateMeetingChange: new meeting details for a date two
// days away, with someone confirmed, fall inside the notice window: the
// save asks for a confirmation and saves nothing; confirmed, it saves
// and the person's new joining instructions are queued at once.
func TestCourseEditorLateMeetingChange(t *testing.T) {
	t.Parallel()
	a := newArea(t, func(o *areaOptions) { o.hooked, o.minNotice = true, 5 })
	a.addUser(t, "boss@example.org", account.Admin)
	tok := a.signIn(t, "boss@example.org", password, "")
	course := catalogtest.NewCourse(t0)
	course.Fees = nil
	course.JoiningLeadDays = 5 // the joining instructions are due already
	course.Events[0].Days[0].Date = catalog.DateOf(t0).AddDays(2)
	if _, err := a.catalog.Save(ctx, []*catalog.Course{&course}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	if _, err := a.bookings.Book(ctx, booking.Request{EventID: course.Events[0].ID, Name: "Ann Archer", Email: "ann@example.org",
		Organisation: "North Clinic", Role: "Psychotherapist", SystemChecked: true}, audit.ParticipantOf(0)); err != nil {
		t.Fatal(err)
	}
	joining := func() (n int) {
		if err := a.db.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE dedupe_key LIKE 'joining/%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := joining()
	path := fmt.Sprintf("/admin/courses/%d", course.ID)
	_, body := a.get(t, path, tok)
	form := formOf(t, body)
	form.Set("m_passcode_0", "changed-passcode")
	form.Set("op", "save")
	res, body := a.post(t, path, tok, form)
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, `id="confirm_late-error"`) {
		t.Fatalf("late change: %d, no confirmation asked", res.StatusCode)
	}
	if c, _ := a.catalog.CourseByID(ctx, course.ID); c.Events[0].Meeting.Passcode != "secret-passcode" {
		t.Fatalf("the refused save changed the passcode")
	}
	form = formOf(t, body)
	if form.Get("m_passcode_0") != "changed-passcode" {
		t.Fatalf("typed passcode not kept: %q", form.Get("m_passcode_0"))
	}
	form.Set("confirm_late", "1")
	form.Set("op", "save")
	if res, body := a.post(t, path, tok, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirmed: %d\n%s", res.StatusCode, body)
	}
	if c, _ := a.catalog.CourseByID(ctx, course.ID); c.Events[0].Meeting.Passcode != "changed-passcode" {
		t.Errorf("passcode after the confirmed save: %q", c.Events[0].Meeting.Passcode)
	}
	if after := joining(); after != before+1 {
		t.Errorf("joining instructions queued: %d → %d, want one more", before, after)
	}
}

// TestCourseEditorLargeCourse saves a course whose six texts are each as
// long as a course may hold (20,000 bytes, all accented letters, so the
// form sends each byte percent-encoded: about 360 KB), far over the kit's
// 64 KB; a form larger than the editor's limit gets the page back with a
// plain message, and nothing is saved.
func TestCourseEditorLargeCourse(t *testing.T) {
	t.Parallel()
	a, tok, course := editorArea(t)
	path := fmt.Sprintf("/admin/courses/%d", course.ID)
	_, body := a.get(t, path, tok)
	form := formOf(t, body)
	texts := map[string]string{}
	for i, name := range []string{"about", "audience", "aims", "prerequisites", "delivery", "cancellation_terms"} {
		// 20,000 bytes: a first letter, then two-byte é up to the limit.
		text := string(rune('A'+i)) + strings.Repeat("é", 9999) + "e"
		if len(text) != 20000 {
			t.Fatalf("text of %d bytes", len(text))
		}
		texts[name] = text
		form.Set(name, text)
	}
	form.Set("op", "save")
	if n := len(form.Encode()); n <= 6*55000 {
		t.Fatalf("the form is only %d bytes", n)
	}
	res, body := a.post(t, path, tok, form)
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(loc, "done=saved") {
		t.Fatalf("save of a maximal course: %d → %q\n%.2000s", res.StatusCode, loc, body)
	}
	stored, err := a.catalog.CourseByID(ctx, course.ID)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range texts {
		if got := *courseText(&stored, name); got != want {
			t.Errorf("%s stored as %d bytes, want the %d typed", name, len(got), len(want))
		}
	}

	// Over the limit: the page again, with the reason, and no change.
	form.Set("about", strings.Repeat("é", 100000))
	res, body = a.post(t, path, tok, form)
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "The form was larger than 512 KB, so nothing was saved") ||
		!strings.Contains(body, `name="title"`) {
		t.Fatalf("an over-large form: %d\n%.2000s", res.StatusCode, body)
	}
	if c, _ := a.catalog.CourseByID(ctx, course.ID); c.Version != stored.Version {
		t.Errorf("an over-large form changed the course: version %d, want %d", c.Version, stored.Version)
	}
}
