package certificates_test

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/certificates"
	"plenary/internal/database"
	"plenary/internal/database/dbtest"
	"plenary/internal/messaging"
)

var ctx = context.Background()

type outbox struct{ mu sync.Mutex }

func (o *outbox) Enqueue(context.Context, *sql.Tx, messaging.Message) (int64, bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return 1, true, nil
}

func ck(h, m int) catalog.Clock { return catalog.Clock{Minutes: h*60 + m, Valid: true} }

// The day of the test date: 30 March 2026 (the day after the UK's clocks
// go forward), 09:30–16:30 with 330 teaching minutes.
var testDate = catalog.Date{Year: 2026, Month: time.March, Day: 30}

type fixture struct {
	db       *database.DB
	reg      *certificates.Register
	bookings *booking.Service
	accounts *account.Service
	course   catalog.Course
	event    catalog.Event
	ids      map[string]int64 // booking by first name
	now      time.Time
}

func agendaDay(date catalog.Date) catalog.Day {
	return catalog.Day{Date: date, Start: ck(9, 30), End: ck(16, 30), Agenda: []catalog.AgendaItem{
		{Kind: catalog.Registration, Start: ck(9, 30), Title: "Registration"},
		{Kind: catalog.Teaching, Start: ck(9, 45), End: ck(11, 0), Title: "Models"},
		{Kind: catalog.Break, Start: ck(11, 0), End: ck(11, 15), Title: "Coffee"},
		{Kind: catalog.Teaching, Start: ck(11, 15), End: ck(12, 30), Title: "Practice"},
		{Kind: catalog.Lunch, Start: ck(12, 30), End: ck(13, 15), Title: "Lunch"},
		{Kind: catalog.Plenary, Start: ck(13, 15), End: ck(14, 45), Title: "Cases"},
		{Kind: catalog.Break, Start: ck(14, 45), End: ck(15, 0), Title: "Tea"},
		{Kind: catalog.Teaching, Start: ck(15, 0), Title: "Role play"},
	}}
}

// newFixture saves a course with a one-day date on testDate and books
// Ada, Grace, Alan and Barbara on it (and Edsger, who cancels).
func newFixture(t *testing.T, mutate func(c *catalog.Course)) *fixture {
	t.Helper()
	db := dbtest.New(t)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := catalogtest.NewCourse(now)
	c.Events[0].Days = []catalog.Day{agendaDay(testDate)}
	if mutate != nil {
		mutate(&c)
	}
	store := catalog.NewStore(db, catalog.Hooks{})
	if _, err := store.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(now)); err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return now }
	bs := booking.NewService(booking.Options{DB: db, Catalog: store, Outbox: &outbox{}, BaseURL: "https://training.example", Now: clock})
	acc := account.New(account.Options{DB: db, FastHashes: true})
	f := &fixture{db: db, bookings: bs, accounts: acc, course: c, event: c.Events[0], ids: map[string]int64{}, now: now,
		reg: certificates.New(certificates.Options{DB: db, Bookings: bs, Accounts: acc, Now: clock})}
	for _, name := range []string{"Ada Lovelace", "Grace Hopper", "Alan Turing", "Barbara Liskov", "Edsger Dijkstra"} {
		first := strings.Fields(name)[0]
		res, err := bs.Book(ctx, booking.Request{EventID: f.event.ID, Name: name, Email: strings.ToLower(first) + "@example.org",
			Organisation: "North Clinic", Role: "Psychotherapist", SystemChecked: true}, audit.ParticipantOf(0))
		if err != nil {
			t.Fatalf("book %s: %v", name, err)
		}
		f.ids[first] = res.Booking.ID
	}
	return f
}

var coordinator = audit.StaffMember(7, "Cora Coordinator")

func (f *fixture) marks(t *testing.T, session string) map[string]certificates.Mark {
	t.Helper()
	sh, err := f.reg.Sheet(ctx, f.event.ID, testDate, session)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]certificates.Mark{}
	for _, r := range sh.Rows {
		out[strings.Fields(r.Booking.Name)[0]] = r.Mark
	}
	return out
}

