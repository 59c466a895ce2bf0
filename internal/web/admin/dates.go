package admin

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"plenary/internal/account"
	"plenary/internal/catalog"
	"plenary/internal/web"
	"plenary/internal/workdays"
)

// Adding dates to a course from the browser: /admin/courses/{id}/dates/new
// adds one date, or many from a rule (weekly, or the nth weekday monthly;
// until a day or a count, at most catalog.MaxDatesAtOnce; days left out
// and extra days). Its "Preview" button lists the dates the rule makes,
// flagging every day on a bank holiday of the date's region; "Add these
// N dates" saves them all in one catalog.Store.Save (all or none), based
// on the course version the form was opened at. Times are wall-clock in
// the date's zone, so a clock change between two dates never moves them.
// /admin/dates/{id}/copy runs a date again: a copy on a new first day with
// its days, times and agenda. No JavaScript anywhere.

// datesPage is the form that adds dates, or copies one (Copy set).
type datesPage struct {
	web.Base
	CourseID int64
	Title    string
	Version  int
	Action   string

	Form map[string]string
	formErrors
	Days []dayRow

	Regions []choiceOpt
	Formats []choiceOpt
	Repeats []choiceOpt
	Nths    []choiceOpt

	// Preview lists the dates the form makes, after "Preview".
	Preview   []previewDate
	RuleLabel string
	Holidays  int
	// Stale says someone saved the course after the form was opened.
	Stale string

	// Copy is the date copied, in copy mode.
	Copy *courseDate
}

// dayRow is one day of the date being added, as typed.
type dayRow struct{ Date, Start, End string }

// choiceOpt is one choice of a select or a set of radios.
type choiceOpt struct{ Value, Label string }

// previewDate is one date the form would add.
type previewDate struct {
	Date, Times string
	// Holidays name the bank holidays its days fall on: "Monday 25
	// December 2028: Christmas Day (substitute day)".
	Holidays []string
}

// Field is a one-line field of the form.
func (p datesPage) Field(name, label, hint string) courseField {
	return courseField{Name: name, Label: label, Hint: hint, Value: p.Form[name], Error: p.Errors[name]}
}

// selectField is a select of the form (dates_select).
type selectField struct {
	Name, Label, Value, Error string
	Options                   []choiceOpt
}

// Select is a select of the form.
func (p datesPage) Select(name, label string, opts []choiceOpt) selectField {
	return selectField{Name: name, Label: label, Value: p.Form[name], Error: p.Errors[name], Options: opts}
}

// DayField is a field of day row i.
func (p datesPage) DayField(prefix string, i int, label, value string) courseField {
	name := fmt.Sprintf("%s_%d", prefix, i)
	return courseField{Name: name, Label: label, Value: value, Error: p.Errors[name]}
}

// Num counts rows from 1.
func (p datesPage) Num(i int) int { return i + 1 }

// newDatesPage starts the form for course c, with the defaults of a new
// date: the UK zone and region, in person, one day 10:00–16:00.
func (s *Server) newDatesPage(r *http.Request, c catalog.Course) datesPage {
	p := datesPage{Base: s.web.Base(r), CourseID: c.ID, Title: c.Title, Version: c.Version,
		Action: fmt.Sprintf("/admin/courses/%d/dates/new", c.ID),
		Form: map[string]string{"time_zone": catalog.DefaultTimeZone, "format": string(catalog.InPerson), "capacity": "20",
			"repeat": string(catalog.Once), "every": "1"},
		formErrors: formErrors{Errors: map[string]string{}}, Days: []dayRow{{Start: "10:00", End: "16:00"}},
		Repeats: []choiceOpt{{string(catalog.Once), "Once: just this date (and any extra days below)"},
			{string(catalog.Weekly), "Weekly, on the first day's weekday"},
			{string(catalog.Monthly), "Monthly, on the nth weekday (e.g. the 2nd Tuesday)"}},
		Nths: []choiceOpt{{"", "The same as the first day's"}, {"1", "1st"}, {"2", "2nd"}, {"3", "3rd"}, {"4", "4th"}, {"-1", "Last"}},
	}
	p.Regions = []choiceOpt{{"", "The install's default region"}}
	for _, rg := range workdays.Regions() {
		p.Regions = append(p.Regions, choiceOpt{string(rg), rg.Title()})
	}
	for _, f := range catalog.Formats {
		p.Formats = append(p.Formats, choiceOpt{string(f), f.Label()})
	}
	// A new date looks like the course's last one: same zone, place and
	// hours.
	if n := len(c.Events); n > 0 {
		e := c.Events[n-1]
		p.Form["time_zone"], p.Form["region"], p.Form["format"] = e.TimeZone, e.Region, string(e.Format)
		p.Form["capacity"] = strconv.Itoa(e.Capacity)
		p.Form["venue_name"], p.Form["venue_address"] = e.Venue.Name, e.Venue.Address
		p.Days = nil
		for _, d := range e.Days {
			p.Days = append(p.Days, dayRow{Start: d.Start.String(), End: d.End.String()})
		}
	}
	return p
}

