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
	form.Set("status", "draft")
	form.Set("waitlist", "1")
	form.Set("offer_hold_hours", "48")
	form.Set("closes_hours_before", "24")
	form.Set("joining_lead_days", "5")
	form.Set("reminder_days_before", "2")
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
