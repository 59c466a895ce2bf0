package admin

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/certificates"
	"plenary/internal/web"
)

// A day's register from a meeting provider's participant report: upload
// (step 1), review the proposed marks and resolve the unmatched rows
// (step 2, as often as needed: the report travels in the form, nothing
// is stored), then save (certificates.Register.Save, audited).

type reportPage struct {
	web.Base
	Course, Date, Heading string
	Back, Action          string
	Zone                  string
	Problems              []string
	Error                 string
	// Set once a report is read.
	Data      string
	Teaching  string
	Rows      []reportRow
	Unmatched []unmatchedRow
}

type reportRow struct {
	registerRow
	Minutes, Joins string
	// Proposed is the report's mark, posted back as proposed-<id> so that
	// "work out the marks again" keeps a mark the person changed; Existing
	// is the mark the register holds now ("" for none), shown beside it.
	Proposed, ProposedLabel, Existing string
}

// reportMaxBody is the report POST's request limit: the largest report
// (certificates.MaxReportBytes), carried again as text in the review
// step's multipart form, with room for the form around it.
const reportMaxBody = certificates.MaxReportBytes + 1<<20

type unmatchedRow struct {
	N                     int
	Key, Name, Email      string
	Lines, Minutes, Error string
	Choice                string
	Options               []web.Link // URL: the value (booking ID), Label: the name
}

// reportShow serves GET /admin/dates/{id}/register/{day}/report.
func (s *Server) reportShow(w http.ResponseWriter, r *http.Request) {
	c, e, ok := s.registerDate(w, r)
	if !ok {
		return
	}
	d, ok := s.registerDay(w, r, e)
	if !ok {
		return
	}
	s.web.Render(w, r, http.StatusOK, "admin_register_report", s.reportBase(r, c, e, d, e.TimeZone))
}

func (s *Server) reportBase(r *http.Request, c catalog.Course, e catalog.Event, d catalog.Day, zone string) reportPage {
	p := reportPage{Base: s.web.Base(r), Course: c.Title, Date: d.Date.In(time.UTC).Format("Monday 2 January 2006"),
		Back: fmt.Sprintf("/admin/dates/%d/register/%s", e.ID, d.Date), Zone: zone}
	p.Action = p.Back + "/report"
	p.Heading = "Register from a meeting report: " + p.Date
	return p
}

