package admin

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"plenary/internal/account"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/web"
)

// One date's editor, /admin/dates/{id}/edit: its places, venue, days and
// each day's agenda (add, remove, move up or down, kind), and cancelling
// it with a reason. "Check the changes" runs the save as a dry run
// (catalog.SaveOptions.DryRun, the booking hooks included) and shows what
// changed, how many people would be told and whether the change is
// inside the minimum-notice window; "Save and tell N people" then saves
// through catalog.Store.Save, based on the course version the form was
// opened at, with the confirmation a late change needs. A save based on
// an old version is refused with the typed input kept.

// dateEditPage is the date editor.
type dateEditPage struct {
	web.Base
	CourseID   int64
	Title, Ref string
	EventID    int64
	DateLabel  string
	Version    int
	Action     string
	Form       map[string]string
	formErrors
	Days            []dayEdit
	Kinds           []catalog.AgendaKind
	Check           *changeCheck
	Stale           string
	Cancelled       bool
	ConfirmLateAsks bool
}

// dayEdit is one day of the date with its agenda, as typed.
type dayEdit struct {
	Date, Start, End string
	Items            []itemRow
}

// itemRow is one agenda item as typed.
type itemRow struct{ Kind, Start, End, Title string }

// changeCheck is what a save would do, from a dry run.
type changeCheck struct {
	Cancel   bool
	Changes  []changeRow
	Told     int
	ByStatus []string // "3 confirmed", "1 waitlisted"
	Late     string   // why the change is late; empty when it is not
	// Notice is the notice as the first person told will read it.
	Notice *catalog.Notice
}

// changeRow is one change as the coordinator reads it.
type changeRow struct {
	Label    string
	Old, New []string // one line each
}

// Field is a one-line field of the form.
func (p dateEditPage) Field(name, label, hint string) courseField {
	return courseField{Name: name, Label: label, Hint: hint, Value: p.Form[name], Error: p.Errors[name]}
}

// Cell is a field of day d's row or of its agenda item j (j < 0: the day).
func (p dateEditPage) Cell(prefix string, d, j int, label, value string) courseField {
	name := fmt.Sprintf("%s_%d", prefix, d)
	if j >= 0 {
		name = fmt.Sprintf("%s_%d_%d", prefix, d, j)
	}
	return courseField{Name: name, Label: label, Value: value, Error: p.Errors[name]}
}

// Num counts from 1.
func (p dateEditPage) Num(i int) int { return i + 1 }

var itemOpRE = regexp.MustCompile(`^(add-item|remove-item|up-item|down-item)-([0-9]{1,2})(?:-([0-9]{1,3}))?$`)

