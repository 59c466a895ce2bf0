package admin

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"plenary/internal/account"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/lists"
	"plenary/internal/web"
)

// Subscribers, /admin/lists: the people who asked to hear about new
// dates, filtered by course, topic, scope, status and address with counts
// by status and subscribers per course; one address's subscriptions with
// their whole evidence; withdrawing (as staff, or acting on an e-mail to
// the List-Unsubscribe mailto: address) and suppressing; the CSV export
// of what the filter finds; the CSV import, previewed before it runs. All
// behind lists:manage; a coordinator limited to some courses sees and
// changes only subscriptions to those courses' new dates.

// listsExportLimit is the most subscriptions one export takes.
const listsExportLimit = 50000

// listFilter is the list's filter as the form holds it.
type listFilter struct {
	Course int64
	Topic  string
	Scope  string
	Status string
	Text   string
	Page   int
}

func readListFilter(v url.Values) listFilter {
	f := listFilter{Topic: strings.TrimSpace(v.Get("topic")), Text: strings.TrimSpace(v.Get("q"))}
	f.Course, _ = strconv.ParseInt(v.Get("course"), 10, 64)
	f.Page, _ = strconv.Atoi(v.Get("page"))
	f.Course, f.Page = max(f.Course, 0), min(max(f.Page, 1), maxDeskPage)
	if s := lists.Scope(v.Get("scope")); s == lists.ScopeCourse || s == lists.ScopeTopic || s == lists.ScopeAll {
		f.Scope = string(s)
	}
	if slices.Contains(lists.Statuses, lists.Status(v.Get("status"))) {
		f.Status = v.Get("status")
	}
	if len(f.Text) > 200 {
		f.Text = f.Text[:200]
	}
	if len(f.Topic) > 80 {
		f.Topic = f.Topic[:80]
	}
	return f
}

// query is the filter as lists.Service.Find takes it, narrowed to the
// request's courses.
func (f listFilter) query(r *http.Request) lists.StaffFilter {
	q := lists.StaffFilter{CourseID: f.Course, Topic: f.Topic, Scope: lists.Scope(f.Scope), Status: lists.Status(f.Status),
		Text: f.Text, Page: f.Page}
	if sess, ok := sessionOf(r); !ok || sess.User.CourseLimited {
		q.Limited, q.Courses = true, courseLimit(r)
	}
	return q
}

func (f listFilter) values() url.Values {
	v := url.Values{}
	if f.Course != 0 {
		v.Set("course", strconv.FormatInt(f.Course, 10))
	}
	for k, x := range map[string]string{"topic": f.Topic, "scope": f.Scope, "status": f.Status, "q": f.Text} {
		if x != "" {
			v.Set(k, x)
		}
	}
	return v
}

// listsPage is the subscribers list.
type listsPage struct {
	web.Base
	Filter    listFilter
	Courses   []option
	Scopes    []option
	Statuses  []option
	Counts    []statusCount
	PerCourse []courseCount
	Rows      []subscriberRow
	Total     int
	Page      int
	Pages     int
	PrevURL   string
	NextURL   string
	ExportCSV string
	Limited   bool
	Import    bool // the viewer may import (to some course at least)
}

type statusCount struct {
	Label string
	Count int
	URL   string
}

type courseCount struct {
	Title              string
	Confirmed, Waiting int
	URL                string
}

// subscriberRow is one subscription in the list.
type subscriberRow struct {
	ID          int64
	Email, Name string
	What        string
	Status      string
	Latest      string
}

// listCourses is the courses whose subscribers the viewer may manage,
// by title, and every course's title by ID: IDs and titles only (the
// light catalog.Store.CourseOptions), never the courses' dates.
func (s *Server) listCourses(r *http.Request) ([]catalog.CourseOption, map[int64]string, error) {
	sess, _ := sessionOf(r)
	titles := map[int64]string{}
	if s.bookings == nil {
		return nil, titles, nil
	}
	all, err := s.bookings.CourseOptions(r.Context())
	if err != nil {
		return nil, nil, err
	}
	var out []catalog.CourseOption
	for _, c := range all {
		titles[c.ID] = c.Title
		if sess.Can(account.ListsManage, c.ID) {
			out = append(out, c)
		}
	}
	return out, titles, nil
}

