package admin

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/web"
)

// The bookings desk, /admin/bookings: every booking the viewer may see,
// filtered by course, date, status and invoice state and found by name,
// e-mail, organisation, PO or invoice number, 50 a page; a date's places
// and waiting list in order; ticked rows (or everything matching) for a
// bulk action (bulk.go); the export of what the filter finds (export.go).
// A booking's own page is booking.go. Trainers, who may not read
// bookings, get the people booked on their dates (datePeople).

// staffActor is the signed-in staff member as the audit log names them.
func staffActor(r *http.Request) audit.Actor {
	sess, _ := sessionOf(r)
	return audit.StaffMember(sess.User.ID, sess.User.DisplayName())
}

// deskFilter is the desk's filter as the form holds it: what the URL's
// query (or a bulk form) says, kept to show again.
type deskFilter struct {
	Course   int64
	Event    int64
	Statuses []string
	Invoice  string
	Text     string
	Page     int
	// AllCourses lists every course in the course select (courses=all);
	// without it, only those with a date not yet over and the chosen one.
	AllCourses bool
	// Money says the viewer may see payment (invoices:read): without it
	// the invoice filter, the status "refund due" and finding a booking
	// by its invoice number are left out, so the filter tells nothing
	// of who has paid.
	Money bool
}

// maxDeskPage bounds the page asked for, so that the offset it makes
// stays far from overflowing.
const maxDeskPage = 1_000_000

// readDeskFilter reads the filter from v for the viewer sess; what
// cannot be read, and what is about money for a viewer who may not see
// it, is left out (a filter never fails).
func readDeskFilter(v url.Values, sess account.Session) deskFilter {
	f := deskFilter{Invoice: v.Get("invoice"), Text: strings.TrimSpace(v.Get("q")), Money: sess.CanSome(account.InvoicesRead),
		AllCourses: v.Get("courses") == "all"}
	f.Course, _ = strconv.ParseInt(v.Get("course"), 10, 64)
	f.Event, _ = strconv.ParseInt(v.Get("event"), 10, 64)
	f.Page, _ = strconv.Atoi(v.Get("page"))
	f.Course, f.Event, f.Page = max(f.Course, 0), max(f.Event, 0), min(max(f.Page, 1), maxDeskPage)
	for _, s := range v["status"] {
		if !f.Money && booking.DeskStatus(s) == booking.DeskRefundDue {
			continue
		}
		if slices.Contains(booking.DeskStatuses, booking.DeskStatus(s)) && !slices.Contains(f.Statuses, s) {
			f.Statuses = append(f.Statuses, s)
		}
	}
	if !f.Money || !slices.Contains(booking.InvoiceFilters, booking.InvoiceFilter(f.Invoice)) {
		f.Invoice = ""
	}
	if len(f.Text) > 200 {
		f.Text = f.Text[:200]
	}
	return f
}

// query is the filter as booking.Search takes it, narrowed to the
// request's courses.
func (f deskFilter) query(r *http.Request) booking.Query {
	q := booking.Query{Courses: courseLimit(r), CourseID: f.Course, EventID: f.Event, Invoice: booking.InvoiceFilter(f.Invoice),
		Text: f.Text, Page: f.Page, NoMoney: !f.Money}
	for _, s := range f.Statuses {
		q.Statuses = append(q.Statuses, booking.DeskStatus(s))
	}
	return q
}

// values writes the filter back as a query (without the page).
func (f deskFilter) values() url.Values {
	v := url.Values{}
	if f.Course != 0 {
		v.Set("course", strconv.FormatInt(f.Course, 10))
	}
	if f.Event != 0 {
		v.Set("event", strconv.FormatInt(f.Event, 10))
	}
	for _, s := range f.Statuses {
		v.Add("status", s)
	}
	if f.Invoice != "" {
		v.Set("invoice", f.Invoice)
	}
	if f.Text != "" {
		v.Set("q", f.Text)
	}
	if f.AllCourses {
		v.Set("courses", "all")
	}
	return v
}

// HasStatus says whether the filter ticks status s (for the form).
func (f deskFilter) HasStatus(s booking.DeskStatus) bool {
	return slices.Contains(f.Statuses, string(s))
}

// option is one choice of a select.
type option struct {
	Value    string
	Label    string
	Selected bool
}

// courseDates is a course with its dates, for the date select.
type courseDates struct {
	Title string
	Dates []option
}

