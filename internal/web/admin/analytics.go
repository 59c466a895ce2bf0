package admin

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"plenary/internal/analytics"
	"plenary/internal/catalog"
	"plenary/internal/web"
	"plenary/internal/workdays"
)

// The analytics page (/admin/analytics), for staff allowed courses:edit:
// it is about how the courses are presented and found, which is the
// course editors' business, and it shows no person, so it needs none of
// the bookings permissions. A user limited to some courses sees those
// courses' funnels only, and their total; the other pages and the
// referring sites, which are site-wide, are left out for them. It reads the page views counted for
// visitors who accepted analytics cookies (internal/analytics): views
// per course, and the funnel course page → booking form → booking, per
// course and per date, for a period of UK days chosen in a GET form.
// Every step of the funnel counts the same people (those who accepted),
// so its rates compare like with like; bookings by everyone else are on
// the bookings desk.

// analyticsDefaultDays is the period shown when none is chosen: the last
// 30 UK days, today included.
const analyticsDefaultDays = 30

// analyticsPage is the analytics page.
type analyticsPage struct {
	web.Base
	From, To  string // as typed, or the default period
	Errors    map[string]string
	Summary   []fieldError
	Period    string // in words, when the period is good
	Courses   []courseViews
	Other     []analytics.PathViews // pages that are no course's
	Referrers []analytics.HostViews
	Total     int64
	// Limited: the viewer sees only the courses they are limited to.
	Limited bool
}

// courseViews is one course's funnel in the period.
type courseViews struct {
	Title, Slug        string
	Page, Form, Booked int64
	Dates              []dateViews
}

// dateViews is one date's part of the funnel: its booking form and the
// bookings made on it.
type dateViews struct {
	Label        string
	Form, Booked int64
}

// Rate says what share of from went on to the next step, as "25%", or
// "–" when there was no one to go on.
func rate(from, to int64) string {
	if from == 0 {
		return "–"
	}
	return strconv.FormatInt((to*100+from/2)/from, 10) + "%"
}

func (c courseViews) FormRate() string   { return rate(c.Page, c.Form) }
func (c courseViews) BookedRate() string { return rate(c.Form, c.Booked) }
func (d dateViews) BookedRate() string   { return rate(d.Form, d.Booked) }

// analyticsShow serves GET /admin/analytics.
func (s *Server) analyticsShow(w http.ResponseWriter, r *http.Request) {
	if s.pageViews == nil || s.bookings == nil {
		s.web.NotFound(w, r)
		return
	}
	p := analyticsPage{Base: s.web.Base(r), Errors: map[string]string{}}
	period, ok := s.readPeriod(r, &p)
	if !ok {
		s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_analytics", p)
		return
	}
	ctx := r.Context()
	views, err := s.pageViews.ByPath(ctx, period)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	courses, err := s.viewedCourses(ctx, views)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	if limit := courseLimit(r); limit != nil {
		// Only the courses the viewer may edit; nothing site-wide.
		p.Limited = true
		courses = slices.DeleteFunc(courses, func(c catalog.Course) bool { return !slices.Contains(limit, c.ID) })
		p.Courses, _, _ = funnel(courses, views)
		for _, c := range p.Courses {
			p.Total += c.Page + c.Form + c.Booked
		}
		s.web.Render(w, r, http.StatusOK, "admin_analytics", p)
		return
	}
	if p.Referrers, err = s.pageViews.Referrers(ctx, period, 10); err != nil {
		s.web.Error(w, r, err)
		return
	}
	p.Courses, p.Other, p.Total = funnel(courses, views)
	s.web.Render(w, r, http.StatusOK, "admin_analytics", p)
}

