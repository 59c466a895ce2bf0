package admin

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"plenary/internal/account"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/certificates"
	"plenary/internal/web"
)

// The register (certificates.Register): a date's days and sessions, a
// day's register on a phone (one radio group per person, no script),
// marks proposed from a meeting provider's participant report, and the
// date's trainers. Every route checks the date with registerDate: a
// trainer sees only the dates they teach.

// registerDate reads the date of {id} and checks the session may take its
// register; when not, it has written the page (404 or 403).
func (s *Server) registerDate(w http.ResponseWriter, r *http.Request) (catalog.Course, catalog.Event, bool) {
	if s.register == nil {
		s.web.NotFound(w, r)
		return catalog.Course{}, catalog.Event{}, false
	}
	c, e, ok := s.dateOf(w, r, "")
	if !ok {
		return c, e, false
	}
	sess, _ := sessionOf(r)
	ok = sess.Can(account.RegisterTake, c.ID)
	if ok {
		var err error
		ok, err = s.register.MayTake(r.Context(), sess.User, c.ID, e.ID)
		if err != nil {
			s.web.Error(w, r, err)
			return c, e, false
		}
	}
	if !ok {
		s.web.Error(w, r, web.ErrForbidden, web.Link{URL: "/admin", Label: "Back to the staff area"})
	}
	return c, e, ok
}

// registerDay reads {day} as one of the date's days; false (and the 404
// page) when it is not.
func (s *Server) registerDay(w http.ResponseWriter, r *http.Request, e catalog.Event) (catalog.Day, bool) {
	d, err := catalog.ParseDate(r.PathValue("day"))
	if err == nil {
		for _, day := range e.Days {
			if day.Date == d {
				return day, true
			}
		}
	}
	s.web.NotFound(w, r)
	return catalog.Day{}, false
}

// --- the date's register: days, sessions, trainers, completion ---

type registerPage struct {
	web.Base
	Course, Date, Times string
	EventID             int64
	CPD                 string
	Rule                string
	Days                []registerDayLink
	Completed           []string
	// The trainers' form, for those who may edit the course.
	CanAssign  bool
	Candidates []trainerChoice
	TrainerErr string
	CloseErr   string
	Saved      string
}

type registerDayLink struct {
	Label, URL string
	Sessions   []web.Link
	Marked     string
}

type trainerChoice struct {
	ID      int64
	Name    string
	Checked bool
}

func ruleText(c catalog.Course) string {
	if c.CompletionPercent > 0 {
		return fmt.Sprintf("Completing this course needs at least %d%% of the teaching time.", c.CompletionPercent)
	}
	return "Completing this course needs every day present (late and left early count; excused does not)."
}

// registerShow serves GET /admin/dates/{id}/register.
func (s *Server) registerShow(w http.ResponseWriter, r *http.Request) {
	c, e, ok := s.registerDate(w, r)
	if !ok {
		return
	}
	s.renderRegister(w, r, c, e, http.StatusOK, "")
}

func (s *Server) renderRegister(w http.ResponseWriter, r *http.Request, c catalog.Course, e catalog.Event, status int, trainerErr string) {
	s.renderRegisterPage(w, r, c, e, status, registerPage{TrainerErr: trainerErr})
}

