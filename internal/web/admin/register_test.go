package admin

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/certificates"
	"plenary/internal/web"
)

// registerArea is a staff area with a course, its one date (teaching
// 12:00–16:00 on its day) and two people booked.
type registerArea struct {
	*staffArea
	course catalog.Course
	event  catalog.Event
	day    string
	ids    map[string]int64
}

func newRegisterArea(t *testing.T) *registerArea {
	t.Helper()
	a := newArea(t, nil)
	c := catalogtest.NewCourse(t0)
	if _, err := a.catalog.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	ra := &registerArea{staffArea: a, course: c, event: c.Events[0], day: c.Events[0].Days[0].Date.String(), ids: map[string]int64{}}
	for _, name := range []string{"Ann Archer", "Bob Baker"} {
		first := strings.Fields(name)[0]
		res, err := a.bookings.Book(ctx, booking.Request{EventID: ra.event.ID, Name: name, Email: strings.ToLower(first) + "@example.org",
			Organisation: "North Clinic", Role: "Psychotherapist", SystemChecked: true, FeeTier: "Standard"}, audit.ParticipantOf(0))
		if err != nil {
			t.Fatal(err)
		}
		ra.ids[first] = res.Booking.ID
	}
	return ra
}

func (ra *registerArea) path(suffix string) string {
	return fmt.Sprintf("/admin/dates/%d/register%s", ra.event.ID, suffix)
}