// whatOf says what a subscription is to, in words.
func whatOf(sub lists.Subscription, titles map[int64]string) string {
	switch sub.Scope {
	case lists.ScopeCourse:
		if t, ok := titles[sub.CourseID]; ok {
			return "New dates of " + t
		}
		return fmt.Sprintf("New dates of course %d", sub.CourseID)
	case lists.ScopePlaces:
		if t, ok := titles[sub.CourseID]; ok {
			return "A place freeing up on " + t
		}
		return fmt.Sprintf("A place freeing up on course %d", sub.CourseID)
	case lists.ScopeTopic:
		return "New courses on " + sub.Topic
	}
	return "All new courses"
}

// stepWords says one step of evidence in words.
func stepWords(e lists.Evidence) string {
	if e.ID == 0 {
		return ""
	}
	words := map[string]string{"requested": "Asked", "confirmed": "Confirmed", "withdrawn": "Withdrew", "suppressed": "Suppressed"}[e.Step]
	if words == "" {
		words = e.Step
	}
	return words + " " + staffTime(e.At)
}

// staffTime is an instant in UK time, as the mail log shows it.
func staffTime(t time.Time) string { return mailTime(t) }

// listsShow serves GET /admin/lists.
func (s *Server) listsShow(w http.ResponseWriter, r *http.Request) {
	if s.lists == nil {
		s.web.NotFound(w, r)
		return
	}
	ctx := r.Context()
	sess, _ := sessionOf(r)
	f := readListFilter(r.URL.Query())
	page, err := s.lists.Find(ctx, f.query(r))
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	courses, titles, err := s.listCourses(r)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	counts, err := s.lists.CountsByCourse(ctx)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	p := listsPage{Base: s.web.Base(r), Filter: f, Total: page.Total, Page: page.Page, Pages: page.Pages(),
		Limited: sess.User.CourseLimited, Import: len(courses) > 0}
	for _, c := range courses {
		p.Courses = append(p.Courses, option{Value: strconv.FormatInt(c.ID, 10), Label: c.Title, Selected: c.ID == f.Course})
		if n, ok := counts[c.ID]; ok {
			p.PerCourse = append(p.PerCourse, courseCount{Title: c.Title, Confirmed: n.Confirmed, Waiting: n.Waiting,
				URL: "/admin/lists?course=" + strconv.FormatInt(c.ID, 10)})
		}
	}
	for _, sc := range []struct{ v, l string }{{"course", "A course's new dates"}, {"topic", "A topic"}, {"all", "All new courses"}} {
		if sess.User.CourseLimited && sc.v != "course" {
			continue
		}
		p.Scopes = append(p.Scopes, option{Value: sc.v, Label: sc.l, Selected: sc.v == f.Scope})
	}
	for _, st := range lists.Statuses {
		p.Statuses = append(p.Statuses, option{Value: string(st), Label: st.Label(), Selected: string(st) == f.Status})
		v := f.values()
		v.Set("status", string(st))
		p.Counts = append(p.Counts, statusCount{Label: st.Label(), Count: page.Counts[st], URL: "/admin/lists?" + v.Encode()})
	}
	for _, row := range page.Rows {
		p.Rows = append(p.Rows, subscriberRow{ID: row.ID, Email: row.Email, Name: row.Name, What: whatOf(row.Subscription, titles),
			Status: row.Status.Label(), Latest: stepWords(row.Latest)})
	}
	v := f.values()
	link := func(n int) string {
		v.Set("page", strconv.Itoa(n))
		return "/admin/lists?" + v.Encode()
	}
	if p.Page > 1 {
		p.PrevURL = link(p.Page - 1)
	}
	if p.Page < p.Pages {
		p.NextURL = link(p.Page + 1)
	}
	v.Del("page")
	p.ExportCSV = "/admin/lists/export.csv?" + v.Encode()
	s.web.Render(w, r, http.StatusOK, "admin_lists", p)
}