func (s *Server) renderRegisterPage(w http.ResponseWriter, r *http.Request, c catalog.Course, e catalog.Event, status int, errs registerPage) {
	ctx := r.Context()
	p := registerPage{Base: s.web.Base(r), Course: c.Title, Date: e.DateLabel(), Times: booking.EventTimes(e), EventID: e.ID,
		CPD: certificates.HoursLabel(certificates.EventMinutes(e)), Rule: ruleText(c), TrainerErr: errs.TrainerErr, CloseErr: errs.CloseErr}
	switch r.URL.Query().Get("saved") {
	case "trainers":
		p.Saved = "The trainers of this date are saved."
	case "closed":
		p.Saved = "The register is closed: each booking is marked attended or no-show (" + r.URL.Query().Get("changed") + " changed)."
	}
	for _, d := range e.Days {
		link := registerDayLink{Label: d.Date.In(time.UTC).Format("Monday 2 January 2006"),
			URL: fmt.Sprintf("/admin/dates/%d/register/%s", e.ID, d.Date)}
		sh, err := s.register.Sheet(ctx, e.ID, d.Date, "")
		if err != nil {
			s.web.Error(w, r, err)
			return
		}
		marked := 0
		for _, row := range sh.Rows {
			if row.DayMarked {
				marked++
			}
		}
		link.Marked = fmt.Sprintf("%d of %d marked", marked, len(sh.Rows))
		if len(sh.Sessions) > 1 {
			for _, ss := range sh.Sessions {
				link.Sessions = append(link.Sessions, web.Link{URL: link.URL + "?session=" + url.QueryEscape(ss.Key()), Label: ss.Label()})
			}
		}
		p.Days = append(p.Days, link)
	}
	done, err := s.register.Completed(ctx, e.ID)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	for _, d := range done {
		p.Completed = append(p.Completed, d.Name)
	}
	sess, _ := sessionOf(r)
	if sess.Can(account.CoursesEdit, c.ID) {
		p.CanAssign = true
		cands, err := s.register.Candidates(ctx, e.ID)
		if err != nil {
			s.web.Error(w, r, err)
			return
		}
		now, err := s.register.Trainers(ctx, e.ID)
		if err != nil {
			s.web.Error(w, r, err)
			return
		}
		for _, u := range cands {
			p.Candidates = append(p.Candidates, trainerChoice{ID: u.ID, Name: u.DisplayName() + " (" + string(u.Role) + ")",
				Checked: slices.Contains(now, u.ID)})
		}
	}
	s.web.Render(w, r, status, "admin_register", p)
}

// registerTrainers serves POST /admin/dates/{id}/trainers: who teaches
// the date, set by whoever may edit the course.
func (s *Server) registerTrainers(w http.ResponseWriter, r *http.Request) {
	if s.register == nil {
		s.web.NotFound(w, r)
		return
	}
	c, e, ok := s.dateOf(w, r, account.CoursesEdit)
	if !ok {
		return
	}
	if err := web.ReadForm(r); err != nil {
		s.web.Error(w, r, err)
		return
	}
	var ids []int64
	for _, v := range r.PostForm["trainer"] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			s.renderRegister(w, r, c, e, http.StatusUnprocessableEntity, "Choose trainers from the list.")
			return
		}
		ids = append(ids, n)
	}
	err := s.register.SetTrainers(r.Context(), e.ID, ids, actorOf(r).User.Actor())
	var ie certificates.InputError
	if errors.As(err, &ie) {
		s.renderRegister(w, r, c, e, http.StatusUnprocessableEntity, "Choose trainers from the list: "+ie["trainers"]+".")
		return
	}
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/dates/%d/register?saved=trainers#trainers", e.ID), http.StatusSeeOther)
}

// --- one day's register ---

type registerDayPage struct {
	web.Base
	Course, Date, Heading string
	Back, Action, Report  string
	Session               string
	Sessions              []web.Link
	Rows                  []registerRow
	Marks                 []certificates.Mark
	Error                 string
	Saved                 string
}

type registerRow struct {
	ID           int64
	Name, Detail string
	Mark         string
	Was          string // the stored mark, posted back as was-<id>
	Error        string
	Choices      []markChoice
}

type markChoice struct {
	ID, Value, Label string
	Checked          bool
}

func registerRowOf(id int64, name, detail string, mark certificates.Mark, err string) registerRow {
	row := registerRow{ID: id, Name: name, Detail: detail, Mark: string(mark), Error: err}
	for _, m := range certificates.Marks {
		row.Choices = append(row.Choices, markChoice{ID: fmt.Sprintf("mark-%d-%s", id, m), Value: string(m), Label: m.Label(),
			Checked: m == mark})
	}
	return row
}