// TestTrainerRegister: a trainer opens only the register of a date they
// teach, once a coordinator has assigned them on the date's page.
func TestTrainerRegister(t *testing.T) {
	t.Parallel()
	ra := newRegisterArea(t)
	ra.addUser(t, "cora@example.org", account.Coordinator)
	tina := ra.addUser(t, "tina@example.org", account.Trainer)
	ra.addUser(t, "tom@example.org", account.Trainer)
	coord := ra.signIn(t, "cora@example.org", password, "")
	trainer := ra.signIn(t, "tina@example.org", password, "")
	other := ra.signIn(t, "tom@example.org", password, "")

	for _, p := range []string{"", "/" + ra.day, "/" + ra.day + "/report"} {
		if res, _ := ra.get(t, ra.path(p), trainer); res.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s as a trainer of no date: got %d, want 403", p, res.StatusCode)
		}
	}
	if res, _ := ra.post(t, ra.path("/"+ra.day), trainer, url.Values{"action": {"present"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("POST as a trainer of no date: got %d, want 403", res.StatusCode)
	}
	// The trainer cannot assign themselves.
	if res, _ := ra.post(t, fmt.Sprintf("/admin/dates/%d/trainers", ra.event.ID), trainer, url.Values{"trainer": {fmt.Sprint(tina.ID)}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("a trainer assigning: got %d, want 403", res.StatusCode)
	}

	res, body := ra.get(t, ra.path(""), coord)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `name="trainer"`) || !strings.Contains(body, "CPD: 4 hours") {
		t.Fatalf("the date's register as coordinator: %d\n%s", res.StatusCode, body)
	}
	res, _ = ra.post(t, fmt.Sprintf("/admin/dates/%d/trainers", ra.event.ID), coord, url.Values{"trainer": {fmt.Sprint(tina.ID)}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("assigning: got %d, want 303", res.StatusCode)
	}
	if res, body := ra.post(t, fmt.Sprintf("/admin/dates/%d/trainers", ra.event.ID), coord, url.Values{"trainer": {"99999"}}); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose trainers from the list") {
		t.Errorf("assigning nobody known: got %d, want 422 with a message", res.StatusCode)
	}
	es, _ := audit.List(ctx, ra.db, audit.Filter{Action: "event.trainers"})
	if len(es) != 1 || es[0].Actor.Kind != audit.Staff {
		t.Errorf("got %d event.trainers entries, want 1 by the coordinator", len(es))
	}

	if res, body := ra.get(t, ra.path("/"+ra.day), trainer); res.StatusCode != http.StatusOK || !strings.Contains(body, "Ann Archer") {
		t.Errorf("the trainer of the date: got %d", res.StatusCode)
	}
	if _, body := ra.get(t, "/admin", trainer); !strings.Contains(body, `href="`+ra.path("")+`"`) {
		t.Errorf("the trainer's home page does not link the register of their date:\n%s", body)
	}
	if _, body := ra.get(t, "/admin", other); strings.Contains(body, ra.path("")) {
		t.Errorf("another trainer's home page links a register they may not take")
	}
	if _, body := ra.get(t, fmt.Sprintf("/admin/bookings?event=%d", ra.event.ID), coord); !strings.Contains(body, `href="`+ra.path("")+`"`) {
		t.Errorf("the desk's date does not link its register for a coordinator")
	}
	if res, _ := ra.get(t, ra.path("/"+ra.day), other); res.StatusCode != http.StatusForbidden {
		t.Errorf("another trainer: got %d, want 403", res.StatusCode)
	}
	// Days the date does not have, and dates that do not exist.
	if res, _ := ra.get(t, ra.path("/2020-01-01"), trainer); res.StatusCode != http.StatusNotFound {
		t.Errorf("another day: got %d, want 404", res.StatusCode)
	}
	if res, _ := ra.get(t, "/admin/dates/99999/register", coord); res.StatusCode != http.StatusNotFound {
		t.Errorf("no such date: got %d, want 404", res.StatusCode)
	}
}

// TestRegisterDayPage takes a day's register without script: mark all
// present, change one, a bad mark refused beside its row.
func TestRegisterDayPage(t *testing.T) {
	t.Parallel()
	ra := newRegisterArea(t)
	ra.addUser(t, "cora@example.org", account.Coordinator)
	tok := ra.signIn(t, "cora@example.org", password, "")
	day := ra.path("/" + ra.day)

	res, body := ra.get(t, day, tok)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, fmt.Sprintf(`name="mark-%d"`, ra.ids["Ann"])) ||
		!strings.Contains(body, "Mark everyone not yet marked present") || !strings.Contains(body, "/report") {
		t.Fatalf("day page: %d\n%s", res.StatusCode, body)
	}
	if res, body := ra.post(t, ra.path("/close"), tok, nil); res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "The register cannot be closed yet: not everyone is marked yet (2 on "+ra.day+")") {
		t.Errorf("closing an empty register: got %d\n%s", res.StatusCode, body)
	}
	if res, _ := ra.post(t, day, tok, url.Values{"action": {"present"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("mark all present: got %d", res.StatusCode)
	}
	res, _ = ra.post(t, day, tok, url.Values{fmt.Sprintf("mark-%d", ra.ids["Bob"]): {"late"}})
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "saved=1") {
		t.Fatalf("save: got %d → %s", res.StatusCode, res.Header.Get("Location"))
	}
	_, body = ra.get(t, day+"?saved=1", tok)
	if !strings.Contains(body, fmt.Sprintf(`id="mark-%d-late" name="mark-%d" value="late" checked`, ra.ids["Bob"], ra.ids["Bob"])) {
		t.Errorf("Bob's mark is not shown as late:\n%s", body)
	}
	res, body = ra.post(t, day, tok, url.Values{fmt.Sprintf("mark-%d", ra.ids["Ann"]): {"absent"}, fmt.Sprintf("mark-%d", ra.ids["Bob"]): {"asleep"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "choose present, late, left early, absent or excused") ||
		!strings.Contains(body, fmt.Sprintf(`id="mark-%d-absent" name="mark-%d" value="absent" checked`, ra.ids["Ann"], ra.ids["Ann"])) {
		t.Errorf("bad mark: got %d\n%s", res.StatusCode, body)
	}
	sh, err := ra.srv.register.Sheet(ctx, ra.event.ID, ra.event.Days[0].Date, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sh.Rows {
		if r.Booking.ID == ra.ids["Ann"] && r.Mark != certificates.Present {
			t.Errorf("a refused save changed Ann's mark to %s", r.Mark)
		}
	}
	res, _ = ra.post(t, ra.path("/close"), tok, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("close: got %d", res.StatusCode)
	}
	if _, body := ra.get(t, res.Header.Get("Location"), tok); !strings.Contains(body, "The register is closed") {
		t.Errorf("no confirmation after closing:\n%s", body)
	}
	list, _ := ra.bookings.List(ctx, ra.event.ID)
	for _, b := range list {
		if b.Status != booking.Attended {
			t.Errorf("%s after closing: %s, want attended", b.Name, b.Status)
		}
	}
}

// TestRegisterTwoAtOnce: two people take the same register. Each page
// posts the marks it showed; a row someone else changed meanwhile
// refuses the save (nothing saved, the typed marks kept, the mark now
// named beside the row), and rows left as shown are not written.
func TestRegisterTwoAtOnce(t *testing.T) {
	t.Parallel()
	ra := newRegisterArea(t)
	ra.addUser(t, "cora@example.org", account.Coordinator)
	tok := ra.signIn(t, "cora@example.org", password, "")
	day := ra.path("/" + ra.day)
	date := ra.event.Days[0].Date
	ann, bob := ra.ids["Ann"], ra.ids["Bob"]
	if _, body := ra.get(t, day, tok); !strings.Contains(body, fmt.Sprintf(`name="was-%d" value=""`, bob)) {
		t.Fatalf("the page does not carry the marks it shows:\n%s", body)
	}
	// Meanwhile a trainer marks Bob late.
	trainer := audit.StaffMember(99, "Tina Trainer")
	if _, err := ra.srv.register.Save(ctx, ra.event.ID, date, "", []certificates.Entry{{BookingID: bob, Mark: certificates.Late}}, trainer); err != nil {
		t.Fatal(err)
	}
	// The coordinator's page still shows no marks: Ann and Bob present.
	res, body := ra.post(t, day, tok, url.Values{
		fmt.Sprintf("mark-%d", ann): {"present"}, fmt.Sprintf("was-%d", ann): {""},
		fmt.Sprintf("mark-%d", bob): {"present"}, fmt.Sprintf("was-%d", bob): {""}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "someone else changed this mark meanwhile: it is now late") ||
		!strings.Contains(body, fmt.Sprintf(`id="mark-%d-present" name="mark-%d" value="present" checked`, bob, bob)) ||
		!strings.Contains(body, fmt.Sprintf(`name="was-%d" value="late"`, bob)) {
		t.Fatalf("a stale save: got %d\n%s", res.StatusCode, body)
	}
	marks := func() map[int64]certificates.Mark {
		sh, err := ra.srv.register.Sheet(ctx, ra.event.ID, date, "")
		if err != nil {
			t.Fatal(err)
		}
		out := map[int64]certificates.Mark{}
		for _, r := range sh.Rows {
			out[r.Booking.ID] = r.Mark
		}
		return out
	}
	if m := marks(); m[ann] != "" || m[bob] != certificates.Late {
		t.Fatalf("a refused save changed marks: %v", m)
	}
	// A page that left Bob as it showed him writes only Ann.
	res, _ = ra.post(t, day, tok, url.Values{
		fmt.Sprintf("mark-%d", ann): {"absent"}, fmt.Sprintf("was-%d", ann): {""},
		fmt.Sprintf("mark-%d", bob): {"present"}, fmt.Sprintf("was-%d", bob): {"present"}})
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "saved=1") {
		t.Fatalf("save: got %d → %s", res.StatusCode, res.Header.Get("Location"))
	}
	if m := marks(); m[ann] != certificates.Absent || m[bob] != certificates.Late {
		t.Errorf("after saving: %v, want Ann absent and Bob still late", m)
	}
}

// TestRegisterFromReportPage uploads a Zoom report, resolves the unknown
// participant and saves; a bad file is refused with its line.
func TestRegisterFromReportPage(t *testing.T) {
	t.Parallel()
	ra := newRegisterArea(t)
	ra.addUser(t, "cora@example.org", account.Coordinator)
	tok := ra.signIn(t, "cora@example.org", password, "")
	report := ra.path("/" + ra.day + "/report")
	d := ra.event.Days[0].Date
	us := fmt.Sprintf("%02d/%02d/%d", d.Month, d.Day, d.Year)
	csv := "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes)\n" +
		"Ann Archer,ANN@example.org," + us + " 11:55:00 AM," + us + " 02:00:00 PM,125\n" +
		"Ann Archer,ann@example.org," + us + " 01:58:00 PM," + us + " 04:01:00 PM,123\n" +
		"Guest,guest@elsewhere.example," + us + " 12:00:00 PM," + us + " 01:00:00 PM,60\n"

	upload := func(file string) (*http.Response, string) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		fw, _ := mw.CreateFormFile("report", "participants.csv")
		fw.Write([]byte(file))
		mw.WriteField("zone", "Europe/London")
		mw.Close()
		r := httptest.NewRequest(http.MethodPost, report, &b)
		r.Header.Set("Content-Type", mw.FormDataContentType())
		r.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: tok})
		return ra.do(t, r)
	}
	res, body := upload(csv)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "240 of 240 minutes") || !strings.Contains(body, "guest@elsewhere.example") ||
		!strings.Contains(body, fmt.Sprintf(`id="mark-%d-absent" name="mark-%d" value="absent" checked`, ra.ids["Bob"], ra.ids["Bob"])) {
		t.Fatalf("proposal: %d\n%s", res.StatusCode, body)
	}
	form := url.Values{"data": {csv}, "zone": {"Europe/London"}, "ukey-0": {"guest@elsewhere.example"}, "action": {"save"},
		fmt.Sprintf("mark-%d", ra.ids["Ann"]): {"present"}, fmt.Sprintf("mark-%d", ra.ids["Bob"]): {"absent"}}
	res, body = ra.post(t, report, tok, form)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Assign this participant to a booking or ignore them") {
		t.Fatalf("save with an undecided row: got %d\n%s", res.StatusCode, body)
	}
	form.Set("assign-0", fmt.Sprint(ra.ids["Bob"]))
	form.Set(fmt.Sprintf("mark-%d", ra.ids["Bob"]), "late")
	res, _ = ra.post(t, report, tok, form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: got %d", res.StatusCode)
	}
	sh, err := ra.srv.register.Sheet(ctx, ra.event.ID, d, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sh.Rows {
		want := map[int64]int{ra.ids["Ann"]: 240, ra.ids["Bob"]: 60}[r.Booking.ID]
		if !r.HasMinutes || r.Minutes != want {
			t.Errorf("%s: got %d minutes (%v), want %d", r.Booking.Name, r.Minutes, r.HasMinutes, want)
		}
	}

	res, body = upload("Name (Original Name),User Email,Join Time,Leave Time\nAnn,ann@example.org,yesterday,today\n")
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "line 2: join time") || !strings.Contains(body, "nothing was saved") {
		t.Errorf("bad file: got %d\n%s", res.StatusCode, body)
	}
}