// listsExport serves GET /admin/lists/export.csv: what the filter finds,
// each with its latest step of evidence, guarded against formulas.
func (s *Server) listsExport(w http.ResponseWriter, r *http.Request) {
	if s.lists == nil {
		s.web.NotFound(w, r)
		return
	}
	f := readListFilter(r.URL.Query())
	rows, err := s.lists.FindAll(r.Context(), f.query(r), listsExportLimit)
	if errors.Is(err, lists.ErrTooMany) {
		http.Error(w, fmt.Sprintf("More than %d subscriptions match: narrow the filter and export again.", listsExportLimit),
			http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	_, titles, err := s.listCourses(r)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	header, records := subscribersTable(rows, titles)
	var buf bytes.Buffer
	if err := booking.WriteCSV(&buf, header, records); err != nil {
		s.web.Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="subscribers.csv"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// subscribersHeader is the export's columns.
var subscribersHeader = []string{"id", "email", "name", "scope", "course_id", "course", "topic", "status",
	"requested_at", "confirmed_at", "withdrawn_at", "last_step", "last_step_at", "how", "source", "source_note",
	"consented_on", "wording_version", "wording_sha256", "what"}

func subscribersTable(rows []lists.StaffRow, titles map[int64]string) ([]string, [][]string) {
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	records := make([][]string, 0, len(rows))
	for _, row := range rows {
		course := ""
		if row.CourseID != 0 {
			course = strconv.FormatInt(row.CourseID, 10)
		}
		e := row.Latest
		records = append(records, []string{strconv.FormatInt(row.ID, 10), row.Email, row.Name, string(row.Scope), course,
			titles[row.CourseID], row.Topic, string(row.Status), at(row.RequestedAt), at(row.ConfirmedAt), at(row.WithdrawnAt),
			e.Step, at(e.At), e.How, string(e.Source), e.SourceNote, e.ConsentedOn, e.WordingVersion, e.WordingSHA256, e.What})
	}
	return subscribersHeader, records
}

// subscriberPage is one address's subscriptions and their evidence.
type subscriberPage struct {
	web.Base
	Email  string
	Name   string
	Done   string
	Subs   []subscriptionView
	Hidden int // subscriptions of this address the viewer may not see
}

type subscriptionView struct {
	ID       int64
	What     string
	Status   string
	Active   bool // waiting or confirmed: may be withdrawn
	Suppress bool // may be suppressed
	Evidence []evidenceView
}

type evidenceView struct {
	Step, At, What, Wording, Source, How, Note string
}

// sourceWords and howWords say the evidence's codes in words.
var (
	sourceWords = map[lists.Source]string{lists.FromCoursePage: "course page", lists.FromBooking: "booking form",
		lists.FromImport: "import", lists.FromStaff: "staff"}
	howWords = map[string]string{lists.HowOneClick: "one click in the e-mail program", lists.HowLink: "the unsubscribe link",
		lists.HowMailto: "asked by e-mail (List-Unsubscribe mailto:), acted on by staff", lists.HowStaff: "by staff"}
)

// mayManage says whether the viewer may manage subscription sub.
func mayManage(r *http.Request, sub lists.Subscription) bool {
	sess, _ := sessionOf(r)
	if sub.Scope != lists.ScopeCourse && sub.Scope != lists.ScopePlaces {
		return sess.Can(account.ListsManage, 0)
	}
	return sess.Can(account.ListsManage, sub.CourseID)
}

// subscriberShow serves GET /admin/lists/{id}: the address of
// subscription id with all its subscriptions the viewer may see.
func (s *Server) subscriberShow(w http.ResponseWriter, r *http.Request) {
	if s.lists == nil {
		s.web.NotFound(w, r)
		return
	}
	sub, ok := s.subscriptionOf(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	subs, err := s.lists.Subscriptions(ctx, sub.Email)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	_, titles, err := s.listCourses(r)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	p := subscriberPage{Base: s.web.Base(r), Email: sub.Email, Name: sub.Name,
		Done: map[string]string{"withdrawn": "Withdrawn.", "suppressed": "Suppressed: nothing more is sent to this subscription."}[r.URL.Query().Get("did")]}
	for _, x := range subs {
		if !mayManage(r, x) {
			p.Hidden++
			continue
		}
		v := subscriptionView{ID: x.ID, What: whatOf(x, titles), Status: x.Status.Label(),
			Active: x.Status == lists.Requested || x.Status == lists.Confirmed, Suppress: x.Status != lists.Suppressed}
		ev, err := s.lists.Evidence(ctx, x.ID)
		if err != nil {
			s.web.Error(w, r, err)
			return
		}
		for _, e := range ev {
			wording := ""
			if e.WordingVersion != "" {
				wording = e.WordingVersion + " (SHA-256 " + e.WordingSHA256 + ")"
			}
			note := e.SourceNote
			if e.ConsentedOn != "" {
				note = strings.TrimSpace(note + "; consent given on " + e.ConsentedOn)
				note = strings.TrimPrefix(note, "; ")
			}
			v.Evidence = append(v.Evidence, evidenceView{Step: e.Step, At: staffTime(e.At), What: e.What, Wording: wording,
				Source: cmpOr(sourceWords[e.Source], string(e.Source)), How: cmpOr(howWords[e.How], e.How), Note: note})
		}
		p.Subs = append(p.Subs, v)
	}
	s.web.Render(w, r, http.StatusOK, "admin_subscriber", p)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// subscriptionOf reads the path's subscription and checks the viewer may
// manage it (the 404 or 403 page otherwise).
func (s *Server) subscriptionOf(w http.ResponseWriter, r *http.Request) (lists.Subscription, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.web.NotFound(w, r)
		return lists.Subscription{}, false
	}
	sub, err := s.lists.Subscription(r.Context(), id)
	if err != nil {
		s.web.Error(w, r, err, web.Link{URL: "/admin/lists", Label: "Back to the subscribers"})
		return sub, false
	}
	if !mayManage(r, sub) {
		s.web.Error(w, r, web.ErrForbidden, web.Link{URL: "/admin/lists", Label: "Back to the subscribers"})
		return sub, false
	}
	return sub, true
}

// subscriberWithdraw serves POST /admin/lists/{id}/withdraw: how is
// "staff" or "mailto".
func (s *Server) subscriberWithdraw(w http.ResponseWriter, r *http.Request) {
	s.subscriberChange(w, r, "withdrawn", func(sub lists.Subscription) error {
		how := lists.HowStaff
		if r.PostFormValue("how") == lists.HowMailto {
			how = lists.HowMailto
		}
		return s.lists.Withdraw(r.Context(), staffActor(r), sub.ID, how)
	})
}

// subscriberSuppress serves POST /admin/lists/{id}/suppress.
func (s *Server) subscriberSuppress(w http.ResponseWriter, r *http.Request) {
	s.subscriberChange(w, r, "suppressed", func(sub lists.Subscription) error {
		return s.lists.Suppress(r.Context(), staffActor(r), sub.ID)
	})
}

func (s *Server) subscriberChange(w http.ResponseWriter, r *http.Request, did string, change func(lists.Subscription) error) {
	if s.lists == nil {
		s.web.NotFound(w, r)
		return
	}
	if err := web.ReadForm(r); err != nil {
		s.web.Error(w, r, err)
		return
	}
	sub, ok := s.subscriptionOf(w, r)
	if !ok {
		return
	}
	if err := change(sub); err != nil {
		s.web.Error(w, r, err, web.Link{URL: fmt.Sprintf("/admin/lists/%d", sub.ID), Label: "Back to the subscriber"})
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/lists/%d?did=%s", sub.ID, did), http.StatusSeeOther)
}

// importPage is the import form, its preview and its result.
type importPage struct {
	web.Base
	Mode, Target, Topic, Source, Date string
	Courses                           []option
	Site                              bool // the viewer may import to a topic or to all courses
	Errors                            map[string]string
	Preview                           *lists.ImportReport
	Done                              *lists.ImportReport
	Content                           string // the file in base64, carried from the preview to the run
	FileName                          string
	MaxMB, MaxRows                    int
}

// importMaxBody is the upload limit of the import's two POSTs: the file
// and the form around it.
// (base64 in the run's form: a third larger).
const importMaxBody = lists.MaxImportBytes*4/3 + 64<<10

func (s *Server) importBase(r *http.Request) (importPage, error) {
	sess, _ := sessionOf(r)
	p := importPage{Base: s.web.Base(r), Mode: string(lists.ImportConfirm), Errors: map[string]string{},
		Site: sess.Can(account.ListsManage, 0), MaxMB: lists.MaxImportBytes >> 20, MaxRows: lists.MaxImportRows}
	courses, _, err := s.listCourses(r)
	for _, c := range courses {
		p.Courses = append(p.Courses, option{Value: "course:" + strconv.FormatInt(c.ID, 10), Label: c.Title})
	}
	return p, err
}

// importForm serves GET /admin/lists/import.
func (s *Server) importForm(w http.ResponseWriter, r *http.Request) {
	if s.lists == nil {
		s.web.NotFound(w, r)
		return
	}
	p, err := s.importBase(r)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	s.web.Render(w, r, http.StatusOK, "admin_lists_import", p)
}

// importPost serves POST /admin/lists/import: with a file, the preview
// (nothing changes); with run=yes and the file carried by the preview,
// the import itself.
func (s *Server) importPost(w http.ResponseWriter, r *http.Request) {
	if s.lists == nil {
		s.web.NotFound(w, r)
		return
	}
	p, err := s.importBase(r)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			p.Errors["file"] = fmt.Sprintf("The file is larger than %d MB: split it and import each part.", p.MaxMB)
			s.web.Render(w, r, http.StatusRequestEntityTooLarge, "admin_lists_import", p)
			return
		}
		if err := web.ReadForm(r); err != nil {
			s.web.Error(w, r, err)
			return
		}
	}
	p.Mode, p.Target, p.Topic = r.PostFormValue("mode"), r.PostFormValue("target"), strings.TrimSpace(r.PostFormValue("topic"))
	p.Source, p.Date = strings.TrimSpace(r.PostFormValue("source")), strings.TrimSpace(r.PostFormValue("date"))
	for i := range p.Courses {
		p.Courses[i].Selected = p.Courses[i].Value == p.Target
	}
	opts := lists.ImportOptions{Mode: lists.ImportMode(p.Mode), Source: p.Source, Date: p.Date}
	switch {
	case strings.HasPrefix(p.Target, "course:"):
		id, _ := strconv.ParseInt(strings.TrimPrefix(p.Target, "course:"), 10, 64)
		_, titles, err := s.listCourses(r)
		if err != nil {
			s.web.Error(w, r, err)
			return
		}
		if !slices.ContainsFunc(p.Courses, func(o option) bool { return o.Value == p.Target }) {
			id = 0 // not a course the viewer may import to
		}
		opts.Scope, opts.CourseID, opts.CourseTitle = lists.ScopeCourse, id, titles[id]
	case p.Target == "topic" && p.Site:
		opts.Scope, opts.Topic = lists.ScopeTopic, p.Topic
	case p.Target == "all" && p.Site:
		opts.Scope = lists.ScopeAll
	}
	var content []byte
	run := r.PostFormValue("run") == "yes"
	if run {
		content, err = base64.StdEncoding.DecodeString(r.PostFormValue("content"))
		if err != nil {
			p.Errors["file"] = "The file was not carried whole from the preview: choose it again."
		}
		p.FileName = r.PostFormValue("filename")
	} else if r.MultipartForm != nil && len(r.MultipartForm.File["file"]) > 0 {
		fh := r.MultipartForm.File["file"][0]
		p.FileName = fh.Filename
		f, err := fh.Open()
		if err != nil {
			s.web.Error(w, r, err)
			return
		}
		content, err = io.ReadAll(io.LimitReader(f, lists.MaxImportBytes+1))
		f.Close()
		if err != nil {
			s.web.Error(w, r, err)
			return
		}
	} else {
		p.Errors["file"] = "Choose a CSV file to import."
	}
	imp, err := lists.ReadImport(bytes.NewReader(content), opts, s.web.Now())
	var ferr lists.FormError
	switch {
	case errors.Is(err, lists.ErrImportTooLarge):
		p.Errors["file"] = fmt.Sprintf("The file is larger than %d MB or has more than %d rows: split it and import each part.", p.MaxMB, p.MaxRows)
	case errors.As(err, &ferr):
		for k, v := range ferr {
			if k == "email" || k == "name" || k == "wording" {
				continue
			}
			if k == "scope" {
				k = "target"
				v = "Choose what the addresses subscribe to."
			}
			if _, set := p.Errors[k]; !set {
				p.Errors[k] = v
			}
		}
	case err != nil:
		s.web.Error(w, r, err)
		return
	}
	if len(p.Errors) > 0 {
		s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_lists_import", p)
		return
	}
	if !run {
		rep, err := s.lists.PreviewImport(r.Context(), imp)
		if err != nil {
			s.web.Error(w, r, err)
			return
		}
		p.Preview, p.Content = &rep, base64.StdEncoding.EncodeToString(content)
		s.web.Render(w, r, http.StatusOK, "admin_lists_import", p)
		return
	}
	rep, err := s.lists.RunImport(r.Context(), staffActor(r), imp)
	if err != nil {
		s.web.Error(w, r, err, web.Link{URL: "/admin/lists/import", Label: "Back to the import"})
		return
	}
	p.Done = &rep
	s.web.Render(w, r, http.StatusOK, "admin_lists_import", p)
}
