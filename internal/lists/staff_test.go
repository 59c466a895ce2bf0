package lists_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"plenary/internal/audit"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/lists"
	"plenary/internal/messaging"
)

var staff = audit.StaffMember(7, "Cora Coordinator")

// confirmOne confirms the one waiting subscription of email through its
// confirmation e-mail.
func (e *env) confirmOne(t *testing.T, email string) {
	t.Helper()
	tokens := e.confirmations(t, email)
	if _, err := e.svc.Confirm(context.Background(), tokens[len(tokens)-1]); err != nil {
		t.Fatal(err)
	}
}

func twoCourses(t *testing.T, e *env) (a, b catalog.Course) {
	t.Helper()
	a = catalogtest.Course(t, e.db, func(c *catalog.Course) {})
	b = catalogtest.Course(t, e.db, func(c *catalog.Course) { c.Slug, c.Title = "second-course", "Second course" })
	return a, b
}

func staffCourseRequest(email string, c catalog.Course) lists.Request {
	r := request(email)
	r.Scope, r.CourseID, r.CourseTitle = lists.ScopeCourse, c.ID, c.Title
	return r
}

// placesRequest asks to hear when a place frees on course c.
func placesRequest(email string, c catalog.Course) lists.Request {
	r := staffCourseRequest(email, c)
	r.Scope = lists.ScopePlaces
	return r
}