// dateEdit serves GET and POST /admin/dates/{id}/edit.
func (s *Server) dateEdit(w http.ResponseWriter, r *http.Request) {
	if s.catalog == nil {
		s.web.NotFound(w, r)
		return
	}
	course, event, ok := s.dateOf(w, r, account.CoursesEdit)
	if !ok {
		return
	}
	id := event.ID
	p := dateEditPage{Base: s.web.Base(r), CourseID: course.ID, Title: course.Title, Ref: event.Ref, EventID: event.ID,
		DateLabel: event.DateLabel(), Version: course.Version, Action: fmt.Sprintf("/admin/dates/%d/edit", id),
		Form: map[string]string{"capacity": strconv.Itoa(event.Capacity), "venue_name": event.Venue.Name,
			"venue_address": event.Venue.Address},
		formErrors: formErrors{Errors: map[string]string{}}, Kinds: catalog.AgendaKinds, Cancelled: event.Status == catalog.Cancelled}
	for _, d := range event.Days {
		de := dayEdit{Date: d.Date.String(), Start: d.Start.String(), End: d.End.String()}
		for _, a := range d.Agenda {
			de.Items = append(de.Items, itemRow{Kind: string(a.Kind), Start: a.Start.String(), End: a.End.String(), Title: a.Title})
		}
		p.Days = append(p.Days, de)
	}
	if r.Method == http.MethodGet {
		s.web.Render(w, r, http.StatusOK, "admin_date", p)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.web.Error(w, r, err)
		return
	}
	p.read(r)
	op := r.PostForm.Get("op")
	if m := itemOpRE.FindStringSubmatch(op); m != nil {
		p.applyItemOp(m)
		s.web.Render(w, r, http.StatusOK, "admin_date", p)
		return
	}
	cancel := op == "check-cancel" || op == "cancel"
	if cancel && strings.TrimSpace(p.Form["reason"]) == "" {
		p.fail("reason", "Reason: say why the date is cancelled; the people booked read it.")
	}
	c, ev := p.build(course, event)
	if cancel {
		ev.Status = catalog.Cancelled
		c.Events[slices.IndexFunc(c.Events, func(e catalog.Event) bool { return e.Ref == ev.Ref })] = ev
	}
	if len(p.Summary) > 0 {
		s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_date", p)
		return
	}
	actor := actorOf(r).User.Actor()
	opts := catalog.SaveOptions{Actor: actor, Now: s.web.Now(), BasedOn: map[string]int{c.Slug: p.Version},
		ConfirmLate: r.PostForm.Get("confirm_late") != ""}
	if cancel {
		opts.Reason = strings.TrimSpace(p.Form["reason"])
	}
	if op == "check" || op == "check-cancel" {
		opts.DryRun = true
	}
	res, err := s.catalog.Save(r.Context(), []*catalog.Course{&c}, opts)
	var stale *catalog.StaleError
	var late *booking.LateChangeError
	var invalid catalog.ValidationError
	switch {
	case errors.As(err, &stale):
		now, rerr := s.catalog.CourseByID(r.Context(), course.ID)
		if rerr != nil {
			s.web.Error(w, r, rerr)
			return
		}
		p.Stale = staleDateMessage(p.Version, now, event.Ref)
		p.Version = now.Version
		s.web.Render(w, r, http.StatusConflict, "admin_date", p)
		return
	case errors.As(err, &late):
		// Not confirmed: show what would happen, with the box to tick.
		opts.DryRun, opts.ConfirmLate = true, false
		if res, err = s.catalog.Save(r.Context(), []*catalog.Course{&c}, opts); err != nil {
			s.web.Error(w, r, err)
			return
		}
		p.Check = checkOf(res[0], ev.Ref, cancel)
		p.fail("confirm_late", "Not saved: the people booked would be told of a change close to the date. Tick the box to confirm, then save again.")
		s.web.Render(w, r, http.StatusConflict, "admin_date", p)
		return
	case errors.As(err, &invalid):
		p.showProblems(invalid, slices.IndexFunc(c.Events, func(e catalog.Event) bool { return e.Ref == ev.Ref }))
		s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_date", p)
		return
	case err != nil:
		s.web.Error(w, r, err)
		return
	}
	if opts.DryRun {
		p.Check = checkOf(res[0], ev.Ref, cancel)
		s.web.Render(w, r, http.StatusOK, "admin_date", p)
		return
	}
	s.web.PurgePages()
	done := "saved"
	if !res[0].Changed {
		done = "unchanged"
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/courses/%d?done=%s#dates", course.ID, done), http.StatusSeeOther)
}

// staleDateMessage says that someone else saved the course meanwhile.
func staleDateMessage(from int, now catalog.Course, ref string) string {
	msg := fmt.Sprintf("Someone else saved this course after you opened this date (you started from version %d; it is now version %d). Nothing of yours was saved: your changes are still in the form below.", from, now.Version)
	for _, e := range now.Events {
		if e.Ref == ref {
			msg += fmt.Sprintf(" The date as saved now: %s, %s, %d places, venue %q.", e.DateLabel(), e.Days[0].TimeRange(e.Location()), e.Capacity, e.Venue.Name)
		}
	}
	return msg
}

// read reads the posted form into the page.
func (p *dateEditPage) read(r *http.Request) {
	pf := r.PostForm
	get := func(k string) string { return strings.TrimSpace(strings.ReplaceAll(pf.Get(k), "\r\n", "\n")) }
	for _, k := range []string{"capacity", "venue_name", "venue_address", "reason"} {
		p.Form[k] = get(k)
	}
	if v, err := strconv.Atoi(pf.Get("version")); err == nil {
		p.Version = v
	}
	p.Days = nil
	for d := 0; pf.Has(fmt.Sprintf("day_date_%d", d)) && d < 31; d++ {
		de := dayEdit{Date: get(fmt.Sprintf("day_date_%d", d)), Start: get(fmt.Sprintf("day_start_%d", d)), End: get(fmt.Sprintf("day_end_%d", d))}
		for j := 0; pf.Has(fmt.Sprintf("a_title_%d_%d", d, j)) && j < 100; j++ {
			de.Items = append(de.Items, itemRow{Kind: get(fmt.Sprintf("a_kind_%d_%d", d, j)), Start: get(fmt.Sprintf("a_start_%d_%d", d, j)),
				End: get(fmt.Sprintf("a_end_%d_%d", d, j)), Title: get(fmt.Sprintf("a_title_%d_%d", d, j))})
		}
		p.Days = append(p.Days, de)
	}
}

// applyItemOp adds, removes or moves an agenda item.
func (p *dateEditPage) applyItemOp(m []string) {
	d, _ := strconv.Atoi(m[2])
	if d >= len(p.Days) {
		return
	}
	items := p.Days[d].Items
	j, _ := strconv.Atoi(m[3])
	switch m[1] {
	case "add-item":
		row := itemRow{Kind: string(catalog.Teaching)}
		if n := len(items); n > 0 {
			row.Start = items[n-1].End
		}
		items = append(items, row)
	case "remove-item":
		items = removeAt(items, j)
	case "up-item":
		items = swap(items, j, j-1)
	case "down-item":
		items = swap(items, j, j+1)
	}
	p.Days[d].Items = items
}

// build puts the form's date into the course in place of the stored one.
func (p *dateEditPage) build(course catalog.Course, stored catalog.Event) (catalog.Course, catalog.Event) {
	e := stored
	e.Venue.Name, e.Venue.Address = p.Form["venue_name"], p.Form["venue_address"]
	n, err := strconv.Atoi(p.Form["capacity"])
	if err != nil {
		p.fail("capacity", "Places: enter a whole number, or 0 for no limit.")
	}
	e.Capacity = n
	e.Days = nil
	for d, row := range p.Days {
		var day catalog.Day
		var err error
		if day.Date, err = catalog.ParseDate(row.Date); err != nil {
			p.fail(fmt.Sprintf("day_date_%d", d), fmt.Sprintf("Day %d: enter the date as YYYY-MM-DD.", d+1))
		}
		if day.Start, err = catalog.ParseClock(row.Start); err != nil {
			p.fail(fmt.Sprintf("day_start_%d", d), fmt.Sprintf("Day %d: enter the start as HH:MM.", d+1))
		}
		if day.End, err = catalog.ParseClock(row.End); err != nil {
			p.fail(fmt.Sprintf("day_end_%d", d), fmt.Sprintf("Day %d: enter the end as HH:MM.", d+1))
		}
		for j, it := range row.Items {
			if it.Title == "" && it.Start == "" && it.End == "" {
				continue // a blank row added and not filled in
			}
			a := catalog.AgendaItem{Kind: catalog.AgendaKind(it.Kind), Title: it.Title}
			if a.Start, err = catalog.ParseClock(it.Start); err != nil {
				p.fail(fmt.Sprintf("a_start_%d_%d", d, j), fmt.Sprintf("Day %d, item %d: enter the start as HH:MM.", d+1, j+1))
			}
			if it.End != "" {
				if a.End, err = catalog.ParseClock(it.End); err != nil {
					p.fail(fmt.Sprintf("a_end_%d_%d", d, j), fmt.Sprintf("Day %d, item %d: enter the end as HH:MM, or leave it empty.", d+1, j+1))
				}
			}
			day.Agenda = append(day.Agenda, a)
		}
		e.Days = append(e.Days, day)
	}
	c := course
	c.Events = slices.Clone(course.Events)
	i := slices.IndexFunc(c.Events, func(x catalog.Event) bool { return x.Ref == stored.Ref })
	c.Events[i] = e
	if len(p.Summary) == 0 {
		c.Normalize()
		if err := c.Validate(); err != nil {
			var v catalog.ValidationError
			errors.As(err, &v)
			p.showProblems(v, i)
		}
	}
	return c, c.Events[i]
}

var datePathRE = regexp.MustCompile(`^events\[([0-9]+)\]\.(?:days\[([0-9]+)\]\.(?:agenda\[([0-9]+)\]|([a-z]+))|([a-z_.]+))`)

// showProblems puts each of the date's problems beside its field: an
// agenda item's beside the item.
func (p *dateEditPage) showProblems(v catalog.ValidationError, index int) {
	for _, fe := range v {
		m := datePathRE.FindStringSubmatch(fe.Path)
		if m == nil {
			continue
		}
		if i, _ := strconv.Atoi(m[1]); i != index {
			continue
		}
		d, _ := strconv.Atoi(m[2])
		switch {
		case m[3] != "":
			j, _ := strconv.Atoi(m[3])
			// Blank rows are left out of the agenda: count back to the row.
			row, seen := j, -1
			for k, it := range p.Days[d].Items {
				if it.Title == "" && it.Start == "" && it.End == "" {
					continue
				}
				if seen++; seen == j {
					row = k
					break
				}
			}
			p.fail(fmt.Sprintf("a_start_%d_%d", d, row), fmt.Sprintf("Day %d, item %d %s.", d+1, row+1, fe.Message))
		case m[4] == "date":
			p.fail(fmt.Sprintf("day_date_%d", d), fmt.Sprintf("Day %d %s.", d+1, fe.Message))
		case m[4] != "":
			p.fail(fmt.Sprintf("day_start_%d", d), fmt.Sprintf("Day %d %s.", d+1, fe.Message))
		case m[5] == "venue.name":
			p.fail("venue_name", "Venue "+fe.Message+".")
		case m[5] == "capacity":
			p.fail("capacity", "Places "+fe.Message+".")
		default:
			p.fail("day_date_0", m[5]+" "+fe.Message+".")
		}
	}
}

// changeWords name the changed fields for the coordinator.
var changeWords = map[catalog.Field]string{
	catalog.FieldDays: "Dates", catalog.FieldDayTimes: "Times", catalog.FieldTimeZone: "Time zone", catalog.FieldFormat: "Format",
	catalog.FieldVenueName: "Venue", catalog.FieldVenueAddress: "Venue address", catalog.FieldVenueDirections: "Directions",
	catalog.FieldMeetingProvider: "Meeting provider", catalog.FieldStatus: "Status", catalog.FieldAgenda: "Agenda",
}

// checkOf reads a dry run's result for the date ref.
func checkOf(res catalog.SaveResult, ref string, cancel bool) *changeCheck {
	ch := &changeCheck{Cancel: cancel}
	for _, ec := range res.EventsChanged {
		if ec.Ref != ref {
			continue
		}
		for _, c := range ec.Changes {
			label := changeWords[c.Field]
			if label == "" {
				label = string(c.Field)
			}
			if c.Day > 0 {
				label += fmt.Sprintf(", day %d", c.Day)
			}
			row := changeRow{Label: label, Old: strings.Split(c.Old, "\n"), New: strings.Split(c.New, "\n")}
			if c.Private {
				row.Old, row.New = []string{"(private)"}, []string{"(changed)"}
			}
			ch.Changes = append(ch.Changes, row)
		}
	}
	for _, rep := range res.Reports {
		if rep.Ref != ref {
			continue
		}
		for _, st := range []string{"confirmed", "pending_review", "offered", "waitlisted"} {
			if n := rep.Told[st]; n > 0 {
				ch.Told += n
				ch.ByStatus = append(ch.ByStatus, fmt.Sprintf("%d %s", n, strings.ReplaceAll(st, "_", " ")))
			}
		}
		ch.Notice = rep.Notice
		var late *booking.LateChangeError
		if errors.As(rep.Refused, &late) {
			ch.Late = late.Message()
		} else if rep.Late {
			ch.Late = "The change falls inside the minimum-notice window"
		}
	}
	return ch
}