// deskPage is the bookings list.
type deskPage struct {
	web.Base
	Filter  deskFilter
	Hidden  []hiddenField // the filter again, for the bulk form's "everything matching"
	Courses []option
	// AllCoursesURL, when the course select lists only the courses with
	// a date not yet over (and the chosen one), is this page with every
	// course in it: no JavaScript needed to reach an older course.
	AllCoursesURL string
	Dates         []courseDates
	OlderHint     bool // no course chosen or implied by the date: the date filter lists only recent and upcoming dates
	Statuses      []option
	Invoices      []option
	Rows          []deskRow
	Total         int
	Page          int
	Pages         int
	PrevURL       string
	NextURL       string
	ExportCSV     string
	ExportXLS     string
	ShowMoney     bool
	// Event is the date filtered by, with its places and waiting list.
	Event   *deskEvent
	Done    string // what a bulk action just did
	Actions []option
	Limited bool // the viewer sees only some courses
}

// hiddenField is a name and value carried by a form.
type hiddenField struct{ Name, Value string }

// deskEvent is the date filtered by.
type deskEvent struct {
	ID       int64
	Course   string
	Date     string
	Times    string
	Capacity int
	Taken    int
	Left     int // -1 = no limit
	// The places taken, by what holds them: Confirmed (attended and
	// no-show too), Review (waiting for review) and Offered (from the
	// waiting list, the first offer lapsing at OfferUntil).
	Confirmed  int
	Review     int
	Offered    int
	OfferUntil string
	Waiting    []deskRow
	NewBooking bool // the viewer may add a booking by hand, and the date has not started
	Register   bool // the viewer may take the date's register (certificates.Register.MayTake)
}

// deskRow is one booking in the list.
type deskRow struct {
	ID           int64
	Name         string
	Email        string
	Organisation string
	Course       string
	Date         string
	Status       string
	StatusKey    string
	WaitPosition int
	Booked       string
	Money        bool // the viewer may see this booking's invoice
	Fee          string
	InvoiceState string
	Invoice      string
	MailFailing  bool
}

// rowOf turns a search row into a list row for the viewer.
func rowOf(sess account.Session, r booking.Row) deskRow {
	loc := r.Event.Location()
	d := deskRow{ID: r.ID, Name: r.Name, Email: r.Email, Organisation: r.Organisation, Course: r.CourseTitle, Date: r.Date,
		Status: r.Status.Label(), StatusKey: string(r.Status), WaitPosition: r.WaitPosition,
		Booked:      r.CreatedAt.In(loc).Format("2 Jan 2006 15:04") + " " + catalog.ZoneLabel(r.CreatedAt.In(loc)),
		MailFailing: r.MailFailing}
	// The fee is what the person chose (public on the course page): every
	// reader sees it; the invoice only those who may read invoices.
	d.Fee = "Free"
	if r.Amount > 0 {
		d.Fee = catalog.FormatMoney(r.Amount, r.Currency)
	}
	if sess.Can(account.InvoicesRead, r.CourseID) {
		d.Money, d.InvoiceState, d.Invoice = true, r.InvoiceState(), r.InvoiceLabel()
	}
	return d
}

// bulkDone says what a bulk action did, from the redirect's query.
func bulkDone(v url.Values) string {
	verbs := map[string]string{"approve": "approved", "decline": "declined", "message": "messaged"}
	verb, ok := verbs[v.Get("did")]
	if !ok {
		return ""
	}
	n := func(k string) int { i, _ := strconv.Atoi(v.Get(k)); return max(i, 0) }
	parts := []string{fmt.Sprintf("%d %s", n("ok"), verb)}
	if k := n("skipped"); k > 0 {
		what := "was no longer waiting for review"
		if v.Get("did") == "message" {
			what = "could not be sent"
		}
		if k == 1 {
			parts = append(parts, fmt.Sprintf("1 %s", what))
		} else {
			parts = append(parts, fmt.Sprintf("%d %s", k, strings.Replace(what, "was", "were", 1)))
		}
	}
	if k := n("refused"); k > 0 {
		parts = append(parts, fmt.Sprintf("%d not yours to change", k))
	}
	return strings.Join(parts, "; ") + "."
}