// registerDayShow serves GET /admin/dates/{id}/register/{day}.
func (s *Server) registerDayShow(w http.ResponseWriter, r *http.Request) {
	c, e, ok := s.registerDate(w, r)
	if !ok {
		return
	}
	d, ok := s.registerDay(w, r, e)
	if !ok {
		return
	}
	p, err := s.registerDayPage(r, c, e, d, r.URL.Query().Get("session"), nil, nil)
	if err != nil {
		s.registerError(w, r, err)
		return
	}
	if n := r.URL.Query().Get("saved"); n != "" {
		p.Saved = "The register is saved (" + n + " marks changed)."
	}
	s.web.Render(w, r, http.StatusOK, "admin_register_day", p)
}

// registerError shows a day or session the date does not have as the
// 404 page, and anything else as the error table says.
func (s *Server) registerError(w http.ResponseWriter, r *http.Request, err error) {
	var ie certificates.InputError
	if errors.As(err, &ie) {
		s.web.NotFound(w, r)
		return
	}
	s.web.Error(w, r, err)
}

// registerDayPage builds the day's register; typed (by booking ID) and
// errs, when given, replace the stored marks and show beside each row.
func (s *Server) registerDayPage(r *http.Request, c catalog.Course, e catalog.Event, d catalog.Day, session string,
	typed map[int64]string, errs certificates.InputError) (registerDayPage, error) {
	sh, err := s.register.Sheet(r.Context(), e.ID, d.Date, session)
	if err != nil {
		return registerDayPage{}, err
	}
	base := fmt.Sprintf("/admin/dates/%d/register/%s", e.ID, d.Date)
	p := registerDayPage{Base: s.web.Base(r), Course: c.Title, Date: d.Date.In(time.UTC).Format("Monday 2 January 2006"),
		Back: fmt.Sprintf("/admin/dates/%d/register", e.ID), Action: base, Session: session, Marks: certificates.Marks}
	p.Heading = "Register: " + p.Date
	if session != "" {
		p.Heading += ", " + sh.Session.Label()
		p.Action += "?session=" + url.QueryEscape(session)
	}
	if e.Offers(catalog.Online) && session == "" {
		p.Report = base + "/report"
	}
	if len(sh.Sessions) > 1 {
		p.Sessions = append(p.Sessions, web.Link{URL: base, Label: "The whole day"})
		for _, ss := range sh.Sessions {
			p.Sessions = append(p.Sessions, web.Link{URL: base + "?session=" + url.QueryEscape(ss.Key()), Label: ss.Label()})
		}
	}
	for _, row := range sh.Rows {
		mark := row.Mark
		if v, ok := typed[row.Booking.ID]; ok {
			mark = certificates.Mark(v)
		}
		detail := row.Booking.Organisation
		if row.HasMinutes {
			detail += fmt.Sprintf(" · %d minutes in the meeting report", row.Minutes)
		}
		rr := registerRowOf(row.Booking.ID, row.Booking.Name, detail, mark, errs[strconv.FormatInt(row.Booking.ID, 10)])
		rr.Was = string(row.Mark)
		p.Rows = append(p.Rows, rr)
	}
	return p, nil
}