// reportUpload posts a participant report file to the day's report page.
func (ra *registerArea) reportUpload(t *testing.T, tok, file string, fields map[string]string) (*http.Response, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if file != "" {
		fw, _ := mw.CreateFormFile("report", "participants.csv")
		fw.Write([]byte(file))
	}
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	mw.Close()
	r := httptest.NewRequest(http.MethodPost, ra.path("/"+ra.day+"/report"), &b)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	r.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: tok})
	return ra.do(t, r)
}

// TestReportKeepsHandMarks: a mark on the register already shows beside
// the report's proposal; a mark changed by hand survives "work out the
// marks again"; saved against the proposal, it does not take the
// report's zero minutes (which would count nothing).
func TestReportKeepsHandMarks(t *testing.T) {
	t.Parallel()
	ra := newRegisterArea(t)
	ra.addUser(t, "cora@example.org", account.Coordinator)
	tok := ra.signIn(t, "cora@example.org", password, "")
	d := ra.event.Days[0].Date
	ann, bob := ra.ids["Ann"], ra.ids["Bob"]
	// Bob was in the room: marked present by hand. The report never saw him.
	if _, err := ra.srv.register.Save(ctx, ra.event.ID, d, "", []certificates.Entry{{BookingID: bob, Mark: certificates.Present}},
		audit.StaffMember(99, "Tina Trainer")); err != nil {
		t.Fatal(err)
	}
	us := fmt.Sprintf("%02d/%02d/%d", d.Month, d.Day, d.Year)
	csv := "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes)\n" +
		"Ann Archer,ann@example.org," + us + " 11:55:00 AM," + us + " 04:01:00 PM,246\n"
	res, body := ra.reportUpload(t, tok, csv, map[string]string{"zone": "Europe/London"})
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "the report proposes absent · marked present on the register now") {
		t.Fatalf("proposal: %d\n%s", res.StatusCode, body)
	}
	fields := map[string]string{"data": csv, "zone": "Europe/London", "action": "propose",
		fmt.Sprintf("mark-%d", ann): "present", fmt.Sprintf("proposed-%d", ann): "present",
		fmt.Sprintf("mark-%d", bob): "present", fmt.Sprintf("proposed-%d", bob): "absent"}
	res, body = ra.reportUpload(t, tok, "", fields)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, fmt.Sprintf(`id="mark-%d-present" name="mark-%d" value="present" checked`, bob, bob)) {
		t.Fatalf("worked out again, Bob's mark by hand is lost: %d\n%s", res.StatusCode, body)
	}
	fields["action"] = "save"
	if res, body = ra.reportUpload(t, tok, "", fields); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", res.StatusCode, body)
	}
	sh, err := ra.srv.register.Sheet(ctx, ra.event.ID, d, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sh.Rows {
		switch r.Booking.ID {
		case bob:
			if r.Mark != certificates.Present || r.HasMinutes {
				t.Errorf("Bob: %s with minutes %d (%v), want present without the report's minutes", r.Mark, r.Minutes, r.HasMinutes)
			}
		case ann:
			if r.Mark != certificates.Present || !r.HasMinutes || r.Minutes != 240 {
				t.Errorf("Ann: %s with minutes %d (%v), want present, 240", r.Mark, r.Minutes, r.HasMinutes)
			}
		}
	}
}