// desk serves GET /admin/bookings.
func (s *Server) desk(w http.ResponseWriter, r *http.Request) {
	if s.bookings == nil {
		s.web.NotFound(w, r)
		return
	}
	ctx := r.Context()
	sess, _ := sessionOf(r)
	f := readDeskFilter(r.URL.Query(), sess)
	page, err := s.bookings.Search(ctx, f.query(r))
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	dates, listed, err := s.deskDates(r, f)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	choices, groups, err := s.deskCourses(r, f, listed, dates)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	p := deskPage{Base: s.web.Base(r), Filter: f, Total: page.Total, Page: page.Page, Pages: page.Pages(),
		ShowMoney: sess.CanSome(account.InvoicesRead), Done: bulkDone(r.URL.Query()), Limited: sess.User.CourseLimited}
	for k, vs := range f.values() {
		for _, v := range vs {
			p.Hidden = append(p.Hidden, hiddenField{k, v})
		}
	}
	slices.SortFunc(p.Hidden, func(a, b hiddenField) int { return strings.Compare(a.Name+a.Value, b.Name+b.Value) })
	p.OlderHint = listed == 0
	if !f.AllCourses {
		all := f
		all.AllCourses = true
		p.AllCoursesURL = "/admin/bookings?" + all.values().Encode() + "#course"
	}
	for _, c := range choices {
		p.Courses = append(p.Courses, option{Value: strconv.FormatInt(c.ID, 10), Label: c.Title, Selected: c.ID == listed})
	}
	for _, c := range groups {
		var cd courseDates
		for _, d := range dates[c.ID] {
			cd.Dates = append(cd.Dates, option{Value: strconv.FormatInt(d.ID, 10), Label: d.Label, Selected: d.ID == f.Event})
		}
		if len(cd.Dates) > 0 {
			cd.Title = c.Title
			p.Dates = append(p.Dates, cd)
		}
	}
	for _, st := range booking.DeskStatuses {
		if st == booking.DeskRefundDue && !f.Money {
			continue
		}
		p.Statuses = append(p.Statuses, option{Value: string(st), Label: st.Label(), Selected: f.HasStatus(st)})
	}
	for _, inv := range booking.InvoiceFilters {
		if !f.Money {
			break
		}
		p.Invoices = append(p.Invoices, option{Value: string(inv), Label: inv.Label(), Selected: string(inv) == f.Invoice})
	}
	moved, err := s.movedDates(r.Context(), page.Rows)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	for _, row := range page.Rows {
		d := rowOf(sess, row)
		d.Status = movedStatus(sess, row.Booking, moved)
		p.Rows = append(p.Rows, d)
	}
	v := f.values()
	link := func(page int) string {
		v.Set("page", strconv.Itoa(page))
		return "/admin/bookings?" + v.Encode()
	}
	if p.Page > 1 {
		p.PrevURL = link(p.Page - 1)
	}
	if p.Page < p.Pages {
		p.NextURL = link(p.Page + 1)
	}
	v.Del("page")
	p.ExportCSV, p.ExportXLS = "/admin/bookings/export.csv?"+v.Encode(), "/admin/bookings/export.xlsx?"+v.Encode()
	if f.Event != 0 {
		if ev, err := s.deskEvent(r, sess, f.Event); err == nil {
			p.Event = ev
		} else if err != booking.ErrNotFound {
			s.web.Error(w, r, err)
			return
		}
	}
	p.Actions = bulkActions(sess)
	s.web.Render(w, r, http.StatusOK, "admin_bookings", p)
}