// registerDaySave serves POST /admin/dates/{id}/register/{day}: save
// the marks, or (action=present) mark everyone not yet marked present.
func (s *Server) registerDaySave(w http.ResponseWriter, r *http.Request) {
	c, e, ok := s.registerDate(w, r)
	if !ok {
		return
	}
	d, ok := s.registerDay(w, r, e)
	if !ok {
		return
	}
	session := r.URL.Query().Get("session")
	if err := web.ReadForm(r); err != nil {
		s.web.Error(w, r, err)
		return
	}
	actor := actorOf(r).User.Actor()
	var n int
	var err error
	typed := map[int64]string{}
	if r.PostForm.Get("action") == "present" {
		n, err = s.register.MarkAllPresent(r.Context(), e.ID, d.Date, session, actor)
	} else {
		var entries []certificates.Entry
		for k, vs := range r.PostForm {
			idText, found := strings.CutPrefix(k, "mark-")
			if !found || len(vs) == 0 {
				continue
			}
			id, perr := strconv.ParseInt(idText, 10, 64)
			if perr != nil {
				continue
			}
			typed[id] = vs[0]
			// Only rows the person changed are written, each checked
			// against the mark the page showed (was-<id>): marks someone
			// else saved meanwhile are never overwritten unseen.
			en := certificates.Entry{BookingID: id, Mark: certificates.Mark(vs[0])}
			if was, ok := r.PostForm["was-"+idText]; ok && len(was) > 0 {
				if was[0] == vs[0] {
					continue
				}
				en.Was, en.CheckWas = certificates.Mark(was[0]), true
			}
			entries = append(entries, en)
		}
		slices.SortFunc(entries, func(a, b certificates.Entry) int { return int(a.BookingID - b.BookingID) })
		n, err = s.register.Save(r.Context(), e.ID, d.Date, session, entries, actor)
	}
	var ie certificates.InputError
	if errors.As(err, &ie) {
		p, perr := s.registerDayPage(r, c, e, d, session, typed, ie)
		if perr != nil {
			s.registerError(w, r, perr)
			return
		}
		p.Error = "Some marks could not be saved: nothing was saved. See the rows marked below."
		if _, bad := ie["session"]; bad {
			s.web.NotFound(w, r)
			return
		}
		s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_register_day", p)
		return
	}
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	q := url.Values{"saved": {strconv.Itoa(n)}}
	if session != "" {
		q.Set("session", session)
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/dates/%d/register/%s?%s", e.ID, d.Date, q.Encode()), http.StatusSeeOther)
}

// registerClose serves POST /admin/dates/{id}/register/close: each
// booking becomes attended or no-show by the register, once everyone is
// marked (certificates.Register.Close).
func (s *Server) registerClose(w http.ResponseWriter, r *http.Request) {
	c, e, ok := s.registerDate(w, r)
	if !ok {
		return
	}
	n, err := s.register.Close(r.Context(), e.ID, actorOf(r).User.Actor())
	var ie certificates.InputError
	if errors.As(err, &ie) {
		s.renderRegisterPage(w, r, c, e, http.StatusUnprocessableEntity,
			registerPage{CloseErr: "The register cannot be closed yet: " + ie["register"] + "."})
		return
	}
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/dates/%d/register?saved=closed&changed=%d", e.ID, n), http.StatusSeeOther)
}

// trainerRegisterLinks are a trainer's home page links to the registers
// of the dates they teach, from a week ago on: course editors reach a
// register from the date on the bookings desk.
func (s *Server) trainerRegisterLinks(r *http.Request, courses []catalog.Course) []web.Link {
	sess, _ := sessionOf(r)
	if s.register == nil || !sess.CanSome(account.RegisterTake) {
		return nil
	}
	ids, err := s.register.DatesOf(r.Context(), sess.User.ID)
	if err != nil || len(ids) == 0 {
		return nil
	}
	since := s.web.Now().AddDate(0, 0, -7)
	var out []web.Link
	for _, c := range courses {
		if !sess.Can(account.RegisterTake, c.ID) {
			continue
		}
		for _, e := range c.Events {
			if slices.Contains(ids, e.ID) && e.EndsAt.After(since) && e.Status != catalog.Cancelled {
				out = append(out, web.Link{URL: fmt.Sprintf("/admin/dates/%d/register", e.ID),
					Label: "Register: " + c.Title + ", " + e.DateLabel()})
			}
		}
	}
	return out
}
