package lists_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database"
	"plenary/internal/database/dbtest"
	"plenary/internal/lists"
	"plenary/internal/messaging"
	"plenary/internal/messaging/mailtest"
)

// fakePlaces stands in for booking's counts, set by the test per date.
type fakePlaces struct {
	mu     sync.Mutex
	counts map[int64]lists.PlaceCount
}

func (f *fakePlaces) PlaceCounts(_ context.Context, events []catalog.Event) (map[int64]lists.PlaceCount, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[int64]lists.PlaceCount{}
	for _, e := range events {
		p, ok := f.counts[e.ID]
		if !ok {
			p = lists.PlaceCount{Left: e.Capacity}
		}
		out[e.ID] = p
	}
	return out, nil
}

func (f *fakePlaces) set(id int64, p lists.PlaceCount) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.counts[id] = p
}

// course builds a course with two dates, 28 and 35 days after the test
// clock, as a course file would hold it; status as given.
func (e *env) course(slug string, status catalog.Status) catalog.Course {
	c := catalogtest.NewCourse(e.clock.Now())
	c.Slug, c.Title, c.Status = slug, "Course "+slug, status
	second := c.Events[0]
	second.Ref = "second"
	second.Days = []catalog.Day{c.Events[0].Days[0]}
	second.Days[0].Date = second.Days[0].Date.AddDays(7)
	second.Days[0].Agenda = nil
	c.Events = append(c.Events, second)
	return c
}