// deskEvent is the date with ID id, its places and its waiting list in
// order, when the viewer may see its course; ErrNotFound otherwise.
func (s *Server) deskEvent(r *http.Request, sess account.Session, id int64) (*deskEvent, error) {
	ctx := r.Context()
	c, e, err := s.bookings.EventOf(ctx, id)
	if err != nil {
		return nil, err
	}
	if !sess.Can(account.BookingsRead, c.ID) {
		return nil, booking.ErrNotFound
	}
	places, err := s.bookings.PlacesFor(ctx, []catalog.Event{e})
	if err != nil {
		return nil, err
	}
	pl := places[e.ID]
	ev := &deskEvent{ID: e.ID, Course: c.Title, Date: e.DateLabel(), Times: booking.EventTimes(e), Capacity: pl.Capacity,
		Taken: pl.Taken, Left: pl.Left(), NewBooking: sess.Can(account.BookingsEdit, c.ID) && e.StartsAt.After(s.web.Now()),
		Register: s.register != nil && sess.Can(account.CoursesEdit, c.ID)}
	offered, err := s.bookings.Search(ctx, booking.Query{EventID: e.ID, Statuses: []booking.DeskStatus{booking.DeskOffered},
		PerPage: 500})
	if err != nil {
		return nil, err
	}
	var first time.Time
	for _, row := range offered.Rows {
		if !row.OfferExpiresAt.IsZero() && (first.IsZero() || row.OfferExpiresAt.Before(first)) {
			first = row.OfferExpiresAt
		}
	}
	ev.Offered = offered.Total
	if !first.IsZero() {
		ev.OfferUntil = localTime(first, e.Location())
	}
	review, err := s.bookings.Search(ctx, booking.Query{EventID: e.ID, Statuses: []booking.DeskStatus{booking.DeskPendingReview},
		PerPage: 1})
	if err != nil {
		return nil, err
	}
	ev.Review = review.Total
	ev.Confirmed = max(ev.Taken-ev.Offered-ev.Review, 0)
	waiting, err := s.bookings.Search(ctx, booking.Query{EventID: e.ID, Statuses: []booking.DeskStatus{booking.DeskWaiting},
		PerPage: 500})
	if err != nil {
		return nil, err
	}
	for _, row := range waiting.Rows {
		ev.Waiting = append(ev.Waiting, rowOf(sess, row))
	}
	return ev, nil
}

// deskCourses is the course select's courses, by title, and the courses
// whose dates the date select lists, by title: only courses whose
// bookings the viewer may read, their IDs and titles, never their dates.
// The course select lists every course with f.AllCourses; otherwise the
// courses with a date not yet over and the one listed (chosen, or implied
// by the chosen date), so that its length follows the present, not the
// catalogue's history: a coordinator of forty courses a year sees theirs,
// and an older course is one link away (courses=all).
func (s *Server) deskCourses(r *http.Request, f deskFilter, listed int64, dates map[int64][]catalog.DateOption) (choices, groups []catalog.CourseOption, err error) {
	ctx := r.Context()
	var every []catalog.CourseOption
	if f.AllCourses || s.catalog == nil {
		if every, err = s.bookings.CourseOptions(ctx); err != nil {
			return nil, nil, err
		}
		choices = readable(r, every)
	} else {
		cs, err := s.catalog.CurrentCourseOptions(ctx, s.web.Now(), listed)
		if err != nil {
			return nil, nil, err
		}
		choices = readable(r, cs)
	}
	groups = choices
	for id := range dates {
		if !slices.ContainsFunc(groups, func(c catalog.CourseOption) bool { return c.ID == id }) {
			// A past date's course that is not in the select (no course
			// chosen: the last deskRecentDays days' dates): its title.
			if every == nil {
				if every, err = s.bookings.CourseOptions(ctx); err != nil {
					return nil, nil, err
				}
			}
			groups = readable(r, every)
			break
		}
	}
	return choices, groups, nil
}

// readable is the courses of cs whose bookings the viewer may read.
func readable(r *http.Request, cs []catalog.CourseOption) []catalog.CourseOption {
	sess, _ := sessionOf(r)
	var out []catalog.CourseOption
	for _, c := range cs {
		if sess.Can(account.BookingsRead, c.ID) {
			out = append(out, c)
		}
	}
	return out
}

// deskRecentDays is how far back the date filter reaches when neither a
// course nor a date is chosen; a chosen course lists every date it had.
const deskRecentDays = 90

// deskDates is the date filter's dates by course, newest first, of the
// courses whose bookings the viewer may read, and the course they are
// listed for (0: every course).
// A chosen course lists every date it had; a date chosen without a
// course stands for its course (its list is that course's dates, however
// old, whatever the size of the rest of the catalogue); with neither,
// the dates of the last deskRecentDays days and the upcoming ones.
func (s *Server) deskDates(r *http.Request, f deskFilter) (map[int64][]catalog.DateOption, int64, error) {
	sess, _ := sessionOf(r)
	visible := func(course int64) bool { return sess.Can(account.BookingsRead, course) }
	out := map[int64][]catalog.DateOption{}
	course := f.Course
	if course == 0 && f.Event != 0 {
		d, err := s.bookings.DateOption(r.Context(), f.Event)
		if err != nil && err != booking.ErrNotFound {
			return nil, 0, err
		}
		if err == nil && visible(d.CourseID) {
			course = d.CourseID
		}
	}
	if course != 0 && !visible(course) {
		return out, f.Course, nil
	}
	df := catalog.DateOptionFilter{Course: course, Since: s.web.Now().AddDate(0, 0, -deskRecentDays)}
	ds, err := s.bookings.DateOptions(r.Context(), df)
	if err != nil {
		return nil, 0, err
	}
	for _, d := range ds {
		if visible(d.CourseID) {
			out[d.CourseID] = append(out[d.CourseID], d)
		}
	}
	return out, course, nil
}

