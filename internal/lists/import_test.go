package lists_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"plenary/internal/database"
	"plenary/internal/lists"
)

// evidenceOf returns the evidence of email's one subscription.
func (e *env) evidenceOf(t *testing.T, email string) []lists.Evidence {
	t.Helper()
	ev, err := e.svc.Evidence(context.Background(), e.only(t, email).ID)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestImportRefusesAcrossLists: an address suppressed on one list is
// refused by an import to another, in both modes; one that withdrew from
// another list is refused by a "consent held" import and only asked to
// confirm by a "send a confirmation" one. Preview and run count alike.
func TestImportRefusesAcrossLists(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	ctx := context.Background()
	a, b := twoCourses(t, e)
	for _, addr := range []string{"blocked@example.org", "left@example.org"} {
		e.subscribed(t, staffCourseRequest(addr, a))
	}
	if err := e.svc.Suppress(ctx, staff, e.only(t, "blocked@example.org").ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Withdraw(ctx, staff, e.only(t, "left@example.org").ID, lists.HowStaff); err != nil {
		t.Fatal(err)
	}
	file := "email\nblocked@example.org\nleft@example.org\nnew@example.org\n"
	held := lists.ImportOptions{Mode: lists.ImportHeld, Scope: lists.ScopeCourse, CourseID: b.ID, CourseTitle: b.Title,
		Source: "Sign-up sheet", Date: "2026-01-10"}
	rep, err := e.svc.PreviewImport(ctx, readImport(t, e, file, held))
	if want := (lists.ImportReport{Held: 1, Refused: 2}); err != nil || !reflect.DeepEqual(rep, want) {
		t.Errorf("held preview: %+v (%v), want %+v", rep, err, want)
	}
	rep, err = e.svc.RunImport(ctx, staff, readImport(t, e, file, held))
	if want := (lists.ImportReport{Held: 1, Refused: 2}); err != nil || !reflect.DeepEqual(rep, want) {
		t.Errorf("held run: %+v (%v), want %+v", rep, err, want)
	}
	for _, addr := range []string{"blocked@example.org", "left@example.org"} {
		if subs, _ := e.svc.Subscriptions(ctx, addr); len(subs) != 1 {
			t.Errorf("%s subscribed to another list by a held import: %+v", addr, subs)
		}
	}
	// Sending a confirmation: the suppressed address is still refused;
	// the one that withdrew from course a may be asked about course b.
	confirm := lists.ImportOptions{Mode: lists.ImportConfirm, Scope: lists.ScopeTopic, Topic: "Supervision"}
	before := len(e.confirmations(t, "blocked@example.org"))
	rep, err = e.svc.PreviewImport(ctx, readImport(t, e, file, confirm))
	if want := (lists.ImportReport{New: 2, Refused: 1}); err != nil || !reflect.DeepEqual(rep, want) {
		t.Errorf("confirm preview: %+v (%v), want %+v", rep, err, want)
	}
	rep, err = e.svc.RunImport(ctx, staff, readImport(t, e, file, confirm))
	if want := (lists.ImportReport{New: 2, Refused: 1}); err != nil || !reflect.DeepEqual(rep, want) {
		t.Errorf("confirm run: %+v (%v), want %+v", rep, err, want)
	}
	if subs, _ := e.svc.Subscriptions(ctx, "blocked@example.org"); len(subs) != 1 || len(e.confirmations(t, "blocked@example.org")) != before {
		t.Errorf("suppressed address asked again by import: %+v", subs)
	}
}

// TestImportWordings: no evidence row of an import has an empty wording.
// "Send a confirmation" records the confirmation page's wording (and the
// page's words are that wording's); "held" records the marker of consent
// held outside Plenary, on both steps.
func TestImportWordings(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	ctx := context.Background()
	if _, err := e.svc.RunImport(ctx, staff, readImport(t, e, "email\nask@example.org\n",
		lists.ImportOptions{Mode: lists.ImportConfirm, Scope: lists.ScopeAll})); err != nil {
		t.Fatal(err)
	}
	e.confirmOne(t, "ask@example.org")
	if _, err := e.svc.RunImport(ctx, staff, readImport(t, e, "email,consent_source,consent_date\nheld@example.org,Paper form,2025-11-02\n",
		lists.ImportOptions{Mode: lists.ImportHeld, Scope: lists.ScopeAll})); err != nil {
		t.Fatal(err)
	}
	for addr, w := range map[string]lists.Wording{"ask@example.org": lists.ConfirmWording, "held@example.org": lists.ExternalWording} {
		ev := e.evidenceOf(t, addr)
		if len(ev) != 2 {
			t.Fatalf("%s: evidence %+v", addr, ev)
		}
		for _, x := range ev {
			if x.WordingVersion != w.Version || x.WordingSHA256 != w.SHA256() || x.Source != lists.FromImport {
				t.Errorf("%s: step %s has wording %q (%s), want %q", addr, x.Step, x.WordingVersion, x.WordingSHA256, w.Version)
			}
		}
	}
	if lists.ConfirmWording.Version != "import-confirm-1" || lists.ExternalWording.Version != "external-1" ||
		lists.ExternalWording.Text != "Consent held outside Plenary; see the source" {
		t.Errorf("wordings: %+v %+v", lists.ConfirmWording, lists.ExternalWording)
	}
}

// TestImportWaitingRows: an import over a waiting subscription with a
// live link sends nothing; over one whose link expired, it sends a fresh
// link that confirms (within the daily cap per address: beyond it, the
// row is counted as held back and nothing is sent); a "held" import with
// source and date confirms a waiting one, with its evidence.
func TestImportWaitingRows(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	ctx := context.Background()
	a, _ := twoCourses(t, e)
	for _, addr := range []string{"live@example.org", "stale@example.org", "busy@example.org", "held@example.org"} {
		if err := e.svc.Subscribe(ctx, staffCourseRequest(addr, a)); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Add(lists.TokenLifetime + time.Hour) // every link so far has expired
	if err := e.svc.Subscribe(ctx, staffCourseRequest("live@example.org", a)); err != nil {
		t.Fatal(err) // a fresh, live link
	}
	for _, topic := range []string{"One", "Two", "Three"} { // busy@ reaches its cap for today
		r := request("busy@example.org")
		r.Topic = topic
		if err := e.svc.Subscribe(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	sent := func(addr string) int { return len(e.confirmations(t, addr)) }
	liveBefore, staleBefore, busyBefore := sent("live@example.org"), sent("stale@example.org"), sent("busy@example.org")
	opts := lists.ImportOptions{Mode: lists.ImportConfirm, Scope: lists.ScopeCourse, CourseID: a.ID, CourseTitle: a.Title}
	file := "email\nlive@example.org\nstale@example.org\nbusy@example.org\n"
	want := lists.ImportReport{Waiting: 1, Resent: 1, Capped: 1}
	if rep, err := e.svc.PreviewImport(ctx, readImport(t, e, file, opts)); err != nil || !reflect.DeepEqual(rep, want) {
		t.Errorf("preview: %+v (%v), want %+v", rep, err, want)
	}
	if rep, err := e.svc.RunImport(ctx, staff, readImport(t, e, file, opts)); err != nil || !reflect.DeepEqual(rep, want) {
		t.Errorf("run: %+v (%v), want %+v", rep, err, want)
	}
	if sent("live@example.org") != liveBefore || sent("busy@example.org") != busyBefore {
		t.Errorf("sent again: live %d→%d, busy %d→%d", liveBefore, sent("live@example.org"), busyBefore, sent("busy@example.org"))
	}
	if sent("stale@example.org") != staleBefore+1 {
		t.Fatalf("stale: %d confirmation e-mails, want %d", sent("stale@example.org"), staleBefore+1)
	}
	e.confirmOne(t, "stale@example.org")
	if s := e.only(t, "stale@example.org"); s.Status != lists.Confirmed {
		t.Errorf("stale after its fresh link: %+v", s)
	}
	// Consent held, with a source and date: the waiting row is confirmed.
	held := lists.ImportOptions{Mode: lists.ImportHeld, Scope: lists.ScopeCourse, CourseID: a.ID, CourseTitle: a.Title,
		Source: "Booking form at the 2025 conference", Date: "2025-09-12"}
	if rep, err := e.svc.RunImport(ctx, staff, readImport(t, e, "email\nheld@example.org\n", held)); err != nil ||
		!reflect.DeepEqual(rep, lists.ImportReport{Held: 1}) {
		t.Errorf("held over waiting: %+v (%v)", rep, err)
	}
	if s := e.only(t, "held@example.org"); s.Status != lists.Confirmed || s.ConfirmedAt.IsZero() {
		t.Errorf("held over waiting: %+v", s)
	}
	ev := e.evidenceOf(t, "held@example.org")
	last := ev[len(ev)-1]
	if len(ev) != 3 || last.Step != "confirmed" || last.Source != lists.FromImport ||
		last.SourceNote != "Booking form at the 2025 conference" || last.ConsentedOn != "2025-09-12" ||
		last.WordingVersion != lists.ExternalWording.Version {
		t.Errorf("held over waiting: evidence %+v", ev)
	}
}

// TestImportConsentDateInLondon: "today" for a date of consent is the day
// in Europe/London, not in UTC: just after midnight in a British summer,
// today's date is not in the future.
func TestImportConsentDateInLondon(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 30, 23, 30, 0, 0, time.UTC) // 00:30 on 1 July in London
	opts := lists.ImportOptions{Mode: lists.ImportHeld, Scope: lists.ScopeAll, Source: "Sheet", Date: "2026-07-01"}
	imp, err := lists.ReadImport(strings.NewReader("email,consent_date\nann@example.org,2026-07-01\nbob@example.org,2026-07-02\n"), opts, now)
	if err != nil {
		t.Fatalf("London's today refused: %v", err)
	}
	if len(imp.Rows) != 1 || imp.Rows[0].ConsentedOn != "2026-07-01" ||
		!reflect.DeepEqual(imp.Bad, []lists.BadRow{{Line: 3, Reason: "the date of consent is in the future"}}) {
		t.Errorf("rows %+v, bad %+v", imp.Rows, imp.Bad)
	}
}

// TestReadImportStrayQuote: a quote never closed would swallow the rest
// of the file into one field; the whole file is refused with the line
// where it opened, and nothing is imported.
func TestReadImportStrayQuote(t *testing.T) {
	t.Parallel()
	file := "email,name\n\"ann@example.org,Ann\nbob@example.org,Bob\ncat@example.org,Cat\n"
	imp, err := lists.ReadImport(strings.NewReader(file), lists.ImportOptions{Mode: lists.ImportConfirm, Scope: lists.ScopeAll}, time.Now())
	var ferr lists.FormError
	if !errors.As(err, &ferr) || !strings.HasPrefix(ferr["file"], "line 2: a quote opened here is never closed") ||
		!strings.Contains(ferr["file"], "nothing was imported") {
		t.Fatalf("got %+v, %v", imp, err)
	}
	// A bare quote within one line is one bad row; the rest are read.
	imp, err = lists.ReadImport(strings.NewReader("email,name\nann@example.org,An\"n\nbob@example.org,Bob\n"),
		lists.ImportOptions{Mode: lists.ImportConfirm, Scope: lists.ScopeAll}, time.Now())
	if err != nil || len(imp.Rows) != 1 || len(imp.Bad) != 1 || imp.Bad[0].Line != 2 {
		t.Errorf("bare quote: %+v, %v", imp, err)
	}
}

// TestImportRacesSubscribe: a subscription made by another request while
// an import runs (its insert not yet committed when the import looked)
// is no failure. On PostgreSQL the import's insert waits for the other
// transaction's unique key and then finds it taken: counted as waiting,
// in both modes. On SQLite the import waits for the writer to finish and
// then sees the row: waiting with a live link (a "held" import confirms
// it, as it would any waiting row).
func TestImportRacesSubscribe(t *testing.T) {
	t.Parallel()
	for _, mode := range []lists.ImportMode{lists.ImportConfirm, lists.ImportHeld} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, false)
			ctx := context.Background()
			other, err := e.db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer other.Rollback()
			now := e.clock.Now()
			if _, err := other.ExecContext(ctx, `INSERT INTO list_subscriptions (email, email_key, name, scope, target_key, status,
					token_hash, token_expires_at, requested_at)
				VALUES ('ann@example.org', 'ann@example.org', '', 'all', 'all', 'requested', 'x', $1, $2)`,
				now.Add(lists.TokenLifetime), now); err != nil {
				t.Fatal(err)
			}
			type result struct {
				rep lists.ImportReport
				err error
			}
			done := make(chan result, 1)
			imp := readImport(t, e, "email\nann@example.org\n",
				lists.ImportOptions{Mode: mode, Scope: lists.ScopeAll, Source: "Sheet", Date: "2026-01-01"})
			go func() {
				rep, err := e.svc.RunImport(ctx, staff, imp)
				done <- result{rep, err}
			}()
			want := lists.ImportReport{Waiting: 1}
			if e.db.Dialect == database.Postgres {
				// Wait until the import's insert is queued behind the
				// other transaction (a lock on its ID not granted: that
				// transaction's alone, whatever else runs on the server).
				var xid string
				if err := other.QueryRowContext(ctx, `SELECT txid_current()::text`).Scan(&xid); err != nil {
					t.Fatal(err)
				}
				deadline := time.Now().Add(20 * time.Second)
				for {
					var waiting int
					if err := e.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_locks
						WHERE NOT granted AND locktype = 'transactionid' AND transactionid::text = $1`, xid).Scan(&waiting); err != nil {
						t.Fatal(err)
					}
					if waiting > 0 {
						break
					}
					if time.Now().After(deadline) {
						t.Fatal("the import never waited for the other transaction")
					}
					time.Sleep(10 * time.Millisecond)
				}
			} else if mode == lists.ImportHeld {
				want = lists.ImportReport{Held: 1}
			}
			if err := other.Commit(); err != nil {
				t.Fatal(err)
			}
			r := <-done
			if r.err != nil || !reflect.DeepEqual(r.rep, want) {
				t.Errorf("import racing a subscribe: %+v (%v), want %+v", r.rep, r.err, want)
			}
		})
	}
}

// TestPreviewTakesNoWriteLock: a preview only reads, so it answers while
// another writer holds the database (on SQLite, BEGIN IMMEDIATE's lock).
func TestPreviewTakesNoWriteLock(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	ctx := context.Background()
	imp := readImport(t, e, "email\nann@example.org\n", lists.ImportOptions{Mode: lists.ImportConfirm, Scope: lists.ScopeAll})
	writer, err := e.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Rollback()
	if _, err := writer.ExecContext(ctx, `INSERT INTO list_subscriptions (email, email_key, name, scope, target_key, status, requested_at)
		VALUES ('bob@example.org', 'bob@example.org', '', 'all', 'all', 'requested', $1)`, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	rep, err := e.svc.PreviewImport(short, imp)
	if err != nil || rep.New != 1 {
		t.Errorf("preview beside a writer: %+v (%v)", rep, err)
	}
}

// FuzzReadImport: whatever the file, ReadImport never panics, and either
// refuses the file or accounts for every line that holds data: imported,
// or listed as bad with its line. `go test` runs the seeds only.
func FuzzReadImport(f *testing.F) {
	for _, seed := range []string{
		"email\nann@example.org\n",
		"Email,Name,consent_source,consent_date\nann@example.org,Ann,Sheet,2025-01-01\nnot-an-address,,,\n\nann@example.org,,,\n",
		"email,name\n\"ann@example.org,Ann\nbob@example.org\n",
		"email,name\nann@example.org,An\"n\n\"bob@example.org\",\"Bob, \"\"B\"\"\"\n",
		"\xef\xbb\xbfemail\r\nann@example.org\r\n",
		"name\nAnn\n",
		"",
	} {
		f.Add(seed)
	}
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	opts := lists.ImportOptions{Mode: lists.ImportHeld, Scope: lists.ScopeAll}
	f.Fuzz(func(t *testing.T, file string) {
		imp, err := lists.ReadImport(strings.NewReader(file), opts, now)
		if err != nil {
			var ferr lists.FormError
			if !errors.As(err, &ferr) && !errors.Is(err, lists.ErrImportTooLarge) {
				t.Fatalf("not a refusal of the file: %v", err)
			}
			return
		}
		lines := strings.Count(file, "\n") + 1
		seen := map[int]bool{}
		for _, r := range imp.Rows {
			if r.Line < 2 || r.Line > lines || seen[r.Line] {
				t.Fatalf("row at line %d of %d (twice: %v)", r.Line, lines, seen[r.Line])
			}
			seen[r.Line] = true
			if r.Email == "" {
				t.Fatalf("row at line %d has no address", r.Line)
			}
		}
		for _, b := range imp.Bad {
			if b.Line < 2 || b.Line > lines || seen[b.Line] || b.Reason == "" {
				t.Fatalf("bad row at line %d of %d (%q, twice: %v)", b.Line, lines, b.Reason, seen[b.Line])
			}
			seen[b.Line] = true
		}
		// Without quotes or carriage returns, a line is a row: each
		// one with data after the header is imported or listed as bad.
		if !strings.ContainsAny(file, "\"\r") {
			for i, line := range strings.Split(strings.TrimPrefix(file, "\xef\xbb\xbf"), "\n")[1:] {
				if strings.TrimSpace(line) != "" && !seen[i+2] {
					t.Fatalf("line %d (%q) neither imported nor listed as bad", i+2, line)
				}
			}
		}
	})
}