// datesFields are the form's one-value fields.
var datesFields = []string{"time_zone", "region", "format", "capacity", "venue_name", "venue_address", "repeat", "every",
	"nth", "until", "count", "except", "extra"}

var dayOpRE = regexp.MustCompile(`^remove-day-([0-9]{1,2})$`)

// datesNew serves GET and POST /admin/courses/{id}/dates/new.
func (s *Server) datesNew(w http.ResponseWriter, r *http.Request) {
	stored, ok := s.courseOf(w, r)
	if !ok {
		return
	}
	p := s.newDatesPage(r, stored)
	if r.Method == http.MethodGet {
		s.web.Render(w, r, http.StatusOK, "admin_dates", p)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.web.Error(w, r, err)
		return
	}
	pf := r.PostForm
	for _, k := range datesFields {
		p.Form[k] = strings.ReplaceAll(pf.Get(k), "\r\n", "\n")
	}
	if v, err := strconv.Atoi(pf.Get("version")); err == nil {
		p.Version = v
	}
	p.Days = nil
	for i := 0; pf.Has(fmt.Sprintf("day_date_%d", i)) && i < 31; i++ {
		p.Days = append(p.Days, dayRow{Date: strings.TrimSpace(pf.Get(fmt.Sprintf("day_date_%d", i))),
			Start: strings.TrimSpace(pf.Get(fmt.Sprintf("day_start_%d", i))), End: strings.TrimSpace(pf.Get(fmt.Sprintf("day_end_%d", i)))})
	}
	op := pf.Get("op")
	switch {
	case op == "add-day":
		row := dayRow{Start: "10:00", End: "16:00"}
		if n := len(p.Days); n > 0 {
			row.Start, row.End = p.Days[n-1].Start, p.Days[n-1].End
		}
		p.Days = append(p.Days, row)
		s.web.Render(w, r, http.StatusOK, "admin_dates", p)
		return
	case dayOpRE.MatchString(op):
		i, _ := strconv.Atoi(dayOpRE.FindStringSubmatch(op)[1])
		if len(p.Days) > 1 {
			p.Days = removeAt(p.Days, i)
		}
		s.web.Render(w, r, http.StatusOK, "admin_dates", p)
		return
	}
	c, added := p.build(stored)
	if len(p.Summary) > 0 {
		s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_dates", p)
		return
	}
	if op != "add" {
		s.previewDates(&p, added)
		s.web.Render(w, r, http.StatusOK, "admin_dates", p)
		return
	}
	if !s.saveDates(w, r, &p, &c) {
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/courses/%d?done=dates-%d#dates", c.ID, len(added)), http.StatusSeeOther)
}

// build reads the form into the course with its new dates added, putting
// a message beside each field it cannot read.
func (p *datesPage) build(stored catalog.Course) (catalog.Course, []catalog.Event) {
	f := p.Form
	e := catalog.Event{TimeZone: strings.TrimSpace(f["time_zone"]), Region: strings.TrimSpace(f["region"]),
		Format: catalog.Format(f["format"]),
		Venue:  catalog.Venue{Name: strings.TrimSpace(f["venue_name"]), Address: strings.TrimSpace(f["venue_address"])}}
	if v := strings.TrimSpace(f["capacity"]); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			p.fail("capacity", "Places: enter a whole number, or 0 for no limit.")
		}
		e.Capacity = n
	}
	for i, row := range p.Days {
		var d catalog.Day
		var err error
		if d.Date, err = catalog.ParseDate(row.Date); err != nil {
			p.fail(fmt.Sprintf("day_date_%d", i), fmt.Sprintf("Day %d: enter the date as YYYY-MM-DD, for example 2027-10-19.", i+1))
		}
		if d.Start, err = catalog.ParseClock(row.Start); err != nil {
			p.fail(fmt.Sprintf("day_start_%d", i), fmt.Sprintf("Day %d: enter the start as HH:MM, for example 10:00.", i+1))
		}
		if d.End, err = catalog.ParseClock(row.End); err != nil {
			p.fail(fmt.Sprintf("day_end_%d", i), fmt.Sprintf("Day %d: enter the end as HH:MM, for example 16:00.", i+1))
		}
		e.Days = append(e.Days, d)
	}
	rule := catalog.Recurrence{Repeat: catalog.Repeat(f["repeat"])}
	if len(e.Days) > 0 {
		rule.First = e.Days[0].Date
	}
	num := func(name, msg string) int {
		v := strings.TrimSpace(f[name])
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			p.fail(name, msg)
		}
		return n
	}
	rule.Every = num("every", "Every: enter a whole number of weeks or months, such as 2.")
	rule.Count = num("count", "Number of dates: enter a whole number, up to 100.")
	if v := strings.TrimSpace(f["nth"]); v != "" && rule.Repeat == catalog.Monthly {
		rule.Nth = num("nth", "Choose which weekday of the month.")
		if !rule.First.IsZero() {
			rule.Weekday = rule.First.Weekday()
		}
	}
	if v := strings.TrimSpace(f["until"]); v != "" {
		d, err := catalog.ParseDate(v)
		if err != nil {
			p.fail("until", "Last day: enter a date as YYYY-MM-DD.")
		}
		rule.Until = d
	}
	days := func(name, label string) []catalog.Date {
		var out []catalog.Date
		for _, part := range strings.FieldsFunc(f[name], func(r rune) bool { return r == ',' || r == '\n' || r == ' ' }) {
			d, err := catalog.ParseDate(part)
			if err != nil {
				p.fail(name, fmt.Sprintf("%s: %q is not a date as YYYY-MM-DD.", label, part))
				continue
			}
			out = append(out, d)
		}
		return out
	}
	rule.Except, rule.Extra = days("except", "Days left out"), days("extra", "Extra days")
	if len(p.Summary) > 0 {
		return stored, nil
	}
	firsts, err := rule.Dates()
	var re *catalog.RuleError
	if errors.As(err, &re) {
		field := map[string]string{"first": "day_date_0", "repeat": "repeat"}[re.Field]
		if field == "" {
			field = re.Field
		}
		p.fail(field, ruleLabels[re.Field]+": "+re.Message+".")
		return stored, nil
	}
	p.RuleLabel = rule.Label()
	c := stored
	c.Events = append([]catalog.Event(nil), stored.Events...)
	c.AddDates(e, firsts)
	c.Normalize()
	if err := c.Validate(); err != nil {
		var v catalog.ValidationError
		errors.As(err, &v)
		p.showEventProblems(v, len(stored.Events))
	}
	return c, c.Events[len(stored.Events):]
}