// save saves c as plenary import (and the editor) do, at the test clock.
func (e *env) save(t *testing.T, c catalog.Course) catalog.Course {
	t.Helper()
	if _, err := catalog.NewStore(e.db, catalog.Hooks{}).Save(context.Background(), []*catalog.Course{&c},
		catalogtest.Options(e.clock.Now())); err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) subscribed(t *testing.T, r lists.Request) {
	t.Helper()
	if err := e.svc.Subscribe(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	tokens := e.confirmations(t, r.Email)
	if _, err := e.svc.Confirm(context.Background(), tokens[len(tokens)-1]); err != nil {
		t.Fatal(err)
	}
}

func courseRequest(email string, c catalog.Course, scope lists.Scope) lists.Request {
	return lists.Request{Email: email, Scope: scope, CourseID: c.ID, CourseTitle: c.Title,
		Source: lists.FromCoursePage, Wording: lists.CourseWording.Version}
}

func (e *env) announce(t *testing.T) lists.AnnounceReport {
	t.Helper()
	rep, err := e.svc.Announce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// news returns the list e-mails queued to email, oldest first, rendered.
func (e *env) news(t *testing.T, email string) []messaging.Message {
	t.Helper()
	msgs, err := e.outbox.List(context.Background(), messaging.ListFilter{Kind: "list_news", Recipient: email})
	if err != nil {
		t.Fatal(err)
	}
	var out []messaging.Message
	for i := len(msgs) - 1; i >= 0; i-- {
		m, err := e.outbox.Message(context.Background(), msgs[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// TestAnnounceOverSMTP: a course is published with two dates; after the
// grace period an address subscribed to the course and to its topic gets
// ONE e-mail over SMTP listing both, in the dates' zone, with fee, places,
// booking links, List-Unsubscribe (https and mailto), the RFC 8058 header
// and a visible link per subscription. Re-importing the course file the
// next day sends nothing more.
func TestAnnounceOverSMTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	draft := e.save(t, e.course("lisbon", catalog.Draft))
	e.subscribed(t, courseRequest("Ada@Example.org", draft, lists.ScopeCourse))
	topic := request("ada@example.org")
	topic.Topic = "testing"
	e.subscribed(t, topic)
	e.clock.Add(time.Hour)

	c := e.save(t, e.course("lisbon", catalog.Published)) // publishing: the dates appear
	e.places.set(c.Events[1].ID, lists.PlaceCount{Left: 3})
	if rep := e.announce(t); rep.Seen != 2 || rep.Emails != 0 {
		t.Fatalf("at once: %+v", rep)
	}
	e.clock.Add(14 * time.Minute)
	if rep := e.announce(t); rep.Emails != 0 {
		t.Fatalf("within grace: %+v", rep)
	}
	e.clock.Add(time.Minute)
	if rep := e.announce(t); rep.Emails != 1 {
		t.Fatalf("after grace: %+v", rep)
	}

	deadline := time.Now().Add(10 * time.Second)
	var got []mailtest.Received
	for time.Now().Before(deadline) {
		got = nil
		for _, m := range e.smtp.Messages() {
			if strings.Contains(string(m.Data), "New dates: Course lisbon") {
				got = append(got, m)
			}
		}
		if len(got) > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(got) != 1 {
		t.Fatalf("%d announcements over SMTP, want 1", len(got))
	}
	msg, err := mailtest.Parse(got[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	subs, _ := e.svc.Subscriptions(context.Background(), "ada@example.org")
	token, _ := e.svc.UnsubscribeToken(context.Background(), subs[0].ID)
	page := "https://training.example/lists/unsubscribe/" + token
	// The header's one click names both subscriptions that brought it.
	both, _ := e.svc.UnsubscribeToken(context.Background(), subs[0].ID, subs[1].ID)
	if h := msg.Header.Get("List-Unsubscribe"); !strings.Contains(h, "<https://training.example/lists/unsubscribe/"+both+">") ||
		!strings.Contains(h, "<mailto:courses@training.example") {
		t.Errorf("List-Unsubscribe: %q", h)
	}
	if h := msg.Header.Get("List-Unsubscribe-Post"); h != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post: %q", h)
	}
	token2, _ := e.svc.UnsubscribeToken(context.Background(), subs[1].ID)
	for _, want := range []string{
		page, "https://training.example/lists/unsubscribe/" + token2, // a visible link per subscription
		fmt.Sprintf("https://training.example/events/%d/book", c.Events[0].ID),
		fmt.Sprintf("https://training.example/events/%d/book", c.Events[1].ID),
		c.Events[0].DateLabel(), c.Events[1].DateLabel(),
		"10:00–17:00 UK time", "Europe/London", "Online", "Standard £120.00", "20 places left", "3 places left",
	} {
		if !strings.Contains(msg.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, msg.Text)
		}
		if !strings.Contains(msg.HTML, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}

	// Re-import of the same course file, a day later: same refs, same
	// dates, nothing new to tell.
	e.clock.Add(25 * time.Hour)
	e.save(t, e.course("lisbon", catalog.Published))
	e.clock.Add(time.Hour)
	if rep := e.announce(t); rep.Emails != 0 || rep.Seen != 0 {
		t.Fatalf("after re-import: %+v", rep)
	}
	if n := len(e.news(t, "ada@example.org")); n != 1 {
		t.Fatalf("%d list e-mails, want 1", n)
	}
}

// TestAnnounceGrace: a date unpublished or cancelled within the grace
// period sends nothing; one that comes back starts its grace again; a
// person who subscribed while the date was on the page is not told it is
// new.
func TestAnnounceGrace(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	draft := e.save(t, e.course("porto", catalog.Draft))
	e.subscribed(t, courseRequest("early@example.org", draft, lists.ScopeCourse))

	e.save(t, e.course("porto", catalog.Published))
	e.announce(t)
	e.clock.Add(5 * time.Minute)
	e.save(t, e.course("porto", catalog.Draft)) // a quick correction
	if rep := e.announce(t); rep.Gone != 2 {
		t.Fatalf("unpublished: %+v", rep)
	}
	e.clock.Add(time.Hour)
	if rep := e.announce(t); rep.Emails != 0 {
		t.Fatalf("unpublished within grace sent: %+v", rep)
	}

	// One date cancelled within the grace period, the other kept.
	c := e.course("porto", catalog.Published)
	e.save(t, c)
	e.announce(t)
	e.clock.Add(time.Minute)
	e.subscribed(t, courseRequest("late@example.org", draft, lists.ScopeCourse)) // the dates are on the page already
	e.clock.Add(9 * time.Minute)
	c.Events[0].Status = catalog.Cancelled
	e.save(t, c)
	e.clock.Add(5 * time.Minute)
	if rep := e.announce(t); rep.Emails != 1 {
		t.Fatalf("after grace: %+v", rep)
	}
	msgs := e.news(t, "early@example.org")
	if len(msgs) != 1 || strings.Contains(msgs[0].Text, c.Events[0].DateLabel()) || !strings.Contains(msgs[0].Text, c.Events[1].DateLabel()) {
		t.Fatalf("want one e-mail with the kept date only: %+v", msgs)
	}
	if n := len(e.news(t, "late@example.org")); n != 0 {
		t.Errorf("a subscriber who saw the dates on the page was told they are new (%d)", n)
	}
}

// TestAnnouncePast: a date already begun is never announced.
func TestAnnouncePast(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.subscribed(t, lists.Request{Email: "all@example.org", Scope: lists.ScopeAll, Source: lists.FromCoursePage,
		Wording: lists.CourseWording.Version})
	c := e.course("past", catalog.Published)
	for i := range c.Events {
		c.Events[i].Days[0].Date = catalog.DateOf(e.clock.Now().AddDate(0, 0, -3-i))
	}
	e.save(t, c)
	e.clock.Add(time.Hour)
	if rep := e.announce(t); rep.Seen != 0 || rep.Emails != 0 {
		t.Fatalf("past dates: %+v", rep)
	}
}

// TestAnnounceDailyCap: a second batch of dates due within a day of the
// first e-mail waits, and goes, alone, a day after it.
func TestAnnounceDailyCap(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.subscribed(t, lists.Request{Email: "all@example.org", Scope: lists.ScopeAll, Source: lists.FromCoursePage,
		Wording: lists.CourseWording.Version})
	first := e.clock.Now()
	a := e.save(t, e.course("first", catalog.Published))
	e.announce(t)
	e.clock.Add(20 * time.Minute)
	if rep := e.announce(t); rep.Emails != 1 {
		t.Fatalf("first batch: %+v", rep)
	}
	sentAt := e.clock.Now()
	e.clock.Add(time.Hour)
	b := e.save(t, e.course("second", catalog.Published))
	e.announce(t)
	e.clock.Add(time.Hour)
	if rep := e.announce(t); rep.Emails != 0 || rep.Waiting != 1 {
		t.Fatalf("second batch the same day: %+v", rep)
	}
	if n := e.settled(t); n != 2 {
		t.Errorf("%d dates settled, want the first course's 2 (the second's wait)", n)
	}
	e.clock.Add(sentAt.Add(lists.MailGap).Sub(e.clock.Now()) - time.Minute)
	if rep := e.announce(t); rep.Emails != 0 {
		t.Fatalf("a minute early: %+v", rep)
	}
	e.clock.Add(time.Minute)
	if rep := e.announce(t); rep.Emails != 1 {
		t.Fatalf("next day: %+v", rep)
	}
	if n := e.settled(t); n != 4 {
		t.Errorf("%d dates settled, want 4", n)
	}
	msgs := e.news(t, "all@example.org")
	if len(msgs) != 2 {
		t.Fatalf("%d e-mails", len(msgs))
	}
	if !strings.Contains(msgs[0].Text, a.Title) || strings.Contains(msgs[1].Text, a.Title) || !strings.Contains(msgs[1].Text, b.Title) {
		t.Errorf("batches:\n%s\n---\n%s", msgs[0].Text, msgs[1].Text)
	}
	_ = first
}

// settled counts the dates the scan no longer needs to look at.
func (e *env) settled(t *testing.T) int {
	t.Helper()
	var n int
	if err := e.db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM list_date_sightings WHERE settled = $1`, true).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAnnounceConcurrent: two runs at once, as two instances with their
// own connection pools, send each subscriber one e-mail.
func TestAnnounceConcurrent(t *testing.T) {
	t.Parallel()
	url := dbtest.URL(t)
	db := dbtest.OpenURL(t, url)
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, db, false)
	draft := e.save(t, e.course("busy", catalog.Draft))
	const n = 12
	for i := range n {
		e.subscribed(t, courseRequest(fmt.Sprintf("p%02d@example.org", i), draft, lists.ScopeCourse))
	}
	e.save(t, e.course("busy", catalog.Published))
	e.announce(t)
	e.clock.Add(20 * time.Minute)
	db2 := dbtest.OpenURL(t, url)
	inserter, err := messaging.NewJobs(db2, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mail, _ := lists.NewMail()
	outbox2 := messaging.NewOutbox(db2, inserter, messaging.OutboxOptions{From: "Plenary <noreply@training.example>",
		Renderer: messaging.Renderers{ByKind: map[string]messaging.Renderer{"list_news": mail}}})
	other := lists.NewService(lists.Options{DB: db2, Outbox: outbox2, BaseURL: "https://training.example/",
		Secret: []byte("a test secret of enough length!!"), Now: e.clock.Now,
		Catalog: catalog.NewStore(db2, catalog.Hooks{}), Places: e.places})
	var wg sync.WaitGroup
	reps := make([]lists.AnnounceReport, 2)
	errs := make([]error, 2)
	for i, svc := range []*lists.Service{e.svc, other} {
		wg.Go(func() { reps[i], errs[i] = svc.Announce(context.Background()) })
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	if reps[0].Emails+reps[1].Emails != n {
		t.Errorf("runs queued %d + %d e-mails, want %d", reps[0].Emails, reps[1].Emails, n)
	}
	msgs, _ := e.outbox.List(context.Background(), messaging.ListFilter{Kind: "list_news"})
	if len(msgs) != n {
		t.Errorf("%d e-mails for %d subscribers", len(msgs), n)
	}
}

// TestPlaceFrees: a "places" subscriber is told once when a full date has
// places again — not while its waiting list holds people, not again for
// a second cancellation the same day, and again after a later freeing.
func TestPlaceFrees(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	c := e.save(t, e.course("full", catalog.Published))
	e.announce(t)
	e.subscribed(t, courseRequest("wait@example.org", c, lists.ScopePlaces))
	ev := c.Events[0].ID
	e.places.set(ev, lists.PlaceCount{Left: 0, Waiting: 2})
	e.places.set(c.Events[1].ID, lists.PlaceCount{Left: 5})
	e.clock.Add(time.Hour)
	if rep := e.announce(t); rep.Emails != 0 || rep.Freed != 0 {
		t.Fatalf("full: %+v", rep)
	}
	e.clock.Add(time.Hour)
	e.places.set(ev, lists.PlaceCount{Left: 1, Waiting: 1}) // offered to the waiting list first
	if rep := e.announce(t); rep.Emails != 0 || rep.Freed != 0 {
		t.Fatalf("while the waiting list is served: %+v", rep)
	}
	e.clock.Add(time.Hour)
	e.places.set(ev, lists.PlaceCount{Left: 1})
	if rep := e.announce(t); rep.Emails != 1 || rep.Freed != 1 {
		t.Fatalf("freed: %+v", rep)
	}
	msgs := e.news(t, "wait@example.org")
	if len(msgs) != 1 || !strings.Contains(msgs[0].Subject, "A place is free again") || !strings.Contains(msgs[0].Text, "1 place left") ||
		!strings.Contains(msgs[0].Text, "not a waiting list") || strings.Contains(msgs[0].Text, c.Events[1].DateLabel()) || !msgs[0].Marketing {
		t.Fatalf("notice: %+v", msgs)
	}
	var settled int
	if err := e.db.QueryRowContext(context.Background(), `SELECT settled_round FROM list_place_watch WHERE event_id = $1`, ev).Scan(&settled); err != nil || settled != 1 {
		t.Errorf("the freeing told to all is not settled: %d (%v)", settled, err)
	}
	// Full again and freed again within the day: no second notice.
	e.clock.Add(time.Hour)
	e.places.set(ev, lists.PlaceCount{Left: 0})
	e.announce(t)
	e.clock.Add(time.Hour)
	e.places.set(ev, lists.PlaceCount{Left: 2})
	if rep := e.announce(t); rep.Emails != 0 || rep.Freed != 0 {
		t.Fatalf("second freeing the same day: %+v", rep)
	}
	// A day after the first freeing, still open: that is a new freeing.
	e.clock.Add(lists.FreeingGap)
	if rep := e.announce(t); rep.Emails != 1 || rep.Freed != 1 {
		t.Fatalf("a day later: %+v", rep)
	}
	if rep := e.announce(t); rep.Emails != 0 {
		t.Fatalf("again: %+v", rep)
	}
}

// TestPlaceFreesWaitsForTheDailyCap: a freeing due within a day of the
// address's last list e-mail waits, and goes the next day only if the
// date is still open.
func TestPlaceFreesWaitsForTheDailyCap(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	draft := e.save(t, e.course("capped", catalog.Draft))
	e.subscribed(t, courseRequest("both@example.org", draft, lists.ScopeCourse))
	e.subscribed(t, courseRequest("both@example.org", draft, lists.ScopePlaces))
	e.clock.Add(time.Minute)
	c := e.save(t, e.course("capped", catalog.Published))
	first, second := c.Events[0].ID, c.Events[1].ID
	e.places.set(first, lists.PlaceCount{Left: 0})
	e.places.set(second, lists.PlaceCount{Left: 0})
	e.announce(t)
	e.clock.Add(20 * time.Minute)
	if rep := e.announce(t); rep.Emails != 1 {
		t.Fatalf("new dates: %+v", rep)
	}
	sentAt := e.clock.Now()
	e.clock.Add(time.Hour)
	e.places.set(first, lists.PlaceCount{Left: 1})
	e.places.set(second, lists.PlaceCount{Left: 1})
	if rep := e.announce(t); rep.Emails != 0 || rep.Freed != 2 || rep.Waiting != 1 {
		t.Fatalf("freed the same day: %+v", rep)
	}
	e.clock.Add(time.Hour)
	e.places.set(second, lists.PlaceCount{Left: 0}) // taken again before the next e-mail
	e.announce(t)
	e.clock.Add(sentAt.Add(lists.MailGap).Sub(e.clock.Now()))
	if rep := e.announce(t); rep.Emails != 1 {
		t.Fatalf("next day: %+v", rep)
	}
	msgs := e.news(t, "both@example.org")
	if len(msgs) != 2 || !strings.Contains(msgs[1].Subject, "A place is free again") ||
		!strings.Contains(msgs[1].Text, c.Events[0].DateLabel()) || strings.Contains(msgs[1].Text, c.Events[1].DateLabel()) {
		t.Fatalf("the freed e-mail: %+v", msgs)
	}
	if !strings.Contains(msgs[0].Text, "new dates of this course") || !strings.Contains(msgs[1].Text, "places freeing up on this course") {
		t.Errorf("unsubscribe links name the wrong subscriptions:\n%s\n---\n%s", msgs[0].Text, msgs[1].Text)
	}
}

// TestOneClickStopsTheWholeEmail: an e-mail made from two subscriptions
// of one address carries one List-Unsubscribe naming both; its one click
// withdraws both, each with its evidence (how: one_click), while each
// visible link in the e-mail names one subscription only. A token naming
// a set cannot be stretched to another subscription.
func TestOneClickStopsTheWholeEmail(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	ctx := context.Background()
	draft := e.save(t, e.course("porto", catalog.Draft))
	e.subscribed(t, courseRequest("ada@example.org", draft, lists.ScopeCourse))
	topic := request("ada@example.org")
	topic.Topic = "testing"
	e.subscribed(t, topic)
	other := request("ada@example.org")
	other.Topic = "something else" // not brought by this e-mail
	e.subscribed(t, other)
	e.clock.Add(time.Hour)
	e.save(t, e.course("porto", catalog.Published))
	e.announce(t)
	e.clock.Add(16 * time.Minute)
	if rep := e.announce(t); rep.Emails != 1 {
		t.Fatalf("announce: %+v", rep)
	}
	news := e.news(t, "ada@example.org")
	if len(news) != 1 {
		t.Fatalf("%d list e-mails", len(news))
	}
	header := strings.TrimPrefix(news[0].ListUnsubscribe, "https://training.example/lists/unsubscribe/")
	subs, _ := e.svc.Subscriptions(ctx, "ada@example.org")
	for _, sub := range subs[:2] {
		one, _ := e.svc.UnsubscribeToken(ctx, sub.ID)
		if !strings.Contains(news[0].Text, "https://training.example/lists/unsubscribe/"+one) {
			t.Errorf("no visible link for subscription %d alone", sub.ID)
		}
	}
	// Stretching the set to the third subscription breaks the signature.
	list, mac, _ := strings.Cut(header, ".")
	if err := e.svc.Unsubscribe(ctx, fmt.Sprintf("%s-%d.%s", list, subs[2].ID, mac), lists.HowOneClick); !errors.Is(err, lists.ErrLinkInvalid) {
		t.Errorf("a stretched token: %v", err)
	}
	if err := e.svc.Unsubscribe(ctx, header, lists.HowOneClick); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Unsubscribe(ctx, header, lists.HowOneClick); err != nil { // idempotent
		t.Fatal(err)
	}
	subs, _ = e.svc.Subscriptions(ctx, "ada@example.org")
	for i, sub := range subs {
		ev, _ := e.svc.Evidence(ctx, sub.ID)
		last := ev[len(ev)-1]
		if i < 2 && (sub.Status != lists.Withdrawn || len(ev) != 3 || last.Step != "withdrawn" || last.How != lists.HowOneClick) {
			t.Errorf("subscription %d after one click: %s, %+v", sub.ID, sub.Status, ev)
		}
		if i == 2 && sub.Status != lists.Confirmed {
			t.Errorf("a subscription the e-mail did not come from was withdrawn: %+v", sub)
		}
	}
}

// TestPeopleExportListMail: a person's data from the lists holds, beside
// the subscriptions and evidence, which dates were announced to the
// address and when, and its last list e-mail; erasing removes them.
func TestPeopleExportListMail(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	ctx := context.Background()
	draft := e.save(t, e.course("faro", catalog.Draft))
	e.subscribed(t, courseRequest("ada@example.org", draft, lists.ScopeCourse))
	e.clock.Add(time.Hour)
	c := e.save(t, e.course("faro", catalog.Published))
	e.announce(t)
	e.clock.Add(16 * time.Minute)
	if rep := e.announce(t); rep.Emails != 1 {
		t.Fatalf("announce: %+v", rep)
	}
	sentAt := e.clock.Now().UTC().Truncate(time.Microsecond)
	news := e.news(t, "ada@example.org")
	raw, err := lists.People{}.Export(ctx, e.db, " ADA@example.org ")
	if err != nil {
		t.Fatal(err)
	}
	got := raw.(lists.PersonLists)
	want := []lists.PersonAnnounced{{Kind: "date", EventID: c.Events[0].ID, SentAt: sentAt}, {Kind: "date", EventID: c.Events[1].ID, SentAt: sentAt}}
	if c.Events[1].ID < c.Events[0].ID {
		want[0], want[1] = want[1], want[0]
	}
	if !reflect.DeepEqual(got.Announced, want) {
		t.Errorf("announced:\n got %+v\nwant %+v", got.Announced, want)
	}
	if got.LastListEmail == nil || !got.LastListEmail.At.Equal(sentAt) || got.LastListEmail.MessageID != news[0].ID {
		t.Errorf("last list e-mail: %+v, want at %s, message %d", got.LastListEmail, sentAt, news[0].ID)
	}
	if len(got.Subscriptions) != 1 || len(got.Subscriptions[0].Evidence) != 2 {
		t.Errorf("subscriptions: %+v", got.Subscriptions)
	}
	err = database.InTx(ctx, e.db, func(tx *sql.Tx) error {
		_, err := lists.People{}.Erase(ctx, tx, "ada@example.org", e.clock.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ = lists.People{}.Export(ctx, e.db, "ada@example.org")
	if got := raw.(lists.PersonLists); len(got.Subscriptions)+len(got.Announced) != 0 || got.LastListEmail != nil {
		t.Errorf("after erasing: %+v", got)
	}
}

// TestAnnounceReadsMatchingSubscriptions: the run reads only the
// subscriptions that could want the new dates (their course, their
// topics folded to lower case, "all"), and still reaches each of those:
// the course's, the topic's typed in another case, and "all" each get
// one e-mail; the subscribers to another course and another topic none.
func TestAnnounceReadsMatchingSubscriptions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	draft := e.save(t, e.course("braga", catalog.Draft))
	other := e.save(t, e.course("evora", catalog.Draft))
	e.subscribed(t, courseRequest("course@example.org", draft, lists.ScopeCourse))
	topic := request("topic@example.org")
	topic.Topic = "TESTING" // the course's topic is "Testing"
	e.subscribed(t, topic)
	all := request("all@example.org")
	all.Scope, all.Topic = lists.ScopeAll, ""
	e.subscribed(t, all)
	e.subscribed(t, courseRequest("other-course@example.org", other, lists.ScopeCourse))
	e.subscribed(t, request("other-topic@example.org")) // Psychotherapy
	e.clock.Add(time.Hour)

	e.save(t, e.course("braga", catalog.Published))
	e.announce(t)
	e.clock.Add(lists.DefaultGrace)
	if rep := e.announce(t); rep.Emails != 3 {
		t.Fatalf("want 3 e-mails: %+v", rep)
	}
	for email, want := range map[string]int{"course@example.org": 1, "topic@example.org": 1, "all@example.org": 1,
		"other-course@example.org": 0, "other-topic@example.org": 0} {
		if got := len(e.news(t, email)); got != want {
			t.Errorf("%s: %d e-mails, want %d", email, got, want)
		}
	}
}