// reportPost serves POST /admin/dates/{id}/register/{day}/report: read
// an uploaded report (a file), or one already read (the form's data)
// with the unmatched rows' assignments, and propose; with action=save,
// save the reviewed marks.
func (s *Server) reportPost(w http.ResponseWriter, r *http.Request) {
	c, e, ok := s.registerDate(w, r)
	if !ok {
		return
	}
	d, ok := s.registerDay(w, r, e)
	if !ok {
		return
	}
	// A report larger than the site's request limit is refused here with
	// the rest of the form.
	var data []byte
	if err := r.ParseMultipartForm(reportMaxBody); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		p := s.reportBase(r, c, e, d, e.TimeZone)
		p.Problems = []string{fmt.Sprintf("The file could not be read: it must be a CSV file of at most %d MB.", certificates.MaxReportBytes>>20)}
		s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_register_report", p)
		return
	}
	if r.PostForm == nil {
		if err := web.ReadForm(r); err != nil {
			s.web.Error(w, r, err)
			return
		}
	}
	zone := r.PostFormValue("zone")
	if zone == "" {
		zone = e.TimeZone
	}
	p := s.reportBase(r, c, e, d, zone)
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "Local" {
		p.Problems = []string{fmt.Sprintf("%q is not a time zone: write it as Europe/London.", zone)}
		s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_register_report", p)
		return
	}
	if f, _, err := r.FormFile("report"); err == nil {
		data, err = io.ReadAll(io.LimitReader(f, certificates.MaxReportBytes+1))
		f.Close()
		if err != nil {
			s.web.Error(w, r, err)
			return
		}
	} else {
		data = []byte(r.PostFormValue("data"))
	}
	if len(data) == 0 {
		p.Problems = []string{"Choose the participant report (a CSV file exported from Zoom or Teams)."}
		s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_register_report", p)
		return
	}
	rep, err := certificates.ParseReport(data, loc, d.Date)
	var re *certificates.ReportError
	if errors.As(err, &re) {
		p.Problems = re.Problems
		s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_register_report", p)
		return
	}
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	// The unmatched rows' choices: a booking's ID, -1 to ignore, "" not
	// decided yet.
	assign := map[string]int64{}
	choices := map[string]string{}
	for i := 0; ; i++ {
		key := r.PostFormValue(fmt.Sprintf("ukey-%d", i))
		if key == "" {
			break
		}
		v := r.PostFormValue(fmt.Sprintf("assign-%d", i))
		choices[key] = v
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			assign[key] = n
		}
	}
	prop, err := s.register.Propose(r.Context(), e.ID, d.Date, rep, assign)
	if err != nil {
		s.registerError(w, r, err)
		return
	}
	save := r.PostFormValue("action") == "save"
	if p.Data, err = certificates.ReportText(data); err != nil {
		s.web.Error(w, r, err) // ParseReport read it: never
		return
	}
	p.Teaching = fmt.Sprintf("%d minutes of teaching", prop.TeachingMinutes)
	errs := certificates.InputError{}
	var entries []certificates.Entry
	for _, pr := range prop.Rows {
		id := pr.Row.Booking.ID
		mark := pr.Mark
		posted := r.PostFormValue(fmt.Sprintf("mark-%d", id))
		proposed, shown := r.PostForm[fmt.Sprintf("proposed-%d", id)]
		switch {
		case save && posted != "":
			mark = certificates.Mark(posted)
		case save:
			errs[strconv.FormatInt(id, 10)] = "Choose a mark"
		case posted != "" && shown && len(proposed) > 0 && posted != proposed[0]:
			mark = certificates.Mark(posted) // changed by hand: worked out again, it stays
		}
		// The report's minutes go with its own mark; a mark set by hand
		// instead keeps them only when the report saw the person at all.
		en := certificates.Entry{BookingID: id, Mark: mark}
		if mark == pr.Mark || pr.Minutes > 0 {
			en.Minutes, en.HasMinutes = pr.Minutes, true
		}
		entries = append(entries, en)
		row := reportRow{registerRow: registerRowOf(id, pr.Row.Booking.Name, pr.Row.Booking.Email, mark, ""),
			Minutes: fmt.Sprintf("%d of %d minutes", pr.Minutes, prop.TeachingMinutes), Proposed: string(pr.Mark),
			ProposedLabel: strings.ToLower(pr.Mark.Label())}
		if pr.Row.Mark != "" {
			row.Existing = strings.ToLower(pr.Row.Mark.Label())
		}
		if pr.First != "" {
			row.Joins = fmt.Sprintf("%s–%s, %d %s", pr.First, pr.Last, pr.Joins, plural(pr.Joins, "join", "joins"))
		}
		p.Rows = append(p.Rows, row)
	}
	undecided := false
	for i, u := range prop.Unmatched {
		row := unmatchedRow{N: i, Key: u.Key, Name: u.Name, Email: u.Email, Minutes: fmt.Sprintf("%d minutes", u.Minutes),
			Choice: choices[u.Key], Lines: fmt.Sprint(u.Lines)}
		for _, pr := range prop.Rows {
			row.Options = append(row.Options, web.Link{URL: strconv.FormatInt(pr.Row.Booking.ID, 10), Label: pr.Row.Booking.Name})
		}
		if save && row.Choice == "" {
			row.Error = "Assign this participant to a booking or ignore them"
			undecided = true
		}
		p.Unmatched = append(p.Unmatched, row)
	}
	if !save {
		s.web.Render(w, r, http.StatusOK, "admin_register_report", p)
		return
	}
	if len(errs) > 0 || undecided {
		for i := range p.Rows {
			p.Rows[i].Error = errs[strconv.FormatInt(p.Rows[i].ID, 10)]
		}
		p.Error = "Nothing was saved: resolve the rows marked below."
		s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_register_report", p)
		return
	}
	n, err := s.register.Save(r.Context(), e.ID, d.Date, "", entries, actorOf(r).User.Actor())
	var ie certificates.InputError
	if errors.As(err, &ie) {
		for i := range p.Rows {
			p.Rows[i].Error = ie[strconv.FormatInt(p.Rows[i].ID, 10)]
		}
		p.Error = "Nothing was saved: resolve the rows marked below."
		s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_register_report", p)
		return
	}
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/dates/%d/register/%s?saved=%d", e.ID, d.Date, n), http.StatusSeeOther)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