// ruleLabels name the rule's fields in messages.
var ruleLabels = map[string]string{"first": "First day", "repeat": "Repeat", "every": "Every", "until": "Last day",
	"count": "Number of dates", "nth": "Weekday of the month", "except": "Days left out", "extra": "Extra days"}

// eventPathRE reads a new date's problem: "events[3].venue.name",
// "events[3].days[1].time", "events[3].days[0].agenda[2]".
var eventPathRE = regexp.MustCompile(`^events\[([0-9]+)\]\.(?:days\[([0-9]+)\]\.)?([a-z_.]+)`)

// showEventProblems puts each problem of the new dates (those from index
// from on) beside its field, once: every new date is made from the same
// form, so they share their problems.
func (p *datesPage) showEventProblems(v catalog.ValidationError, from int) {
	seen := map[string]bool{}
	for _, fe := range v {
		m := eventPathRE.FindStringSubmatch(fe.Path)
		if m == nil {
			continue
		}
		if i, _ := strconv.Atoi(m[1]); i < from {
			continue // a stored date's problem is not this form's
		}
		field, label := "", ""
		if m[2] != "" {
			day, _ := strconv.Atoi(m[2])
			label = fmt.Sprintf("Day %d", day+1)
			switch {
			case m[3] == "date":
				field = fmt.Sprintf("day_date_%d", day)
			case strings.HasPrefix(m[3], "agenda"):
				field = fmt.Sprintf("day_start_%d", day)
				label += " agenda"
			default:
				field = fmt.Sprintf("day_start_%d", day)
			}
		} else {
			field, label = map[string]string{"time_zone": "time_zone", "region": "region", "format": "format",
				"capacity": "capacity", "venue.name": "venue_name", "venue.address": "venue_address", "days": "day_date_0",
				"ref": "day_date_0"}[m[3]], map[string]string{"time_zone": "Time zone", "region": "Region", "format": "Format",
				"capacity": "Places", "venue.name": "Venue", "venue.address": "Venue address", "days": "Days", "ref": "Date"}[m[3]]
			if field == "" {
				field, label = "day_date_0", "Date"
			}
		}
		msg := label + " " + fe.Message + "."
		if seen[field+msg] {
			continue
		}
		seen[field+msg] = true
		p.fail(field, msg)
	}
}