// TestReportLargerThanAForm: a report well over the site's 64 KB form
// limit is read, and its review step (the report carried in a multipart
// form) saves.
func TestReportLargerThanAForm(t *testing.T) {
	t.Parallel()
	ra := newRegisterArea(t)
	ra.addUser(t, "cora@example.org", account.Coordinator)
	tok := ra.signIn(t, "cora@example.org", password, "")
	d := ra.event.Days[0].Date
	us := fmt.Sprintf("%02d/%02d/%d", d.Month, d.Day, d.Year)
	var b strings.Builder
	b.WriteString("Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes)\n")
	for i := range 2000 { // an unstable connection: a rejoin a minute
		h := []int{12, 1, 2, 3}[i/60%4]
		b.WriteString(fmt.Sprintf("Ann Archer,ann@example.org,%s %02d:%02d:00 PM,%s %02d:%02d:30 PM,1\n", us, h, i%60, us, h, i%60))
	}
	csv := b.String()
	if len(csv) < 128<<10 {
		t.Fatalf("the report is only %d bytes", len(csv))
	}
	res, body := ra.reportUpload(t, tok, csv, map[string]string{"zone": "Europe/London"})
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `enctype="multipart/form-data"`) || !strings.Contains(body, "Ann Archer") {
		t.Fatalf("a %d KB report: %d\n%.2000s", len(csv)>>10, res.StatusCode, body)
	}
	res, body = ra.reportUpload(t, tok, "", map[string]string{"data": csv, "zone": "Europe/London", "action": "save",
		fmt.Sprintf("mark-%d", ra.ids["Ann"]): "present", fmt.Sprintf("mark-%d", ra.ids["Bob"]): "absent"})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving a %d KB report: %d\n%.2000s", len(csv)>>10, res.StatusCode, body)
	}
}
