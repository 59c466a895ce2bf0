package lists_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database"
	"plenary/internal/database/dbtest"
	"plenary/internal/lists"
	"plenary/internal/messaging"
	"plenary/internal/messaging/mailtest"
)

// clock is a fixed clock the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	db     *database.DB
	svc    *lists.Service
	places *fakePlaces
	outbox *messaging.Outbox
	clock  *clock
	smtp   *mailtest.Server
}

// newEnv wires lists as main does, on a test database; withSMTP also runs
// the send job against a real SMTP server.
func newEnv(t *testing.T, withSMTP bool) *env {
	t.Helper()
	return newEnvOn(t, dbtest.New(t), withSMTP)
}

// newEnvOn is newEnv on a database the test made.
func newEnvOn(t *testing.T, db *database.DB, withSMTP bool) *env {
	t.Helper()
	mail, err := lists.NewMail()
	if err != nil {
		t.Fatal(err)
	}
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	outbox := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{
		From: "Plenary <noreply@training.example>", Renderer: messaging.Renderers{ByKind: map[string]messaging.Renderer{"list_confirm": mail, "list_news": mail}},
	})
	places := &fakePlaces{counts: map[int64]lists.PlaceCount{}}
	e := &env{db: db, outbox: outbox, clock: c, places: places, svc: lists.NewService(lists.Options{
		DB: db, Outbox: outbox, BaseURL: "https://training.example/", Secret: []byte("a test secret of enough length!!"),
		UnsubscribeMailbox: "courses@training.example", Now: c.Now,
		Catalog: catalog.NewStore(db, catalog.Hooks{}), Places: places, Grace: 15 * time.Minute,
	})}
	if withSMTP {
		e.smtp = mailtest.Start(t)
		mailer, err := messaging.NewSMTPMailer(e.smtp.URL(), "Plenary <noreply@training.example>", "",
			messaging.WithTLSConfig(e.smtp.TLSConfig()))
		if err != nil {
			t.Fatal(err)
		}
		workers := river.NewWorkers()
		messaging.AddWorkers(workers, outbox, mailer)
		runner, err := messaging.NewJobs(db, workers, nil, messaging.JobsOptions{Run: true, PollInterval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if err := runner.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			runner.Stop(ctx)
		})
	}
	return e
}

func request(email string) lists.Request {
	return lists.Request{Email: email, Name: "Ada Lovelace", Scope: lists.ScopeTopic, Topic: "Psychotherapy",
		Source: lists.FromCoursePage, Wording: lists.CourseWording.Version}
}

var confirmLink = regexp.MustCompile(`https://training\.example/lists/confirm/([A-Za-z0-9_-]{43})`)