// viewedCourses reads the courses and dates the views name — a course's
// page, a date's booking form or its "booked" page — as funnel wants
// them: each course (by title) with those of its dates, soonest first.
// Only these are read, however many courses and dates the catalogue has.
func (s *Server) viewedCourses(ctx context.Context, views []analytics.PathViews) ([]catalog.Course, error) {
	var slugs []string
	var dateIDs []int64
	for _, v := range views {
		if slug, ok := strings.CutPrefix(v.Path, "/courses/"); ok && slug != "" && !strings.Contains(slug, "/") {
			slugs = append(slugs, slug)
			continue
		}
		rest, ok := strings.CutPrefix(v.Path, "/events/")
		if !ok {
			continue
		}
		id, page, _ := strings.Cut(rest, "/")
		if n, err := strconv.ParseInt(id, 10, 64); err == nil && n > 0 && (page == "book" || page == "booked") {
			dateIDs = append(dateIDs, n)
		}
	}
	slices.Sort(dateIDs)
	dateIDs = slices.Compact(dateIDs)
	var dates []catalog.DateOption
	if len(dateIDs) > 0 {
		var err error
		if dates, err = s.catalog.DateOptions(ctx, catalog.DateOptionFilter{IDs: dateIDs}); err != nil {
			return nil, err
		}
	}
	courseIDs := make([]int64, 0, len(dates))
	for _, d := range dates {
		courseIDs = append(courseIDs, d.CourseID)
	}
	slices.Sort(courseIDs)
	refs, err := s.catalog.CourseRefs(ctx, slugs, slices.Compact(courseIDs))
	if err != nil {
		return nil, err
	}
	out := make([]catalog.Course, len(refs))
	at := make(map[int64]int, len(refs))
	for i, c := range refs {
		out[i] = catalog.Course{ID: c.ID, Slug: c.Slug, Title: c.Title}
		at[c.ID] = i
	}
	for _, d := range slices.Backward(dates) { // dates come newest first
		if i, ok := at[d.CourseID]; ok {
			out[i].Events = append(out[i].Events, d.Event())
		}
	}
	return out, nil
}

// readPeriod reads from and to (YYYY-MM-DD, UK days, both included),
// with a message beside each field it cannot use; both empty is the last
// analyticsDefaultDays days.
func (s *Server) readPeriod(r *http.Request, p *analyticsPage) (analytics.Period, bool) {
	q := r.URL.Query()
	p.From, p.To = strings.TrimSpace(q.Get("from")), strings.TrimSpace(q.Get("to"))
	today := workdays.DateOf(s.web.Now().In(ukTime))
	bad := func(field, msg string) {
		p.Errors[field] = msg
		p.Summary = append(p.Summary, fieldError{Anchor: field, Message: msg})
	}
	day := func(field, v string, dflt workdays.Date) workdays.Date {
		if v == "" {
			return dflt
		}
		d, err := workdays.ParseDate(v)
		if err != nil {
			bad(field, "Enter a date as YYYY-MM-DD, for example 2026-03-27.")
		}
		return d
	}
	period := analytics.Period{
		From: day("from", p.From, today.AddDays(1-analyticsDefaultDays)),
		To:   day("to", p.To, today),
	}
	if len(p.Errors) == 0 && period.To.In(ukTime).Before(period.From.In(ukTime)) {
		bad("to", "The end date must be on or after the start date.")
	}
	if len(p.Errors) > 0 {
		return period, false
	}
	if p.From == "" {
		p.From = period.From.String()
	}
	if p.To == "" {
		p.To = period.To.String()
	}
	p.Period = dayLabel(period.From) + " to " + dayLabel(period.To)
	return period, true
}

// funnel sorts the views by path into each course's funnel (courses in
// the catalogue's order, only those with views) and the other pages; and
// adds up every view.
func funnel(courses []catalog.Course, views []analytics.PathViews) (out []courseViews, other []analytics.PathViews, total int64) {
	byPath := map[string]int64{}
	for _, v := range views {
		byPath[v.Path] = v.Views
		total += v.Views
	}
	used := map[string]bool{}
	take := func(path string) int64 {
		used[path] = true
		return byPath[path]
	}
	for _, c := range courses {
		cv := courseViews{Title: c.Title, Slug: c.Slug, Page: take("/courses/" + c.Slug)}
		for _, e := range c.Events {
			d := dateViews{Form: take(fmt.Sprintf("/events/%d/book", e.ID)), Booked: take(fmt.Sprintf("/events/%d/booked", e.ID))}
			if d.Form == 0 && d.Booked == 0 {
				continue
			}
			d.Label = fmt.Sprintf("Date %d", e.ID)
			if len(e.Days) > 0 {
				d.Label = dayLabel(e.Days[0].Date)
			}
			cv.Form += d.Form
			cv.Booked += d.Booked
			cv.Dates = append(cv.Dates, d)
		}
		if cv.Page > 0 || len(cv.Dates) > 0 {
			out = append(out, cv)
		}
	}
	for _, v := range views {
		if !used[v.Path] {
			other = append(other, v)
		}
	}
	return out, other, total
}