// peoplePage is the people booked on one date, for trainers: never
// access needs, never money.
type peoplePage struct {
	web.Base
	Course string
	Date   string
	Times  string
	People []personLine
	// Desk links the date's bookings when the viewer may read them.
	Desk string
	// Meeting is the date's online meeting, for a viewer with
	// meetings:read on the course (trainers, coordinators); nil otherwise.
	Meeting *catalog.Meeting
	// Certificates links the date's CPD certificates for those who
	// issue them.
	Certificates string
}

// personLine is one person booked.
type personLine struct {
	Name, Organisation, Role, Status string
}

// dateOf reads the date of the path's {id} and checks the session has
// perm on its course; when not, it has written the page (404 or 403). A
// handler that decides access otherwise (the register) passes "".
func (s *Server) dateOf(w http.ResponseWriter, r *http.Request, perm account.Permission) (catalog.Course, catalog.Event, bool) {
	id := pathID(r)
	if id == 0 || s.bookings == nil {
		s.web.NotFound(w, r)
		return catalog.Course{}, catalog.Event{}, false
	}
	c, e, err := s.bookings.EventOf(r.Context(), id)
	if err != nil {
		s.web.Error(w, r, err)
		return c, e, false
	}
	if perm != "" && !s.allowedOn(w, r, perm, c.ID) {
		return c, e, false
	}
	return c, e, true
}

// datePeople serves GET /admin/dates/{id}/people.
func (s *Server) datePeople(w http.ResponseWriter, r *http.Request) {
	c, e, ok := s.dateOf(w, r, account.AttendeesRead)
	if !ok {
		return
	}
	if ok, err := s.mayReadPeople(r, c.ID, e.ID); err != nil {
		s.web.Error(w, r, err)
		return
	} else if !ok {
		s.web.Error(w, r, web.ErrForbidden, web.Link{URL: "/admin", Label: "Back to the staff area"})
		return
	}
	list, err := s.bookings.List(r.Context(), e.ID)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	sess, _ := sessionOf(r)
	p := peoplePage{Base: s.web.Base(r), Course: c.Title, Date: e.DateLabel(), Times: booking.EventTimes(e)}
	if sess.Can(account.BookingsRead, c.ID) {
		p.Desk = fmt.Sprintf("/admin/bookings?event=%d", e.ID)
	}
	if e.Meeting != (catalog.Meeting{}) && sess.Can(account.MeetingsRead, c.ID) {
		p.Meeting = &e.Meeting
	}
	if s.certificates != nil && sess.Can(account.CertificatesIssue, c.ID) {
		p.Certificates = fmt.Sprintf("/admin/dates/%d/certificates", e.ID)
	}
	for _, b := range list {
		if b.Status.Active() {
			p.People = append(p.People, personLine{Name: b.Name, Organisation: b.Organisation, Role: b.Role, Status: b.Status.Label()})
		}
	}
	s.web.Render(w, r, http.StatusOK, "admin_people", p)
}

// mayReadPeople reports whether the signed-in user may see who is booked
// on the date: whoever may read the course's bookings or edit the course,
// and a trainer (who reads attendees only) on the dates they are assigned
// to teach (certificates.Register.Teaches), never the course's others.
func (s *Server) mayReadPeople(r *http.Request, courseID, eventID int64) (bool, error) {
	sess, _ := sessionOf(r)
	if sess.Can(account.BookingsRead, courseID) || sess.Can(account.CoursesEdit, courseID) {
		return true, nil
	}
	if s.register == nil {
		return false, nil
	}
	return s.register.Teaches(r.Context(), eventID, sess.User.ID)
}