// confirmations returns the confirmation links queued for email, oldest
// first, read from the rendered messages.
func (e *env) confirmations(t *testing.T, email string) []string {
	t.Helper()
	msgs, err := e.outbox.List(context.Background(), messaging.ListFilter{Kind: "list_confirm", Recipient: email})
	if err != nil {
		t.Fatal(err)
	}
	var tokens []string
	for i := len(msgs) - 1; i >= 0; i-- {
		m, err := e.outbox.Message(context.Background(), msgs[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		if m.Marketing || m.ListUnsubscribe != "" {
			t.Errorf("the confirmation e-mail is list mail: %+v", m)
		}
		match := confirmLink.FindStringSubmatch(m.Text)
		if match == nil {
			t.Fatalf("no confirmation link in:\n%s", m.Text)
		}
		tokens = append(tokens, match[1])
	}
	return tokens
}

func (e *env) only(t *testing.T, email string) lists.Subscription {
	t.Helper()
	subs, err := e.svc.Subscriptions(context.Background(), email)
	if err != nil || len(subs) != 1 {
		t.Fatalf("subscriptions of %s: %+v (%v)", email, subs, err)
	}
	return subs[0]
}

// TestDoubleOptInOverSMTP subscribes from the course page, reads the
// confirmation e-mail as it arrived over SMTP, shows the page (which
// confirms nothing), confirms by POST once, and finds the link dead after.
func TestDoubleOptInOverSMTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	ctx := context.Background()
	course := catalogtest.Course(t, e.db, func(c *catalog.Course) {})
	r := request("Ada@Example.org")
	r.Scope, r.CourseID, r.CourseTitle = lists.ScopeCourse, course.ID, course.Title
	if err := e.svc.Subscribe(ctx, r); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.smtp.Len() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	got := e.smtp.Messages()
	if len(got) != 1 || got[0].To[0] != "Ada@Example.org" {
		t.Fatalf("SMTP server got %d messages", len(got))
	}
	msg, err := mailtest.Parse(got[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg.Get("Subject"), "Please confirm: new dates of "+course.Title) {
		t.Errorf("Subject: %q", msg.Get("Subject"))
	}
	if msg.Header.Get("List-Unsubscribe") != "" {
		t.Error("the confirmation e-mail carries List-Unsubscribe")
	}
	m := confirmLink.FindStringSubmatch(msg.Text)
	if m == nil || !strings.Contains(msg.HTML, m[0]) {
		t.Fatalf("no confirmation link:\n%s\n%s", msg.Text, msg.HTML)
	}
	token := m[1]

	// The GET a link scanner makes reads; it does not confirm.
	p, err := e.svc.CheckConfirmation(ctx, token)
	if err != nil || p.Email != "Ada@Example.org" || !strings.Contains(p.What, course.Title) {
		t.Fatalf("check: %+v (%v)", p, err)
	}
	if s := e.only(t, "ada@example.org"); s.Status != lists.Requested {
		t.Fatalf("after the check: %s", s.Status)
	}
	e.clock.Add(time.Hour)
	if _, err := e.svc.Confirm(ctx, token); err != nil {
		t.Fatal(err)
	}
	s := e.only(t, "ada@example.org")
	if s.Status != lists.Confirmed || !s.ConfirmedAt.Equal(e.clock.Now()) || s.CourseID != course.ID {
		t.Fatalf("after confirming: %+v", s)
	}
	// Reused: a plain "not valid", on the page and on a second POST.
	if _, err := e.svc.CheckConfirmation(ctx, token); !errors.Is(err, lists.ErrLinkInvalid) {
		t.Errorf("reused link checked: %v", err)
	}
	if _, err := e.svc.Confirm(ctx, token); !errors.Is(err, lists.ErrLinkInvalid) {
		t.Errorf("reused link confirmed: %v", err)
	}
	ev, err := e.svc.Evidence(ctx, s.ID)
	if err != nil || len(ev) != 2 {
		t.Fatalf("evidence: %+v (%v)", ev, err)
	}
	for i, step := range []string{"requested", "confirmed"} {
		got := ev[i]
		if got.Step != step || got.WordingVersion != lists.CourseWording.Version || got.WordingSHA256 != lists.CourseWording.SHA256() ||
			got.Source != lists.FromCoursePage || got.Email != "Ada@Example.org" || !strings.Contains(got.What, course.Title) {
			t.Errorf("evidence %d: %+v", i, got)
		}
	}
	if !ev[1].At.Equal(e.clock.Now()) || !ev[0].At.Equal(e.clock.Now().Add(-time.Hour)) {
		t.Errorf("evidence times: %v, %v", ev[0].At, ev[1].At)
	}
}

// TestExpiredLink: a link 7 days old no longer confirms, and asking again
// sends a new one that does.
func TestExpiredLink(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	ctx := context.Background()
	if err := e.svc.Subscribe(ctx, request("grace@example.org")); err != nil {
		t.Fatal(err)
	}
	old := e.confirmations(t, "grace@example.org")[0]
	e.clock.Add(lists.TokenLifetime)
	if _, err := e.svc.CheckConfirmation(ctx, old); !errors.Is(err, lists.ErrLinkExpired) {
		t.Errorf("check an expired link: %v", err)
	}
	if _, err := e.svc.Confirm(ctx, old); !errors.Is(err, lists.ErrLinkExpired) {
		t.Errorf("confirm with an expired link: %v", err)
	}
	if s := e.only(t, "grace@example.org"); s.Status != lists.Requested {
		t.Fatalf("status %s", s.Status)
	}
	if err := e.svc.Subscribe(ctx, request("grace@example.org")); err != nil {
		t.Fatal(err)
	}
	tokens := e.confirmations(t, "grace@example.org")
	if len(tokens) != 2 || tokens[1] == old {
		t.Fatalf("tokens: %v", tokens)
	}
	if _, err := e.svc.Confirm(ctx, old); !errors.Is(err, lists.ErrLinkInvalid) {
		t.Errorf("the replaced link: %v", err)
	}
	if _, err := e.svc.Confirm(ctx, tokens[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Confirm(ctx, "not-a-token"); !errors.Is(err, lists.ErrLinkInvalid) {
		t.Errorf("garbage: %v", err)
	}
}

// TestRepeatIsHarmless: asking again answers the same in every state and
// never revealing the state; a confirmed subscription stays as it is and
// gets no e-mail; the per-address cap stops a flood silently.
func TestRepeatIsHarmless(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	ctx := context.Background()
	for range 2 {
		if err := e.svc.Subscribe(ctx, request("mary@example.org")); err != nil {
			t.Fatal(err)
		}
	}
	tokens := e.confirmations(t, "mary@example.org")
	if len(tokens) != 2 {
		t.Fatalf("%d confirmation e-mails, want 2", len(tokens))
	}
	if _, err := e.svc.Confirm(ctx, tokens[1]); err != nil {
		t.Fatal(err)
	}
	// Confirmed: the same answer, no e-mail, nothing changed.
	if err := e.svc.Subscribe(ctx, request("MARY@example.org")); err != nil {
		t.Fatal(err)
	}
	if n := len(e.confirmations(t, "mary@example.org")); n != 2 {
		t.Errorf("a confirmed address got another e-mail (%d)", n)
	}
	if s := e.only(t, "mary@example.org"); s.Status != lists.Confirmed {
		t.Errorf("status %s", s.Status)
	}
	// The cap: three a day per address, the rest answered the same.
	for range 5 {
		if err := e.svc.Subscribe(ctx, lists.Request{Email: "flood@example.org", Scope: lists.ScopeAll,
			Source: lists.FromCoursePage, Wording: lists.CourseWording.Version}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(e.confirmations(t, "flood@example.org")); n != 3 {
		t.Errorf("%d e-mails to one address in a day, want 3", n)
	}
	e.clock.Add(25 * time.Hour)
	if err := e.svc.Subscribe(ctx, lists.Request{Email: "flood@example.org", Scope: lists.ScopeAll,
		Source: lists.FromCoursePage, Wording: lists.CourseWording.Version}); err != nil {
		t.Fatal(err)
	}
	if n := len(e.confirmations(t, "flood@example.org")); n != 4 {
		t.Errorf("the next day: %d e-mails, want 4", n)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	for _, tc := range []struct {
		name  string
		edit  func(*lists.Request)
		field string
	}{
		{"no address", func(r *lists.Request) { r.Email = " " }, "email"},
		{"not an address", func(r *lists.Request) { r.Email = "Ada <ada@example.org>" }, "email"},
		{"long name", func(r *lists.Request) { r.Name = strings.Repeat("a", 121) }, "name"},
		{"no scope", func(r *lists.Request) { r.Scope = "" }, "scope"},
		{"course without id", func(r *lists.Request) { r.Scope = lists.ScopeCourse }, "scope"},
		{"unknown wording", func(r *lists.Request) { r.Wording = "course-0" }, "wording"},
		// Not UTF-8: refused here, never a PostgreSQL error.
		{"topic not UTF-8", func(r *lists.Request) { r.Topic = "Psycho\xfftherapy" }, "scope"},
		{"address not UTF-8", func(r *lists.Request) { r.Email = "x\xff@example.org" }, "email"},
		{"name not UTF-8", func(r *lists.Request) { r.Name = "Ada \xc3" }, "name"},
		{"course title not UTF-8", func(r *lists.Request) {
			r.Scope, r.CourseID, r.CourseTitle = lists.ScopeCourse, 1, "Intro\xff"
		}, "scope"},
	} {
		r := request("x@example.org")
		tc.edit(&r)
		var ferr lists.FormError
		if err := e.svc.Subscribe(context.Background(), r); !errors.As(err, &ferr) || ferr[tc.field] == "" {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	subs, _ := e.svc.Subscriptions(context.Background(), "x@example.org")
	if len(subs) != 0 {
		t.Errorf("refused requests stored: %+v", subs)
	}
}

// TestForgetUnconfirmed: a request never confirmed goes after 30 days
// with its evidence; a confirmed one stays; a re-request of a withdrawn
// subscription goes back to withdrawn with its old evidence.
func TestForgetUnconfirmed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	ctx := context.Background()
	for _, a := range []string{"keep@example.org", "forget@example.org", "back@example.org"} {
		if err := e.svc.Subscribe(ctx, request(a)); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []string{"keep@example.org", "back@example.org"} {
		if _, err := e.svc.Confirm(ctx, e.confirmations(t, a)[0]); err != nil {
			t.Fatal(err)
		}
	}
	back := e.only(t, "back@example.org")
	token, _ := e.svc.UnsubscribeToken(ctx, back.ID)
	if err := e.svc.Unsubscribe(ctx, token, lists.HowLink); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Subscribe(ctx, request("back@example.org")); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(lists.ForgetAfter - time.Minute)
	if n, err := e.svc.ForgetUnconfirmed(ctx); err != nil || n != 0 {
		t.Fatalf("before 30 days: %d (%v)", n, err)
	}
	e.clock.Add(2 * time.Minute)
	if n, err := e.svc.ForgetUnconfirmed(ctx); err != nil || n != 1 {
		t.Fatalf("after 30 days: %d (%v)", n, err)
	}
	if subs, _ := e.svc.Subscriptions(ctx, "forget@example.org"); len(subs) != 0 {
		t.Errorf("not forgotten: %+v", subs)
	}
	var left int
	e.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM list_consent_evidence WHERE email = 'forget@example.org'`).Scan(&left)
	if left != 0 {
		t.Errorf("%d evidence rows of a forgotten request", left)
	}
	if s := e.only(t, "keep@example.org"); s.Status != lists.Confirmed {
		t.Errorf("keep: %s", s.Status)
	}
	b := e.only(t, "back@example.org")
	ev, _ := e.svc.Evidence(ctx, b.ID)
	if b.Status != lists.Withdrawn || len(ev) != 4 {
		t.Errorf("back: %s with %d evidence rows", b.Status, len(ev))
	}
}

// TestUnsubscribe: the signed token withdraws at once, records how, is
// idempotent, and a forged or altered token is refused; ListMessage puts
// the https and mailto addresses on a list e-mail.
func TestUnsubscribe(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	ctx := context.Background()
	if err := e.svc.Subscribe(ctx, request("ada@example.org")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Confirm(ctx, e.confirmations(t, "ada@example.org")[0]); err != nil {
		t.Fatal(err)
	}
	s := e.only(t, "ada@example.org")
	m, err := e.svc.ListMessage(ctx, s.ID, messaging.Message{Kind: "list_news"})
	if err != nil {
		t.Fatal(err)
	}
	token, _ := e.svc.UnsubscribeToken(ctx, s.ID)
	if !m.Marketing || m.ListUnsubscribe != "https://training.example/lists/unsubscribe/"+token ||
		m.ListUnsubscribeMailto != "mailto:courses@training.example?subject=unsubscribe%20"+token {
		t.Errorf("list message: %+v", m)
	}
	for _, bad := range []string{"", "1", token + "x", "2" + token[1:], strings.Replace(token, token[len(token)-2:], "AA", 1)} {
		if bad == token {
			continue
		}
		if err := e.svc.Unsubscribe(ctx, bad, lists.HowOneClick); !errors.Is(err, lists.ErrLinkInvalid) {
			t.Errorf("forged %q: %v", bad, err)
		}
	}
	// A token signed under another secret does not hold.
	other := lists.NewService(lists.Options{DB: e.db, Secret: []byte("another secret, also long enough")})
	forged, _ := other.UnsubscribeToken(ctx, s.ID)
	if err := e.svc.Unsubscribe(ctx, forged, lists.HowOneClick); !errors.Is(err, lists.ErrLinkInvalid) {
		t.Errorf("other secret: %v", err)
	}
	if s := e.only(t, "ada@example.org"); s.Status != lists.Confirmed {
		t.Fatalf("a refused token changed the status: %s", s.Status)
	}
	e.clock.Add(400 * 24 * time.Hour) // never expires
	for range 2 {
		if err := e.svc.Unsubscribe(ctx, token, lists.HowOneClick); err != nil {
			t.Fatal(err)
		}
	}
	s = e.only(t, "ada@example.org")
	ev, _ := e.svc.Evidence(ctx, s.ID)
	if s.Status != lists.Withdrawn || !s.WithdrawnAt.Equal(e.clock.Now()) || len(ev) != 3 ||
		ev[2].Step != "withdrawn" || ev[2].How != lists.HowOneClick || ev[2].WordingSHA256 != lists.CourseWording.SHA256() {
		t.Errorf("after unsubscribing twice: %+v, evidence %+v", s, ev)
	}
}

// TestDemoKey: without a secret, the demo keeps one key in the database,
// the same for every process that shares it; with neither, lists are off.
func TestDemoKey(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	a := lists.NewService(lists.Options{DB: db, GenerateSecret: true})
	b := lists.NewService(lists.Options{DB: db, GenerateSecret: true})
	ta, err := a.UnsubscribeToken(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if tb, _ := b.UnsubscribeToken(ctx, 7); tb != ta {
		t.Errorf("two processes sign differently: %s, %s", ta, tb)
	}
	off := lists.NewService(lists.Options{DB: db})
	if off.Enabled() {
		t.Error("enabled without a secret")
	}
	if err := off.Subscribe(ctx, request("a@example.org")); !errors.Is(err, lists.ErrNotConfigured) {
		t.Errorf("subscribe without a secret: %v", err)
	}
}