func (f *fixture) auditCount(t *testing.T, action string) int {
	t.Helper()
	es, err := audit.List(ctx, f.db, audit.Filter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

func TestRegisterMarksSavedAndAudited(t *testing.T) {
	f := newFixture(t, nil)
	// Only confirmed and attended bookings are on the register.
	if _, err := f.bookings.CancelByID(ctx, f.ids["Edsger"], coordinator, booking.CancelOptions{Reason: "Cannot come"}); err != nil {
		t.Fatal(err)
	}
	n, err := f.reg.MarkAllPresent(ctx, f.event.ID, testDate, "", coordinator)
	if err != nil {
		t.Fatal(err)
	}
	got := f.marks(t, "")
	if n != len(got) || got["Ada"] != certificates.Present || got["Barbara"] != certificates.Present {
		t.Fatalf("mark all present: %d marked, got %v", n, got)
	}
	if got := f.auditCount(t, "register.mark"); got != 4 {
		t.Errorf("got %d register.mark entries, want 4 (one per booking marked)", got)
	}

	entries := []certificates.Entry{{BookingID: f.ids["Grace"], Mark: certificates.Late}, {BookingID: f.ids["Alan"], Mark: certificates.Excused}}
	if n, err := f.reg.Save(ctx, f.event.ID, testDate, "", entries, coordinator); err != nil || n != 2 {
		t.Fatalf("save: %d, %v; want 2 changed", n, err)
	}
	// The same save again changes and records nothing.
	if n, err := f.reg.Save(ctx, f.event.ID, testDate, "", entries, coordinator); err != nil || n != 0 {
		t.Fatalf("save again: %d, %v; want 0 changed", n, err)
	}
	// Mark all present keeps marks already made.
	if n, err := f.reg.MarkAllPresent(ctx, f.event.ID, testDate, "", coordinator); err != nil || n != 0 {
		t.Fatalf("mark all present again: %d, %v; want 0", n, err)
	}
	got = f.marks(t, "")
	if got["Grace"] != certificates.Late || got["Alan"] != certificates.Excused || got["Ada"] != certificates.Present {
		t.Errorf("got %v", got)
	}
	es, err := audit.List(ctx, f.db, audit.Filter{Action: "register.mark", Object: "booking", ObjectID: f.ids["Alan"]})
	if err != nil || len(es) != 2 {
		t.Fatalf("got %d register.mark entries about Alan's booking (%v), want 2", len(es), err)
	}
	if last := es[0]; last.Actor != coordinator || !strings.Contains(string(last.After), `"excused"`) ||
		!strings.Contains(string(last.Before), `"present"`) || strings.Contains(string(last.After), "Alan") {
		t.Errorf("audit entry: actor %v, before %s, after %s (want the marks, no name)", last.Actor, last.Before, last.After)
	}
	if got := f.auditCount(t, "register.mark"); got != 6 {
		t.Errorf("got %d register.mark entries, want 6", got)
	}
	sh, _ := f.reg.Sheet(ctx, f.event.ID, testDate, "")
	for _, r := range sh.Rows {
		if r.MarkedBy != 7 || !r.MarkedAt.Equal(f.now) {
			t.Errorf("%s: marked by %d at %v, want 7 at %v", r.Booking.Name, r.MarkedBy, r.MarkedAt, f.now)
		}
	}

	// Bad input: nothing is saved.
	bad := []certificates.Entry{{BookingID: f.ids["Ada"], Mark: certificates.Absent}, {BookingID: f.ids["Barbara"], Mark: "asleep"}}
	var ie certificates.InputError
	if _, err := f.reg.Save(ctx, f.event.ID, testDate, "", bad, coordinator); !errors.As(err, &ie) || ie[itoa(f.ids["Barbara"])] == "" {
		t.Fatalf("got %v, want an InputError on Barbara's booking", err)
	}
	if _, err := f.reg.Save(ctx, f.event.ID, testDate, "", []certificates.Entry{{BookingID: 999999, Mark: certificates.Present}}, coordinator); !errors.As(err, &ie) {
		t.Fatalf("unknown booking: got %v, want an InputError", err)
	}
	if f.marks(t, "")["Ada"] != certificates.Present {
		t.Error("a refused save changed Ada's mark")
	}
	if _, err := f.reg.Sheet(ctx, f.event.ID, testDate.AddDays(1), ""); !errors.As(err, &ie) {
		t.Errorf("a day the date does not have: got %v", err)
	}
	if _, err := f.reg.Sheet(ctx, f.event.ID, testDate, "10:00"); !errors.As(err, &ie) {
		t.Errorf("a session the day does not have: got %v", err)
	}
	// A session's register is its own.
	if _, err := f.reg.MarkAllPresent(ctx, f.event.ID, testDate, "09:45", coordinator); err != nil {
		t.Fatal(err)
	}
	if got := f.marks(t, "09:45"); got["Alan"] != certificates.Present {
		t.Errorf("session register: got %v", got)
	}
}

func TestCompletedByRegister(t *testing.T) {
	f := newFixture(t, func(c *catalog.Course) { c.CompletionPercent = 80 })
	save := func(entries ...certificates.Entry) {
		t.Helper()
		if _, err := f.reg.Save(ctx, f.event.ID, testDate, "", entries, coordinator); err != nil {
			t.Fatal(err)
		}
	}
	save(certificates.Entry{BookingID: f.ids["Ada"], Mark: certificates.Present},
		certificates.Entry{BookingID: f.ids["Grace"], Mark: certificates.Late, Minutes: 295, HasMinutes: true},
		certificates.Entry{BookingID: f.ids["Alan"], Mark: certificates.LeftEarly, Minutes: 195, HasMinutes: true},
		certificates.Entry{BookingID: f.ids["Barbara"], Mark: certificates.Excused})
	names := func() []string {
		cs, err := f.reg.Completed(ctx, f.event.ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs {
			if c.CPDMinutes != 330 || c.EventID != f.event.ID || c.Email == "" {
				t.Errorf("completion %+v: want 330 CPD minutes, the date and the address", c)
			}
			out = append(out, strings.Fields(c.Name)[0])
		}
		return out
	}
	// 80 %: Ada (330) and Grace (295 ≥ 264); not Alan (195) nor Barbara.
	if got := strings.Join(names(), ","); got != "Ada,Grace" {
		t.Errorf("80 per cent: got %s, want Ada,Grace", got)
	}
	// Every day present: late and left early count.
	c, err := catalog.NewStore(f.db, catalog.Hooks{}).CourseBySlug(ctx, f.course.Slug)
	if err != nil {
		t.Fatal(err)
	}
	c.CompletionPercent = 0
	if _, err := catalog.NewStore(f.db, catalog.Hooks{}).Save(ctx, []*catalog.Course{&c}, catalogtest.Options(f.now)); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names(), ","); got != "Ada,Grace,Alan" {
		t.Errorf("every day: got %s, want Ada,Grace,Alan", got)
	}
}

// TestSessionMarksDecide: a day taken per session is decided by its
// session marks; a whole-day mark stands in only for sessions not marked.
// A person counts as marked for the day when marked by the day or in
// every session.
func TestSessionMarksDecide(t *testing.T) {
	f := newFixture(t, nil)
	save := func(session, first string, m certificates.Mark) {
		t.Helper()
		if _, err := f.reg.Save(ctx, f.event.ID, testDate, session, []certificates.Entry{{BookingID: f.ids[first], Mark: m}}, coordinator); err != nil {
			t.Fatal(err)
		}
	}
	// Ada: present for the day, but absent from the first session.
	save("", "Ada", certificates.Present)
	save("09:45", "Ada", certificates.Absent)
	// Grace: absent for the day, yet present in every session.
	for _, s := range []string{"09:45", "11:15", "13:15", "15:00"} {
		save(s, "Grace", certificates.Present)
	}
	save("", "Grace", certificates.Absent)
	// Alan: present for the day and in one session.
	save("", "Alan", certificates.Present)
	save("11:15", "Alan", certificates.Late)
	// Barbara: two sessions only, no day mark.
	save("09:45", "Barbara", certificates.Present)
	save("11:15", "Barbara", certificates.Present)
	cs, err := f.reg.Completed(ctx, f.event.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cs {
		got = append(got, strings.Fields(c.Name)[0])
	}
	slices.Sort(got)
	if strings.Join(got, ",") != "Alan,Grace" {
		t.Errorf("completed: got %v, want Alan,Grace (Ada missed a session)", got)
	}
	sh, err := f.reg.Sheet(ctx, f.event.ID, testDate, "")
	if err != nil {
		t.Fatal(err)
	}
	marked := map[string]bool{}
	for _, r := range sh.Rows {
		marked[strings.Fields(r.Booking.Name)[0]] = r.DayMarked
	}
	want := map[string]bool{"Ada": true, "Grace": true, "Alan": true, "Barbara": false, "Edsger": false}
	if !maps.Equal(marked, want) {
		t.Errorf("marked for the day: got %v, want %v", marked, want)
	}
}

func TestTrainerSeesOnlyTheirDates(t *testing.T) {
	f := newFixture(t, func(c *catalog.Course) {
		second := c.Events[0]
		second.Ref = "second"
		second.Days = []catalog.Day{agendaDay(testDate.AddDays(7))}
		c.Events = append(c.Events, second)
	})
	c, err := catalog.NewStore(f.db, catalog.Hooks{}).CourseBySlug(ctx, f.course.Slug)
	if err != nil {
		t.Fatal(err)
	}
	first, second := c.Events[0].ID, c.Events[1].ID
	add := func(email string, role account.Role, limited bool, courses ...int64) account.User {
		u, err := f.accounts.AddUser(ctx, audit.CommandLine("test"), account.Profile{Email: email, Role: role, CourseLimited: limited, Courses: courses},
			"a long enough password 1", f.now)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	tina := add("tina@training.example", account.Trainer, false)
	tom := add("tom@training.example", account.Trainer, false)
	cora := add("cora@training.example", account.Coordinator, false)
	other := catalogtest.Course(t, f.db, func(c *catalog.Course) { c.Slug = "other-course" })
	lim := add("lim@training.example", account.Coordinator, true, other.ID)
	fin := add("fin@training.example", account.Finance, false)

	if err := f.reg.SetTrainers(ctx, first, []int64{tina.ID}, coordinator); err != nil {
		t.Fatal(err)
	}
	var ie certificates.InputError
	if err := f.reg.SetTrainers(ctx, first, []int64{tina.ID, fin.ID}, coordinator); !errors.As(err, &ie) {
		t.Fatalf("assigning finance: got %v, want an InputError", err)
	}
	if got, _ := f.reg.Trainers(ctx, first); len(got) != 1 || got[0] != tina.ID {
		t.Errorf("trainers of the first date: got %v, want only Tina", got)
	}
	if f.auditCount(t, "event.trainers") != 1 {
		t.Errorf("got %d event.trainers entries, want 1", f.auditCount(t, "event.trainers"))
	}
	for _, tt := range []struct {
		who   account.User
		event int64
		want  bool
	}{
		{tina, first, true}, {tina, second, false}, {tom, first, false},
		{cora, first, true}, {cora, second, true}, {lim, first, false}, {fin, first, false},
	} {
		got, err := f.reg.MayTake(ctx, tt.who, c.ID, tt.event)
		if err != nil || got != tt.want {
			t.Errorf("%s on date %d: got %v (%v), want %v", tt.who.Email, tt.event, got, err, tt.want)
		}
	}
	if dates, _ := f.reg.DatesOf(ctx, tina.ID); len(dates) != 1 || dates[0] != first {
		t.Errorf("Tina's dates: got %v", dates)
	}
}

func TestRegisterFromProviderReport(t *testing.T) {
	for _, file := range []string{"testdata/zoom-participants.csv", "testdata/teams-attendance.csv"} {
		t.Run(file, func(t *testing.T) {
			f := newFixture(t, nil)
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := certificates.ParseReport(data, f.event.Location(), testDate)
			if err != nil {
				t.Fatal(err)
			}
			// The text a page carries between steps reads the same.
			text, err := certificates.ReportText(data)
			if err != nil {
				t.Fatal(err)
			}
			if again, err := certificates.ParseReport([]byte(text), f.event.Location(), testDate); err != nil || len(again.Rows) != len(rep.Rows) {
				t.Fatalf("the report as text: %d rows, %v; want %d", len(again.Rows), err, len(rep.Rows))
			}
			p, err := f.reg.Propose(ctx, f.event.ID, testDate, rep, nil)
			if err != nil {
				t.Fatal(err)
			}
			if p.TeachingMinutes != 330 {
				t.Errorf("teaching minutes: got %d, want 330", p.TeachingMinutes)
			}
			type want struct {
				mark    certificates.Mark
				minutes int
				first   string
			}
			wants := map[string]want{
				"Ada":     {certificates.Present, 330, "09:45"}, // joined twice, the rejoin overlapping: counted once
				"Grace":   {certificates.Late, 295, "10:20"},
				"Alan":    {certificates.LeftEarly, 195, "09:45"},
				"Barbara": {certificates.Absent, 0, ""},
				"Edsger":  {certificates.Absent, 0, ""},
			}
			for _, r := range p.Rows {
				name := strings.Fields(r.Row.Booking.Name)[0]
				w := wants[name]
				if r.Mark != w.mark || r.Minutes != w.minutes || r.First != w.first {
					t.Errorf("%s: got %s, %d minutes, first %q; want %s, %d, %q", name, r.Mark, r.Minutes, r.First, w.mark, w.minutes, w.first)
				}
			}
			if len(p.Unmatched) != 2 || p.Unmatched[1].Email != "someone@elsewhere.example" || p.Unmatched[1].Minutes != 75 {
				t.Fatalf("unmatched: got %+v, want the host and someone@elsewhere.example (75 minutes)", p.Unmatched)
			}
			// Assign the unknown participant to Barbara, ignore the host.
			p, err = f.reg.Propose(ctx, f.event.ID, testDate, rep, map[string]int64{
				p.Unmatched[1].Key: f.ids["Barbara"], p.Unmatched[0].Key: -1})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Unmatched) != 1 || !p.Unmatched[0].Ignored {
				t.Errorf("after assigning: got unmatched %+v, want only the host, ignored", p.Unmatched)
			}
			var entries []certificates.Entry
			for _, r := range p.Rows {
				if strings.HasPrefix(r.Row.Booking.Name, "Barbara") && (r.Mark != certificates.LeftEarly || r.Minutes != 75) {
					t.Errorf("Barbara after assigning: got %s, %d minutes; want left early, 75", r.Mark, r.Minutes)
				}
				entries = append(entries, certificates.Entry{BookingID: r.Row.Booking.ID, Mark: r.Mark, Minutes: r.Minutes, HasMinutes: true})
			}
			if _, err := f.reg.Save(ctx, f.event.ID, testDate, "", entries, coordinator); err != nil {
				t.Fatal(err)
			}
			sh, _ := f.reg.Sheet(ctx, f.event.ID, testDate, "")
			for _, r := range sh.Rows {
				if strings.HasPrefix(r.Booking.Name, "Grace") && (r.Mark != certificates.Late || !r.HasMinutes || r.Minutes != 295) {
					t.Errorf("Grace saved: %+v", r)
				}
			}
		})
	}
}

func TestProviderReportErrors(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/London")
	header := "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes)\n"
	for _, tt := range []struct{ name, file, want string }{
		{"not a report", "a,b,c\n1,2,3\n", "no table with columns"},
		{"bad time", header + "Ada,ada@example.org,03/30/2026 09:25:00 AM,soon,5\n", "line 2: leave time: \"soon\" is not a date and time"},
		{"another day", header + "Ada,ada@example.org,03/29/2026 09:25:00 AM,03/29/2026 10:25:00 AM,60\n", "line 2: join time: \"03/29/2026 09:25:00 AM\" is not on 2026-03-30"},
		{"leave before join", header + "Ok,ok@example.org,03/30/2026 09:00:00 AM,03/30/2026 10:00:00 AM,60\nAda,ada@example.org,03/30/2026 10:25:00 AM,03/30/2026 09:25:00 AM,60\n", "line 3: the leave time is before the join time"},
		{"no rows", header, "the table has no rows"},
		{"binary", "\x00\xff\xfe\x01", "not text"},
		{"bad quoting", header + "\"Ada,ada@example.org\n\"x\"y\",1,2,3\n", "line"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := certificates.ParseReport([]byte(tt.file), loc, testDate)
			var re *certificates.ReportError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want a ReportError containing %q", err, tt.want)
			}
		})
	}
	// Day-first times (Zoom outside the US) are read by the day they must
	// fall on.
	rep, err := certificates.ParseReport([]byte(header+"Ada,ada@example.org,30/03/2026 09:25,30/03/2026 16:35,430\n"), loc, testDate)
	if err != nil || len(rep.Rows) != 1 || rep.Rows[0].Join.Hour() != 9 {
		t.Errorf("day-first: got %+v, %v", rep, err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestCloseRegister moves each booking to attended or no-show through
// the booking service, once everyone is marked; a correction and a
// second close change only what differs.
func TestCloseRegister(t *testing.T) {
	f := newFixture(t, nil)
	save := func(first string, m certificates.Mark) {
		t.Helper()
		if _, err := f.reg.Save(ctx, f.event.ID, testDate, "", []certificates.Entry{{BookingID: f.ids[first], Mark: m}}, coordinator); err != nil {
			t.Fatal(err)
		}
	}
	save("Ada", certificates.Present)
	save("Grace", certificates.Late)
	save("Alan", certificates.Excused)
	save("Barbara", certificates.Absent)
	var ie certificates.InputError
	if _, err := f.reg.Close(ctx, f.event.ID, coordinator); !errors.As(err, &ie) || !strings.Contains(ie["register"], "1 on 2026-03-30") {
		t.Fatalf("close with Edsger unmarked: got %v", err)
	}
	statuses := func() map[string]booking.Status {
		list, err := f.bookings.List(ctx, f.event.ID)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]booking.Status{}
		for _, b := range list {
			out[strings.Fields(b.Name)[0]] = b.Status
		}
		return out
	}
	if st := statuses(); st["Ada"] != booking.Confirmed {
		t.Fatalf("a refused close changed bookings: %v", st)
	}
	if taken, err := f.reg.Taken(ctx, f.event.ID); err != nil || taken {
		t.Errorf("taken with Edsger unmarked: %v, %v", taken, err)
	}
	// Edsger's day taken per session: present in every one.
	for _, s := range []string{"09:45", "11:15", "13:15", "15:00"} {
		if _, err := f.reg.Save(ctx, f.event.ID, testDate, s, []certificates.Entry{{BookingID: f.ids["Edsger"], Mark: certificates.Present}}, coordinator); err != nil {
			t.Fatal(err)
		}
	}
	if taken, err := f.reg.Taken(ctx, f.event.ID); err != nil || !taken {
		t.Errorf("taken with everyone marked: %v, %v", taken, err)
	}
	if n, err := f.reg.Close(ctx, f.event.ID, coordinator); err != nil || n != 5 {
		t.Fatalf("close: %d changed, %v; want 5", n, err)
	}
	want := map[string]booking.Status{"Ada": booking.Attended, "Grace": booking.Attended, "Alan": booking.NoShow,
		"Barbara": booking.NoShow, "Edsger": booking.Attended}
	if st := statuses(); !maps.Equal(st, want) {
		t.Errorf("after closing: got %v, want %v", st, want)
	}
	if n, err := f.reg.Close(ctx, f.event.ID, coordinator); err != nil || n != 0 {
		t.Errorf("close again: %d changed, %v; want 0", n, err)
	}
	// A no-show stays on the register, so a mark can be corrected.
	save("Barbara", certificates.Present)
	if n, err := f.reg.Close(ctx, f.event.ID, coordinator); err != nil || n != 1 || statuses()["Barbara"] != booking.Attended {
		t.Errorf("close after a correction: %d changed, %v, Barbara %s", n, err, statuses()["Barbara"])
	}
	if got := f.auditCount(t, "booking.attendance"); got != 6 {
		t.Errorf("got %d booking.attendance entries, want 6", got)
	}
}

// TestCloseRegisterAllOrNothing: a booking cancelled while the register
// is being closed refuses the whole close with a message, and no booking
// changes; closing again after a reload works.
func TestCloseRegisterAllOrNothing(t *testing.T) {
	f := newFixture(t, nil)
	if _, err := f.reg.MarkAllPresent(ctx, f.event.ID, testDate, "", coordinator); err != nil {
		t.Fatal(err)
	}
	certificates.SetBeforeClose(f.reg, func() {
		if _, err := f.bookings.CancelByID(ctx, f.ids["Edsger"], coordinator, booking.CancelOptions{Reason: "Asked by phone"}); err != nil {
			t.Fatal(err)
		}
	})
	var ie certificates.InputError
	if n, err := f.reg.Close(ctx, f.event.ID, coordinator); !errors.As(err, &ie) || n != 0 ||
		!strings.Contains(ie["register"], "nothing was closed") {
		t.Fatalf("close with a booking cancelled meanwhile: got %d, %v", n, err)
	}
	list, err := f.bookings.List(ctx, f.event.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range list {
		if b.Status == booking.Attended || b.Status == booking.NoShow {
			t.Errorf("a refused close changed %s to %s", b.Name, b.Status)
		}
	}
	if got := f.auditCount(t, "booking.attendance"); got != 0 {
		t.Errorf("a refused close recorded %d booking.attendance entries", got)
	}
	certificates.SetBeforeClose(f.reg, nil)
	if n, err := f.reg.Close(ctx, f.event.ID, coordinator); err != nil || n != 4 {
		t.Errorf("close after the reload: %d changed, %v; want 4", n, err)
	}
}

// TestMarkedDays counts the people marked on each day of a date, once
// each whether marked for the day, a session or both; a date with no
// marks has no marked days.
func TestMarkedDays(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	if got, err := f.reg.MarkedDays(ctx, f.event.ID); err != nil || len(got) != 0 {
		t.Fatalf("before any mark: %v, %v", got, err)
	}
	if _, err := f.reg.Save(ctx, f.event.ID, testDate, "", []certificates.Entry{{BookingID: f.ids["Ada"], Mark: certificates.Present}}, coordinator); err != nil {
		t.Fatal(err)
	}
	entries := []certificates.Entry{{BookingID: f.ids["Ada"], Mark: certificates.Present}, {BookingID: f.ids["Grace"], Mark: certificates.Absent}}
	if _, err := f.reg.Save(ctx, f.event.ID, testDate, "09:45", entries, coordinator); err != nil {
		t.Fatal(err)
	}
	got, err := f.reg.MarkedDays(ctx, f.event.ID)
	if err != nil || len(got) != 1 || got[testDate] != 2 {
		t.Fatalf("marked days: %v, %v; want %s: 2", got, err, testDate)
	}
}

// TestConcurrentRegisterSaves: two people save Ada's mark at once, each
// from a register that showed her unmarked. The first holds its
// transaction open after reading the marks; the second must wait for the
// date's lock (on PostgreSQL it is seen waiting on it, on SQLite on the
// database's write lock) rather than read the marks beside it. Then
// exactly one wins and the other gets the refusal on Ada's field naming
// the mark now stored; one mark, one audit entry.
func TestConcurrentRegisterSaves(t *testing.T) {
	f := newFixture(t, nil)
	ada := f.ids["Ada"]
	reads := make(chan struct{}, 2)
	began := make(chan struct{}, 2)
	release := make(chan struct{})
	var once sync.Once
	certificates.SetSaveHook(f.reg, func(stage string) {
		switch stage {
		case "begin":
			began <- struct{}{}
		case "read":
			reads <- struct{}{}
			<-release
		}
	})
	defer once.Do(func() { close(release) })
	save := func(m certificates.Mark) error {
		_, err := f.reg.Save(ctx, f.event.ID, testDate, "", []certificates.Entry{{BookingID: ada, Mark: m, CheckWas: true}}, coordinator)
		return err
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	wg.Go(func() { errs[0] = save(certificates.Present) })
	<-began
	<-reads // the first save holds the date's lock, the marks read
	wg.Go(func() { errs[1] = save(certificates.Absent) })
	<-began
	if f.db.Dialect == database.Postgres {
		// The second must be waiting on a lock, not reading the marks.
		deadline := time.Now().Add(30 * time.Second)
		for waiting := 0; waiting == 0; {
			select {
			case <-reads:
				once.Do(func() { close(release) })
				wg.Wait()
				t.Fatalf("the second save read the marks while the first held them (no date lock): %v", errs)
			default:
			}
			if err := f.db.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
				WHERE wait_event_type = 'Lock' AND query LIKE '%FROM events WHERE id = $1 FOR UPDATE%'`).Scan(&waiting); err != nil {
				t.Fatal(err)
			}
			if waiting == 0 && time.Now().After(deadline) {
				t.Fatal("the second save neither waits on the date's lock nor reads the marks after 30s")
			}
			if waiting == 0 {
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
	once.Do(func() { close(release) })
	wg.Wait()
	if errs[0] != nil {
		t.Fatalf("the first save: %v", errs[0])
	}
	var ie certificates.InputError
	if !errors.As(errs[1], &ie) || !strings.Contains(ie[itoa(ada)], "someone else changed this mark meanwhile: it is now present") {
		t.Fatalf("the second save: %v, want the refusal on Ada's field", errs[1])
	}
	if got := f.marks(t, "")["Ada"]; got != certificates.Present {
		t.Errorf("Ada's mark: %q, want the first save's", got)
	}
	if got := f.auditCount(t, "register.mark"); got != 1 {
		t.Errorf("%d register.mark entries, want 1", got)
	}
}
