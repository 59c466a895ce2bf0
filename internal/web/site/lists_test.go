package site

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"plenary/internal/lists"
	"plenary/internal/messaging"
)

var confirmPath = regexp.MustCompile(`https://training\.example\.org(/lists/confirm/[A-Za-z0-9_-]{43})`)

// confirmLinks reads the confirmation links e-mailed to email, oldest
// first.
func (ts *testSite) confirmLinks(t *testing.T, email string) []string {
	t.Helper()
	ctx := context.Background()
	msgs, err := ts.outbox.List(ctx, messaging.ListFilter{Kind: "list_confirm", Recipient: email})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for i := len(msgs) - 1; i >= 0; i-- {
		m, err := ts.outbox.Message(ctx, msgs[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		match := confirmPath.FindStringSubmatch(m.Text)
		if match == nil {
			t.Fatalf("no confirmation link in:\n%s", m.Text)
		}
		paths = append(paths, match[1])
	}
	return paths
}

func (ts *testSite) subscription(t *testing.T, email string) lists.Subscription {
	t.Helper()
	subs, err := ts.lists.Subscriptions(context.Background(), email)
	if err != nil || len(subs) != 1 {
		t.Fatalf("subscriptions of %s: %+v (%v)", email, subs, err)
	}
	return subs[0]
}

// TestSubscribeFromCoursePage: the course page's form with its exact
// wording, bad input answered beside the field with what was typed kept,
// the same "check your inbox" for a new and a confirmed address, a
// confirmation page whose GET confirms nothing, the POST that does, and a
// reused or expired link answered with a plain page saying what to do.
func TestSubscribeFromCoursePage(t *testing.T) {
	ts := newTestSiteWith(t, testNow, func(o *testOptions) { o.Lists = true })
	c := ts.courses["dit-refresher"]
	_, body := ts.get(t, "/courses/dit-refresher")
	for _, want := range []string{"Hear about new dates", `action="/courses/dit-refresher/subscribe"`,
		`name="wording" value="` + lists.CourseWording.Version + `"`, "E-mail me when this course has new dates",
		`value="course" checked`, `value="all"`} {
		if !strings.Contains(body, want) {
			t.Errorf("course page lacks %q", want)
		}
	}

	form := url.Values{"email": {"not an address"}, "name": {"Zoë O'Brien"}, "what": {"course"}, "wording": {lists.CourseWording.Version}}
	res, body := ts.post(t, "/courses/dit-refresher/subscribe", form, nil)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter an e-mail address like name@example.org.") ||
		!strings.Contains(body, `value="not an address"`) || !strings.Contains(body, `value="Zoë O&#39;Brien"`) || !strings.Contains(body, `value="course" checked`) {
		t.Fatalf("bad address: %d\n%s", res.StatusCode, body)
	}
	if subs, _ := ts.lists.Subscriptions(context.Background(), "not an address"); len(subs) != 0 {
		t.Fatal("a refused form was stored")
	}

	form.Set("email", "zoe@example.org")
	res, first := ts.post(t, "/courses/dit-refresher/subscribe", form, nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(first, "Check your inbox") {
		t.Fatalf("subscribe: %d\n%s", res.StatusCode, first)
	}
	links := ts.confirmLinks(t, "zoe@example.org")
	if len(links) != 1 {
		t.Fatalf("%d confirmation e-mails", len(links))
	}
	res, body = ts.get(t, links[0])
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Yes, send me these e-mails") || !strings.Contains(body, c.Title) ||
		!strings.Contains(body, lists.ConfirmWording.Text) ||
		res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("confirmation page: %d %q\n%s", res.StatusCode, res.Header.Get("Cache-Control"), body)
	}
	if s := ts.subscription(t, "zoe@example.org"); s.Status != lists.Requested {
		t.Fatalf("a GET confirmed: %s", s.Status)
	}
	res, body = ts.post(t, links[0], nil, nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "You are subscribed") {
		t.Fatalf("confirm: %d\n%s", res.StatusCode, body)
	}
	if s := ts.subscription(t, "zoe@example.org"); s.Status != lists.Confirmed || s.CourseID != c.ID {
		t.Fatalf("after the POST: %+v", s)
	}
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		res, body = ts.do(t, newRequest(method, links[0]))
		if res.StatusCode != http.StatusNotFound || !strings.Contains(body, "already been used") || !strings.Contains(body, "ask again from the course page") {
			t.Errorf("reused link, %s: %d\n%s", method, res.StatusCode, body)
		}
	}
	// Asking again reads exactly the same, and sends nothing.
	res, again := ts.post(t, "/courses/dit-refresher/subscribe", form, nil)
	if res.StatusCode != http.StatusOK || again != first {
		t.Errorf("a confirmed address answered differently:\n%s", again)
	}
	if n := len(ts.confirmLinks(t, "zoe@example.org")); n != 1 {
		t.Errorf("%d confirmation e-mails after asking again", n)
	}

	// Expired: a plain page, and nothing confirmed.
	form.Set("email", "late@example.org")
	ts.post(t, "/courses/dit-refresher/subscribe", form, nil)
	late := ts.confirmLinks(t, "late@example.org")[0]
	ts.listsNow = testNow.Add(lists.TokenLifetime + time.Minute)
	res, body = ts.post(t, late, nil, nil)
	if res.StatusCode != http.StatusGone || !strings.Contains(body, "This link has expired") {
		t.Errorf("expired link: %d\n%s", res.StatusCode, body)
	}
	if s := ts.subscription(t, "late@example.org"); s.Status != lists.Requested {
		t.Errorf("an expired link confirmed: %s", s.Status)
	}
}

// TestSubscribeToFreedPlaces: the course page offers "a place freeing up"
// beside the other choices, saying in plain words how it differs from a
// date's waiting list; choosing it asks for a "places" subscription to
// the course, with the same double opt-in.
func TestSubscribeToFreedPlaces(t *testing.T) {
	ts := newTestSiteWith(t, testNow, func(o *testOptions) { o.Lists = true })
	c := ts.courses["dit-refresher"]
	_, body := ts.get(t, "/courses/dit-refresher")
	for _, want := range []string{`value="places" aria-describedby="what-1-hint"`, "A place freeing up on any upcoming date of this course",
		`id="what-1-hint">Not the waiting list: a date&#39;s waiting list keeps your turn and may give you a place.`,
		"whoever books first gets the place"} {
		if !strings.Contains(body, want) {
			t.Errorf("course page lacks %q", want)
		}
	}
	form := url.Values{"email": {"pat@example.org"}, "what": {"places"}, "wording": {lists.CourseWording.Version}}
	if res, body := ts.post(t, "/courses/dit-refresher/subscribe", form, nil); res.StatusCode != http.StatusOK || !strings.Contains(body, "Check your inbox") {
		t.Fatalf("subscribe: %d\n%s", res.StatusCode, body)
	}
	links := ts.confirmLinks(t, "pat@example.org")
	if len(links) != 1 {
		t.Fatalf("%d confirmation e-mails", len(links))
	}
	if res, body := ts.post(t, links[0], nil, nil); res.StatusCode != http.StatusOK || !strings.Contains(body, "You are subscribed") {
		t.Fatalf("confirm: %d\n%s", res.StatusCode, body)
	}
	if s := ts.subscription(t, "pat@example.org"); s.Status != lists.Confirmed || s.Scope != lists.ScopePlaces || s.CourseID != c.ID {
		t.Fatalf("subscription: %+v", s)
	}
}

func newRequest(method, path string) *http.Request {
	r, _ := http.NewRequest(method, path, nil)
	r.RemoteAddr = "192.0.2.1:1234"
	return r
}

// TestOneClickUnsubscribe: the RFC 8058 POST a mail client makes — no
// cookie, its body "List-Unsubscribe=One-Click", from another origin —
// withdraws at once, twice is the same as once, the evidence says how;
// the GET page changes nothing; a forged token is refused; and the
// exemption from the cross-origin check is that route's alone.
func TestOneClickUnsubscribe(t *testing.T) {
	ts := newTestSiteWith(t, testNow, func(o *testOptions) { o.Lists = true })
	ctx := context.Background()
	form := url.Values{"email": {"ada@example.org"}, "what": {"all"}, "wording": {lists.CourseWording.Version}}
	ts.post(t, "/courses/dit-refresher/subscribe", form, nil)
	ts.post(t, ts.confirmLinks(t, "ada@example.org")[0], nil, nil)
	sub := ts.subscription(t, "ada@example.org")
	m, err := ts.lists.ListMessage(ctx, sub.ID, messaging.Message{Kind: "list_news"})
	if err != nil || !strings.HasPrefix(m.ListUnsubscribe, "https://training.example.org/lists/unsubscribe/") {
		t.Fatalf("list message: %+v (%v)", m, err)
	}
	path := strings.TrimPrefix(m.ListUnsubscribe, "https://training.example.org")

	res, body := ts.get(t, path)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `action="`+path+`?from=page"`) {
		t.Fatalf("unsubscribe page: %d\n%s", res.StatusCode, body)
	}
	if s := ts.subscription(t, "ada@example.org"); s.Status != lists.Confirmed {
		t.Fatalf("a GET unsubscribed: %s", s.Status)
	}
	cross := map[string]string{"Origin": "https://mail.example.net", "Sec-Fetch-Site": "cross-site"}
	// Another POST from another site is still refused.
	if res, _ := ts.post(t, "/courses/dit-refresher/subscribe", form, cross); res.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site subscribe: %d", res.StatusCode)
	}
	if res, _ := ts.post(t, path[:len(path)-3]+"AAA", url.Values{"List-Unsubscribe": {"One-Click"}}, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("forged token: %d", res.StatusCode)
	}
	for _, header := range []map[string]string{nil, cross} {
		res, body := ts.post(t, path, url.Values{"List-Unsubscribe": {"One-Click"}}, header)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "You are unsubscribed") || len(res.Cookies()) != 0 {
			t.Fatalf("one-click POST (%v): %d\n%s", header, res.StatusCode, body)
		}
	}
	s := ts.subscription(t, "ada@example.org")
	ev, _ := ts.lists.Evidence(ctx, s.ID)
	if s.Status != lists.Withdrawn || len(ev) != 3 || ev[2].How != lists.HowOneClick {
		t.Errorf("after two one-click POSTs: %s, %+v", s.Status, ev)
	}
}