// previewDates lists the new dates with their times and the bank
// holidays their days fall on.
func (s *Server) previewDates(p *datesPage, added []catalog.Event) {
	var cal *workdays.Calendar
	if s.bookings != nil {
		cal = s.bookings.Calendar()
	}
	p.Preview, p.Holidays = nil, 0
	for _, e := range added {
		pd := previewDate{Date: e.DateLabel(), Times: e.Days[0].TimeRange(e.Location())}
		if cal != nil {
			for _, d := range e.Days {
				if name, ok := cal.Holiday(workdays.Region(e.Region), d.Date); ok {
					pd.Holidays = append(pd.Holidays, dayLabel(d.Date)+": "+name)
				}
			}
		}
		if len(pd.Holidays) > 0 {
			p.Holidays++
		}
		p.Preview = append(p.Preview, pd)
	}
}

// saveDates saves c, based on the form's version; on a refusal it writes
// the form again with the reason and reports false.
func (s *Server) saveDates(w http.ResponseWriter, r *http.Request, p *datesPage, c *catalog.Course) bool {
	_, err := s.catalog.Save(r.Context(), []*catalog.Course{c}, catalog.SaveOptions{Actor: actorOf(r).User.Actor(),
		Now: s.web.Now(), BasedOn: map[string]int{c.Slug: p.Version}})
	var stale *catalog.StaleError
	var invalid catalog.ValidationError
	switch {
	case errors.As(err, &stale):
		now, rerr := s.catalog.CourseByID(r.Context(), c.ID)
		if rerr != nil {
			s.web.Error(w, r, rerr)
			return false
		}
		p.Stale = fmt.Sprintf("Someone else saved this course after you opened this form (you started from version %d; it is now version %d). Nothing was added. Check the course's dates, then add again: your entries are kept below.", p.Version, now.Version)
		p.Version = now.Version
		p.Preview = nil
		s.web.Render(w, r, http.StatusConflict, "admin_dates", p)
		return false
	case errors.As(err, &invalid):
		p.showEventProblems(invalid, 0)
		s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_dates", p)
		return false
	case err != nil:
		s.web.Error(w, r, err)
		return false
	}
	s.web.PurgePages()
	return true
}

// dateCopy serves GET and POST /admin/dates/{id}/copy: the date copied to
// a new first day, with its days, times and agenda (catalog.Event.MoveTo).
func (s *Server) dateCopy(w http.ResponseWriter, r *http.Request) {
	if s.catalog == nil {
		s.web.NotFound(w, r)
		return
	}
	course, event, ok := s.dateOf(w, r, account.CoursesEdit)
	if !ok {
		return
	}
	id := event.ID
	p := s.newDatesPage(r, course)
	p.Action = fmt.Sprintf("/admin/dates/%d/copy", id)
	p.Copy = &courseDate{ID: event.ID, Ref: event.Ref, Date: event.DateLabel(), Times: event.Days[0].TimeRange(event.Location()),
		Format: event.Format.Label(), Capacity: event.Capacity}
	if r.Method == http.MethodGet {
		s.web.Render(w, r, http.StatusOK, "admin_dates", p)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.web.Error(w, r, err)
		return
	}
	if v, err := strconv.Atoi(r.PostForm.Get("version")); err == nil {
		p.Version = v
	}
	p.Form["first_day"] = strings.TrimSpace(r.PostForm.Get("first_day"))
	first, err := catalog.ParseDate(p.Form["first_day"])
	if err != nil {
		p.fail("first_day", "New first day: enter the date as YYYY-MM-DD, for example 2027-10-19.")
		s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_dates", p)
		return
	}
	c := course
	c.Events = append([]catalog.Event(nil), course.Events...)
	added := c.AddDates(event, []catalog.Date{first})
	c.Normalize()
	if err := c.Validate(); err != nil {
		var v catalog.ValidationError
		errors.As(err, &v)
		for _, fe := range v {
			p.fail("first_day", "New first day: the copy "+fe.Message+".")
		}
		s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_dates", p)
		return
	}
	if !s.saveDates(w, r, &p, &c) {
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/courses/%d?done=copied&ref=%s#dates", c.ID, added[0].Ref), http.StatusSeeOther)
}
