package admin

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"plenary/internal/account"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/lists"
	"plenary/internal/web"
)

// listsArea is a staff area with two courses and subscribers: two to the
// first course's new dates (one confirmed), one to the second's, one to a
// topic.
type listsArea struct {
	*staffArea
	a, b      catalog.Course
	admin     string // session tokens
	limited   string // a coordinator limited to course a
	subs      map[string]int64
	confirmed string
}

func newListsArea(t *testing.T) *listsArea {
	t.Helper()
	a := newArea(t, nil)
	la := &listsArea{staffArea: a, subs: map[string]int64{}}
	la.a = catalogtest.NewCourse(t0)
	la.b = catalogtest.NewCourse(t0)
	la.b.Slug, la.b.Title = "second-course", "Second course"
	if _, err := a.catalog.Save(ctx, []*catalog.Course{&la.a, &la.b}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	req := func(email string, c *catalog.Course) lists.Request {
		r := lists.Request{Email: email, Name: "=HYPERLINK(\"x\")", Source: lists.FromCoursePage, Wording: lists.CourseWording.Version}
		if c == nil {
			r.Scope, r.Topic = lists.ScopeTopic, "Supervision"
		} else {
			r.Scope, r.CourseID, r.CourseTitle = lists.ScopeCourse, c.ID, c.Title
		}
		return r
	}
	for _, r := range []lists.Request{req("ann@example.org", &la.a), req("bob@example.org", &la.a), req("cat@example.org", &la.b),
		req("dan@example.org", nil)} {
		if err := a.lists.Subscribe(ctx, r); err != nil {
			t.Fatal(err)
		}
		subs, err := a.lists.Subscriptions(ctx, r.Email)
		if err != nil || len(subs) != 1 {
			t.Fatal(subs, err)
		}
		la.subs[r.Email] = subs[0].ID
	}
	a.addUser(t, "admin@example.org", account.Admin)
	a.addUser(t, "limited@example.org", account.Coordinator, la.a.ID)
	la.admin = a.signIn(t, "admin@example.org", password, "")
	la.limited = a.signIn(t, "limited@example.org", password, "")
	return la
}

// TestSubscribersPages filters the list, counts by status and per course,
// narrows a course-limited coordinator to their course, shows a
// subscriber's evidence, and withdraws (asked by e-mail) and suppresses
// through the pages, audited.
func TestSubscribersPages(t *testing.T) {
	t.Parallel()
	a := newListsArea(t)
	res, body := a.get(t, "/admin/lists", a.admin)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("list: %d", res.StatusCode)
	}
	for _, want := range []string{"4 subscriptions found", "Waiting for confirmation: 4", "ann@example.org", "dan@example.org",
		"New courses on Supervision", "Subscribers per course"} {
		if !strings.Contains(body, want) {
			t.Errorf("list as admin: no %q", want)
		}
	}
	_, body = a.get(t, fmt.Sprintf("/admin/lists?course=%d&q=ANN", a.a.ID), a.admin)
	if !strings.Contains(body, "1 subscription found") || strings.Contains(body, "bob@example.org") {
		t.Errorf("filtered by course and address: %s", between(body, "<h2 id=\"results\">", "</table>"))
	}
	_, body = a.get(t, "/admin/lists", a.limited)
	if !strings.Contains(body, "2 subscriptions found") || strings.Contains(body, "cat@example.org") || strings.Contains(body, "dan@example.org") {
		t.Errorf("limited coordinator sees beyond their course: %s", between(body, "<h2 id=\"results\">", "</table>"))
	}
	for _, email := range []string{"cat@example.org", "dan@example.org"} {
		if res, _ := a.get(t, fmt.Sprintf("/admin/lists/%d", a.subs[email]), a.limited); res.StatusCode != http.StatusForbidden {
			t.Errorf("limited coordinator opens %s's page: %d", email, res.StatusCode)
		}
		if res, _ := a.post(t, fmt.Sprintf("/admin/lists/%d/suppress", a.subs[email]), a.limited, url.Values{}); res.StatusCode != http.StatusForbidden {
			t.Errorf("limited coordinator suppresses %s: %d", email, res.StatusCode)
		}
	}
	ann := a.subs["ann@example.org"]
	_, body = a.get(t, fmt.Sprintf("/admin/lists/%d", ann), a.limited)
	for _, want := range []string{"requested", "course page", lists.CourseWording.Version, lists.CourseWording.SHA256(), "New dates of"} {
		if !strings.Contains(body, want) {
			t.Errorf("subscriber page: no %q", want)
		}
	}
	res, _ = a.post(t, fmt.Sprintf("/admin/lists/%d/withdraw", ann), a.limited, url.Values{"how": {"mailto"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("withdraw: %d", res.StatusCode)
	}
	_, body = a.get(t, res.Header.Get("Location"), a.limited)
	if !strings.Contains(body, "Withdrawn.") || !strings.Contains(body, "asked by e-mail (List-Unsubscribe mailto:)") {
		t.Errorf("after withdrawing: %s", between(body, "<main", "</main>"))
	}
	if res, _ := a.post(t, fmt.Sprintf("/admin/lists/%d/suppress", a.subs["bob@example.org"]), a.limited, url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("suppress: %d", res.StatusCode)
	}
	if subs, _ := a.lists.Subscriptions(ctx, "bob@example.org"); subs[0].Status != lists.Suppressed {
		t.Errorf("bob: %+v", subs[0])
	}
	if res, _ := a.get(t, "/admin/lists/99999", a.admin); res.StatusCode != http.StatusNotFound {
		t.Errorf("no such subscription: %d", res.StatusCode)
	}
	_, body = a.get(t, "/admin/audit?action=list.", a.admin)
	if n := strings.Count(body, "Ann Smith"); n < 2 {
		t.Errorf("audit log names the staff member %d times", n)
	}
}

func between(s, from, to string) string {
	_, after, _ := strings.Cut(s, from)
	before, _, _ := strings.Cut(after, to)
	return before
}

// TestSubscribersExport downloads the filtered subscribers as CSV: the
// columns, the latest evidence, and a name that looks like a formula
// guarded.
func TestSubscribersExport(t *testing.T) {
	t.Parallel()
	a := newListsArea(t)
	res, body := a.get(t, fmt.Sprintf("/admin/lists/export.csv?course=%d", a.a.ID), a.admin)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], subscribersHeader) {
		t.Errorf("header %v", recs[0])
	}
	if len(recs) != 3 {
		t.Fatalf("%d rows, want 2 and the header", len(recs)-1)
	}
	row := map[string]string{}
	for i, h := range recs[0] {
		row[h] = recs[1][i]
	}
	if row["email"] != "ann@example.org" || row["name"] != `'=HYPERLINK("x")` || row["last_step"] != "requested" ||
		row["source"] != "course_page" || row["wording_version"] != lists.CourseWording.Version || row["course"] != a.a.Title {
		t.Errorf("row: %v", row)
	}
	_, body = a.get(t, "/admin/lists/export.csv", a.limited)
	if strings.Contains(body, "cat@example.org") || !strings.Contains(body, "bob@example.org") {
		t.Errorf("limited export: %s", body)
	}
}