// TestOneClickUnsubscribeSeveral: a list e-mail made from two of an
// address's subscriptions names both in List-Unsubscribe; the RFC 8058
// POST (no cookie, from the mail client) withdraws both at once, each
// with evidence saying one_click, and leaves the address's other
// subscription alone.
func TestOneClickUnsubscribeSeveral(t *testing.T) {
	ts := newTestSiteWith(t, testNow, func(o *testOptions) { o.Lists = true })
	ctx := context.Background()
	for _, what := range []string{"all", "course", "places"} {
		form := url.Values{"email": {"ada@example.org"}, "what": {what}, "wording": {lists.CourseWording.Version}}
		ts.post(t, "/courses/dit-refresher/subscribe", form, nil)
	}
	for _, link := range ts.confirmLinks(t, "ada@example.org") {
		ts.post(t, link, nil, nil)
	}
	subs, err := ts.lists.Subscriptions(ctx, "ada@example.org")
	if err != nil || len(subs) != 3 {
		t.Fatalf("subscriptions: %+v (%v)", subs, err)
	}
	m, err := ts.lists.ListMessageFor(ctx, []int64{subs[0].ID, subs[1].ID}, messaging.Message{Kind: "list_news"})
	if err != nil || !strings.HasPrefix(m.ListUnsubscribe, "https://training.example.org/lists/unsubscribe/") {
		t.Fatalf("list message: %+v (%v)", m, err)
	}
	path := strings.TrimPrefix(m.ListUnsubscribe, "https://training.example.org")
	cross := map[string]string{"Origin": "https://mail.example.net", "Sec-Fetch-Site": "cross-site"}
	res, body := ts.post(t, path, url.Values{"List-Unsubscribe": {"One-Click"}}, cross)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "You are unsubscribed") || len(res.Cookies()) != 0 {
		t.Fatalf("one-click POST: %d\n%s", res.StatusCode, body)
	}
	subs, _ = ts.lists.Subscriptions(ctx, "ada@example.org")
	for i, sub := range subs {
		ev, _ := ts.lists.Evidence(ctx, sub.ID)
		last := ev[len(ev)-1]
		if i < 2 && (sub.Status != lists.Withdrawn || last.Step != "withdrawn" || last.How != lists.HowOneClick) {
			t.Errorf("subscription %d: %s, %+v", sub.ID, sub.Status, ev)
		}
		if i == 2 && sub.Status != lists.Confirmed {
			t.Errorf("the third subscription was withdrawn: %+v", sub)
		}
	}
}

// TestListsOff: without PLENARY_LIST_SECRET the course page has no form
// and the lists' pages are not found.
func TestListsOff(t *testing.T) {
	ts := newTestSite(t)
	_, body := ts.get(t, "/courses/dit-refresher")
	if strings.Contains(body, "Hear about new dates") {
		t.Error("the form is shown with lists off")
	}
	form := url.Values{"email": {"ada@example.org"}, "what": {"all"}, "wording": {lists.CourseWording.Version}}
	if res, _ := ts.post(t, "/courses/dit-refresher/subscribe", form, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("subscribe with lists off: %d", res.StatusCode)
	}
}