// TestStaffFind filters subscriptions by course, topic, scope, status and
// address, counts them by status, narrows to a limited viewer's courses,
// and counts subscribers per course.
func TestStaffFind(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	ctx := context.Background()
	a, b := twoCourses(t, e)
	for _, r := range []lists.Request{staffCourseRequest("ann@example.org", a), staffCourseRequest("bob@example.org", a),
		staffCourseRequest("cat@example.org", b), request("dan@example.org"), placesRequest("eve@example.org", b)} {
		if err := e.svc.Subscribe(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	e.confirmOne(t, "ann@example.org")

	emails := func(f lists.StaffFilter) []string {
		t.Helper()
		p, err := e.svc.Find(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range p.Rows {
			out = append(out, r.Email)
			if r.Latest.ID == 0 {
				t.Errorf("%s: no latest evidence", r.Email)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    lists.StaffFilter
		want []string
	}{
		{"all, newest first", lists.StaffFilter{}, []string{"eve@example.org", "dan@example.org", "cat@example.org", "bob@example.org", "ann@example.org"}},
		{"course", lists.StaffFilter{CourseID: a.ID}, []string{"bob@example.org", "ann@example.org"}},
		{"confirmed", lists.StaffFilter{Status: lists.Confirmed}, []string{"ann@example.org"}},
		{"topic", lists.StaffFilter{Topic: "psychotherapy"}, []string{"dan@example.org"}},
		{"scope", lists.StaffFilter{Scope: lists.ScopeTopic}, []string{"dan@example.org"}},
		{"address, any case, % is literal", lists.StaffFilter{Text: "CAT@"}, []string{"cat@example.org"}},
		{"no wildcard", lists.StaffFilter{Text: "%"}, nil},
		// A limited viewer sees their courses' place-frees subscriptions too.
		{"limited to course b", lists.StaffFilter{Limited: true, Courses: []int64{b.ID}}, []string{"eve@example.org", "cat@example.org"}},
		{"limited to none", lists.StaffFilter{Limited: true}, nil},
	} {
		if got := emails(tc.f); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	p, err := e.svc.Find(ctx, lists.StaffFilter{CourseID: a.ID, Status: lists.Requested})
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 1 || p.Counts[lists.Confirmed] != 1 || p.Counts[lists.Requested] != 1 {
		t.Errorf("course a, waiting: total %d, counts %v", p.Total, p.Counts)
	}
	counts, err := e.svc.CountsByCourse(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]lists.CourseCounts{a.ID: {Confirmed: 1, Waiting: 1}, b.ID: {Waiting: 1}}
	if !reflect.DeepEqual(counts, want) {
		t.Errorf("CountsByCourse: %v, want %v", counts, want)
	}
	if _, err := e.svc.FindAll(ctx, lists.StaffFilter{}, 3); !errors.Is(err, lists.ErrTooMany) {
		t.Errorf("FindAll over its limit: %v, want ErrTooMany", err)
	}
}

// TestStaffWithdrawSuppress withdraws as asked by e-mail and suppresses,
// each with its evidence step and an audit entry naming the staff member;
// a second withdrawal changes nothing.
func TestStaffWithdrawSuppress(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	ctx := context.Background()
	a, _ := twoCourses(t, e)
	for _, addr := range []string{"ann@example.org", "bob@example.org"} {
		if err := e.svc.Subscribe(ctx, staffCourseRequest(addr, a)); err != nil {
			t.Fatal(err)
		}
	}
	e.confirmOne(t, "ann@example.org")
	ann, bob := e.only(t, "ann@example.org"), e.only(t, "bob@example.org")
	if err := e.svc.Withdraw(ctx, staff, ann.ID, lists.HowMailto); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Withdraw(ctx, staff, ann.ID, lists.HowStaff); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Withdraw(ctx, staff, ann.ID, "carrier pigeon"); err == nil {
		t.Error("withdraw with an unknown how: no error")
	}
	if err := e.svc.Suppress(ctx, staff, bob.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Withdraw(ctx, staff, 9999, lists.HowStaff); !errors.Is(err, lists.ErrNotFound) {
		t.Errorf("withdraw of no subscription: %v", err)
	}
	if s := e.only(t, "ann@example.org"); s.Status != lists.Withdrawn || s.WithdrawnAt.IsZero() {
		t.Errorf("ann: %+v", s)
	}
	if s := e.only(t, "bob@example.org"); s.Status != lists.Suppressed {
		t.Errorf("bob: %+v", s)
	}
	steps := func(id int64) string {
		ev, err := e.svc.Evidence(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, x := range ev {
			out = append(out, x.Step+"/"+x.How+"/"+string(x.Source))
		}
		return strings.Join(out, " ")
	}
	if got, want := steps(ann.ID), "requested//course_page confirmed//course_page withdrawn/mailto/course_page"; got != want {
		t.Errorf("ann's evidence: %s, want %s", got, want)
	}
	if got, want := steps(bob.ID), "requested//course_page suppressed/staff/course_page"; got != want {
		t.Errorf("bob's evidence: %s, want %s", got, want)
	}
	entries, err := audit.List(ctx, e.db, audit.Filter{Object: "subscription"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, en := range entries {
		got = append(got, fmt.Sprintf("%s %d by %s", en.Action, en.ObjectID, en.Actor.Name))
	}
	if len(got) != 2 || !strings.Contains(strings.Join(got, ";"), fmt.Sprintf("list.withdraw %d by Cora Coordinator", ann.ID)) ||
		!strings.Contains(strings.Join(got, ";"), fmt.Sprintf("list.suppress %d by Cora Coordinator", bob.ID)) {
		t.Errorf("audit entries: %v", got)
	}
	// A suppressed address asking again changes nothing and gets nothing.
	before := len(e.confirmations(t, "bob@example.org"))
	if err := e.svc.Subscribe(ctx, staffCourseRequest("bob@example.org", a)); err != nil {
		t.Fatal(err)
	}
	if after := len(e.confirmations(t, "bob@example.org")); after != before || e.only(t, "bob@example.org").Status != lists.Suppressed {
		t.Errorf("suppressed address asked again: %d e-mails (was %d), %+v", after, before, e.only(t, "bob@example.org"))
	}
}

func readImport(t *testing.T, e *env, csvText string, opts lists.ImportOptions) *lists.Import {
	t.Helper()
	imp, err := lists.ReadImport(strings.NewReader(csvText), opts, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return imp
}

// TestImport previews and runs an import in both modes: counts exact,
// withdrawn and suppressed addresses refused, bad rows with their line
// numbers, rows without a source or date made unconfirmed, evidence with
// source import, and a second run changing nothing.
func TestImport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	ctx := context.Background()
	a, _ := twoCourses(t, e)
	// Already there: one confirmed, one withdrawn, one suppressed, one waiting.
	for _, addr := range []string{"kept@example.org", "left@example.org", "blocked@example.org", "waits@example.org"} {
		if err := e.svc.Subscribe(ctx, staffCourseRequest(addr, a)); err != nil {
			t.Fatal(err)
		}
	}
	e.confirmOne(t, "kept@example.org")
	if err := e.svc.Withdraw(ctx, staff, e.only(t, "left@example.org").ID, lists.HowStaff); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Suppress(ctx, staff, e.only(t, "blocked@example.org").ID); err != nil {
		t.Fatal(err)
	}
	file := "Email,Name,consent_source,consent_date\n" +
		"new1@example.org,New One,,\n" + // line 2: file's source and date
		"new2@example.org,New Two,Paper form at the 2024 conference,2024-05-01\n" + // line 3: its own
		"KEPT@example.org,Kept,,\n" + // line 4
		"left@example.org,,,\n" + // line 5
		"blocked@example.org,,,\n" + // line 6
		"waits@example.org,,,\n" + // line 7
		"not-an-address,,,\n" + // line 8
		"new1@example.org,Again,,\n" + // line 9
		"new3@example.org,,,2099-01-01\n" + // line 10
		"\n" +
		"new4@example.org,New Four,,\n" // line 12
	opts := lists.ImportOptions{Mode: lists.ImportHeld, Scope: lists.ScopeCourse, CourseID: a.ID, CourseTitle: a.Title}
	imp := readImport(t, e, file, opts)
	wantBad := []lists.BadRow{{8, `"not-an-address" is not an e-mail address`}, {9, "the same address as line 2"},
		{10, "the date of consent is in the future"}}
	rep, err := e.svc.PreviewImport(ctx, imp)
	if err != nil {
		t.Fatal(err)
	}
	want := lists.ImportReport{Held: 1, Unconfirmed: 2, Waiting: 1, AlreadyConfirmed: 1, Refused: 2, Bad: wantBad}
	if !reflect.DeepEqual(rep, want) {
		t.Errorf("preview, held without a file source:\n got %+v\nwant %+v", rep, want)
	}
	if subs, _ := e.svc.Subscriptions(ctx, "new1@example.org"); len(subs) != 0 {
		t.Fatalf("the preview subscribed: %+v", subs)
	}
	// With a source and date for the whole file, new1 and new4 are held too.
	opts.Source, opts.Date = "Newsletter sign-up sheet", "2025-01-15"
	imp = readImport(t, e, file, opts)
	rep, err = e.svc.RunImport(ctx, staff, imp)
	if err != nil {
		t.Fatal(err)
	}
	// waits@ was waiting: consent held with a source and date confirms it.
	want = lists.ImportReport{Held: 4, AlreadyConfirmed: 1, Refused: 2, Bad: wantBad}
	if !reflect.DeepEqual(rep, want) {
		t.Errorf("run:\n got %+v\nwant %+v", rep, want)
	}
	n2 := e.only(t, "new2@example.org")
	ev, err := e.svc.Evidence(ctx, n2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n2.Status != lists.Confirmed || len(ev) != 2 || ev[1].Step != "confirmed" || ev[1].Source != lists.FromImport ||
		ev[1].SourceNote != "Paper form at the 2024 conference" || ev[1].ConsentedOn != "2024-05-01" {
		t.Errorf("new2: %+v, evidence %+v", n2, ev)
	}
	if ev, _ := e.svc.Evidence(ctx, e.only(t, "new1@example.org").ID); len(ev) != 2 || ev[0].SourceNote != "Newsletter sign-up sheet" || ev[0].ConsentedOn != "2025-01-15" {
		t.Errorf("new1's evidence: %+v", ev)
	}
	for _, addr := range []string{"left@example.org", "blocked@example.org"} {
		if s := e.only(t, addr); s.Status == lists.Confirmed || s.Status == lists.Requested {
			t.Errorf("%s subscribed again by import: %+v", addr, s)
		}
	}
	if n := len(e.confirmations(t, "new1@example.org")); n != 0 {
		t.Errorf("held consent sent %d confirmation e-mails", n)
	}
	// The same file again: nothing new.
	rep, err = e.svc.RunImport(ctx, staff, readImport(t, e, file, opts))
	if err != nil {
		t.Fatal(err)
	}
	if want := (lists.ImportReport{AlreadyConfirmed: 5, Refused: 2, Bad: wantBad}); !reflect.DeepEqual(rep, want) {
		t.Errorf("second run:\n got %+v\nwant %+v", rep, want)
	}
	entries, err := audit.List(ctx, e.db, audit.Filter{Action: "list.import"})
	if err != nil || len(entries) != 2 || entries[0].Actor.Name != "Cora Coordinator" {
		t.Errorf("audit of imports: %+v (%v)", entries, err)
	}
}

// TestImportConfirmMode sends each new address a confirmation e-mail and
// leaves it waiting; a held-mode row without a source becomes the same.
func TestImportConfirmMode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	ctx := context.Background()
	imp := readImport(t, e, "email,name\nann@example.org,Ann\nbob@example.org,Bob\n",
		lists.ImportOptions{Mode: lists.ImportConfirm, Scope: lists.ScopeTopic, Topic: "Supervision"})
	rep, err := e.svc.RunImport(ctx, staff, imp)
	if err != nil {
		t.Fatal(err)
	}
	if rep.New != 2 || rep.Changes() != 2 {
		t.Errorf("report %+v", rep)
	}
	for _, addr := range []string{"ann@example.org", "bob@example.org"} {
		if s := e.only(t, addr); s.Status != lists.Requested || s.Topic != "Supervision" {
			t.Errorf("%s: %+v", addr, s)
		}
		tokens := e.confirmations(t, addr)
		if len(tokens) != 1 {
			t.Fatalf("%s: %d confirmation e-mails", addr, len(tokens))
		}
		if _, err := e.svc.Confirm(ctx, tokens[0]); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := e.outbox.List(ctx, messaging.ListFilter{Kind: "list_confirm"})
	if err != nil || len(msgs) != 2 {
		t.Errorf("confirmation e-mails: %d (%v)", len(msgs), err)
	}
	rep, err = e.svc.RunImport(ctx, staff, readImport(t, e, "email,name\nann@example.org,Ann\nbob@example.org,Bob\n",
		lists.ImportOptions{Mode: lists.ImportConfirm, Scope: lists.ScopeTopic, Topic: "supervision"}))
	if err != nil || rep.AlreadyConfirmed != 2 || rep.Changes() != 0 {
		t.Errorf("second run: %+v (%v)", rep, err)
	}
}

// TestReadImportRefuses refuses a file too large, too many rows, a file
// without an email column, and options that cannot be used.
func TestReadImportRefuses(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	opts := lists.ImportOptions{Mode: lists.ImportConfirm, Scope: lists.ScopeAll}
	big := "email\n" + strings.Repeat("someone.with.a.long.address@example.org\n", lists.MaxImportBytes/40+10)
	if _, err := lists.ReadImport(strings.NewReader(big), opts, e.clock.Now()); !errors.Is(err, lists.ErrImportTooLarge) {
		t.Errorf("over 5 MB: %v", err)
	}
	var many strings.Builder
	many.WriteString("email\n")
	for i := range lists.MaxImportRows + 1 {
		fmt.Fprintf(&many, "p%d@example.org\n", i)
	}
	if _, err := lists.ReadImport(strings.NewReader(many.String()), opts, e.clock.Now()); !errors.Is(err, lists.ErrImportTooLarge) {
		t.Errorf("over %d rows: %v", lists.MaxImportRows, err)
	}
	var ferr lists.FormError
	if _, err := lists.ReadImport(strings.NewReader("name\nAnn\n"), opts, e.clock.Now()); !errors.As(err, &ferr) || ferr["file"] == "" {
		t.Errorf("no email column: %v", err)
	}
	bad := lists.ImportOptions{Mode: "maybe", Scope: lists.ScopeCourse, Date: "yesterday"}
	if _, err := lists.ReadImport(strings.NewReader("email\n"), bad, e.clock.Now()); !errors.As(err, &ferr) ||
		ferr["mode"] == "" || ferr["scope"] == "" || ferr["date"] == "" {
		t.Errorf("bad options: %v", err)
	}
}