// upload posts a multipart form with a file, as a browser sends the
// import form.
func (a *listsArea) upload(t *testing.T, token string, fields map[string]string, file []byte) (*http.Response, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if file != nil {
		fw, err := mw.CreateFormFile("file", "people.csv")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(file)
	}
	mw.Close()
	r := httptest.NewRequest(http.MethodPost, "/admin/lists/import", &buf)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	r.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: token})
	return a.do(t, r)
}

var hiddenContent = regexp.MustCompile(`name="content" value="([^"]*)"`)

// TestSubscribersImport previews an import (counts, bad rows with line
// numbers, nothing changed), runs it from the preview's form, runs it
// again to no effect, and refuses a file over the limit and a course the
// coordinator does not manage.
func TestSubscribersImport(t *testing.T) {
	t.Parallel()
	a := newListsArea(t)
	if res, body := a.get(t, "/admin/lists/import", a.limited); res.StatusCode != http.StatusOK || !strings.Contains(body, a.a.Title) ||
		strings.Contains(body, a.b.Title) || strings.Contains(body, "All new courses") {
		t.Errorf("import form for a limited coordinator: %d", res.StatusCode)
	}
	file := []byte("email,name\nann@example.org,Ann\nnew@example.org,New Person\nbroken,\n")
	fields := map[string]string{"mode": "held", "target": fmt.Sprintf("course:%d", a.a.ID)}
	res, body := a.upload(t, a.limited, fields, file)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("preview: %d %s", res.StatusCode, between(body, "<main", "</main>"))
	}
	for _, want := range []string{"1 without a consent source or date", "1 already waiting", "Line 4: &#34;broken&#34; is not an e-mail address"} {
		if !strings.Contains(body, want) {
			t.Errorf("preview: no %q in %s", want, between(body, `id="preview"`, "</section>"))
		}
	}
	if subs, _ := a.lists.Subscriptions(ctx, "new@example.org"); len(subs) != 0 {
		t.Fatal("the preview imported")
	}
	m := hiddenContent.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no content carried to the run")
	}
	run := map[string]string{"run": "yes", "content": m[1], "mode": "held", "target": fields["target"], "filename": "people.csv"}
	_, body = a.upload(t, a.limited, run, nil)
	if !strings.Contains(body, "Imported") || !strings.Contains(body, "1 without a consent source or date: sent a confirmation e-mail") {
		t.Errorf("run: %s", between(body, "<main", "</main>"))
	}
	subs, _ := a.lists.Subscriptions(ctx, "new@example.org")
	if len(subs) != 1 || subs[0].Status != lists.Requested || subs[0].CourseID != a.a.ID {
		t.Errorf("imported: %+v", subs)
	}
	_, body = a.upload(t, a.limited, run, nil)
	if !strings.Contains(body, "0 without a consent source") || !strings.Contains(body, "2 already waiting") {
		t.Errorf("second run: %s", between(body, `id="done"`, "</div>"))
	}
	// A course the coordinator does not manage.
	res, body = a.upload(t, a.limited, map[string]string{"mode": "confirm", "target": fmt.Sprintf("course:%d", a.b.ID)}, file)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose what the addresses subscribe to.") {
		t.Errorf("import to another course: %d", res.StatusCode)
	}
	// Over 5 MB: a clear message beside the file, nothing imported.
	big := append([]byte("email\n"), bytes.Repeat([]byte("someone.with.a.long.address@example.org\n"), lists.MaxImportBytes/40+10)...)
	res, body = a.upload(t, a.admin, map[string]string{"mode": "confirm", "target": "all"}, big)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "larger than 5 MB") {
		t.Errorf("over 5 MB: %d %s", res.StatusCode, between(body, "<main", "</main>"))
	}
	// A quote never closed: the whole file refused beside the file field,
	// with the line, and nothing imported.
	res, body = a.upload(t, a.admin, map[string]string{"mode": "confirm", "target": "all"},
		[]byte("email,name\nquote@example.org,\"Ann\nlater@example.org,Later\n"))
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "line 2: a quote opened here is never closed") {
		t.Errorf("stray quote: %d %s", res.StatusCode, between(body, "<main", "</main>"))
	}
	if subs, _ := a.lists.Subscriptions(ctx, "later@example.org"); len(subs) != 0 {
		t.Errorf("a refused file imported: %+v", subs)
	}
	// Far over: the request limit.
	huge := bytes.Repeat([]byte("x"), importMaxBody+1)
	if res, body = a.upload(t, a.admin, map[string]string{"mode": "confirm", "target": "all"}, huge); res.StatusCode != http.StatusRequestEntityTooLarge ||
		!strings.Contains(body, "larger than 5 MB") {
		t.Errorf("over the request limit: %d", res.StatusCode)
	}
}

// TestWhatOf names every scope of subscription in words, with the
// course's title where it has one.
func TestWhatOf(t *testing.T) {
	titles := map[int64]string{7: "DIT refresher"}
	for _, tc := range []struct {
		sub  lists.Subscription
		want string
	}{
		{lists.Subscription{Scope: lists.ScopeCourse, CourseID: 7}, "New dates of DIT refresher"},
		{lists.Subscription{Scope: lists.ScopePlaces, CourseID: 7}, "A place freeing up on DIT refresher"},
		{lists.Subscription{Scope: lists.ScopePlaces, CourseID: 8}, "A place freeing up on course 8"},
		{lists.Subscription{Scope: lists.ScopeTopic, Topic: "Psychotherapy"}, "New courses on Psychotherapy"},
		{lists.Subscription{Scope: lists.ScopeAll}, "All new courses"},
	} {
		if got := whatOf(tc.sub, titles); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.sub.Scope, got, tc.want)
		}
	}
}