// deskLinks are the home page's links to the desk: the bookings for
// those who may read them, and for trainers (who may not) the people
// booked on each date they teach, from today on.
func (s *Server) deskLinks(r *http.Request) []web.Link {
	sess, _ := sessionOf(r)
	if s.bookings == nil {
		return nil
	}
	if sess.CanSome(account.BookingsRead) {
		return []web.Link{{URL: "/admin/bookings", Label: "Bookings: find a booking, a date's list and waiting list, export"}}
	}
	if !sess.CanSome(account.AttendeesRead) {
		return nil
	}
	now := s.web.Now()
	all, err := s.currentDates(r, now.AddDate(0, 0, -7))
	if err != nil {
		return nil
	}
	out := s.trainerRegisterLinks(r, all)
	var teaches []int64
	if s.register != nil {
		if teaches, err = s.register.DatesOf(r.Context(), sess.User.ID); err != nil {
			return out
		}
	}
	for _, c := range all {
		if !sess.Can(account.AttendeesRead, c.ID) {
			continue
		}
		for _, e := range c.Events {
			if e.EndsAt.After(now) && e.Status != catalog.Cancelled &&
				(sess.Can(account.CoursesEdit, c.ID) || slices.Contains(teaches, e.ID)) {
				out = append(out, web.Link{URL: fmt.Sprintf("/admin/dates/%d/people", e.ID),
					Label: "Who is booked: " + c.Title + ", " + e.DateLabel()})
			}
		}
	}
	return out
}

// currentDates is the courses, by title, with their dates not over at
// t, earliest first: each course only its ID and title, each date only
// what catalog.DateOption holds (its days' dates, instants and status) —
// a light read that follows the present, not the catalogue's history
// (a trainer's home page: deskLinks, trainerRegisterLinks).
func (s *Server) currentDates(r *http.Request, t time.Time) ([]catalog.Course, error) {
	ctx := r.Context()
	ds, err := s.bookings.DateOptions(ctx, catalog.DateOptionFilter{EndsAfter: t})
	if err != nil || len(ds) == 0 {
		return nil, err
	}
	var cs []catalog.CourseOption
	if s.catalog != nil {
		cs, err = s.catalog.CurrentCourseOptions(ctx, t, 0)
	} else {
		cs, err = s.bookings.CourseOptions(ctx)
	}
	if err != nil {
		return nil, err
	}
	byCourse := map[int64][]catalog.Event{}
	for i := len(ds) - 1; i >= 0; i-- { // newest first: read backwards
		byCourse[ds[i].CourseID] = append(byCourse[ds[i].CourseID], ds[i].Event())
	}
	var out []catalog.Course
	for _, c := range cs {
		if evs := byCourse[c.ID]; len(evs) > 0 {
			out = append(out, catalog.Course{ID: c.ID, Title: c.Title, Events: evs})
		}
	}
	return out, nil
}

// localTime writes t in loc with the zone named: "10:04 on Friday 27
// March 2026 UK time (GMT)".
func localTime(t time.Time, loc *time.Location) string { return attentionTime(t.In(loc)) }

// movedDates returns the bookings that rows' bookings were moved to or
// from, by ID, so that their status can name the other date.
func (s *Server) movedDates(ctx context.Context, rows []booking.Row) (map[int64]booking.Row, error) {
	var ids []int64
	for _, r := range rows {
		for _, id := range []int64{r.MovedTo, r.MovedFrom} {
			if id != 0 && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := s.bookings.Rows(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]booking.Row, len(list))
	for _, r := range list {
		out[r.ID] = r
	}
	return out, nil
}

// movedStatus is b's status in words, naming the date it was moved to
// ("Moved to Wednesday 10 February 2027") or from ("Confirmed, moved from
// …") when the viewer may read that booking; a move is not a cancellation.
func movedStatus(sess account.Session, b booking.Booking, moved map[int64]booking.Row) string {
	switch {
	case b.MovedTo != 0:
		return "Moved to " + movedDate(sess, b.MovedTo, moved)
	case b.MovedFrom != 0:
		return b.Status.Label() + ", moved from " + movedDate(sess, b.MovedFrom, moved)
	}
	return b.Status.Label()
}

// movedDate is the date of booking id, or "another date" when the viewer
// may not read it.
func movedDate(sess account.Session, id int64, moved map[int64]booking.Row) string {
	if r, ok := moved[id]; ok && sess.Can(account.BookingsRead, r.CourseID) {
		return r.Date
	}
	return "another date"
}
