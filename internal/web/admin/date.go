package admin

import (
	"crypto/sha256"
	"encoding/hex"
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
	"plenary/internal/workdays"
)

// One date's editor, /admin/dates/{id}/edit: its places, time zone,
// bank-holiday region, format and venue, its days (add one, remove one,
// change their dates and times) and each day's agenda (add, remove, move
// up or down, kind), and cancelling it with a reason. "Check the changes"
// runs the save as a dry run (catalog.SaveOptions.DryRun, the booking
// hooks included) and shows what changed, how many people would be told
// and whether the change is inside the minimum-notice window; "Save and
// tell N people" then saves through catalog.Store.Save, based on the
// course version the form was opened at, with the confirmation a late
// change needs. Times are wall-clock in the date's zone: changing the
// zone keeps them as typed. A day in the past, or one with marks on its
// register, can be neither removed nor moved, and no day is added in the
// past.
//
// The form carries a short hash of each of its fields as opened
// (was_<field>, dateFields). A save based on an old version takes, field
// by field, what others saved meanwhile where this person left the field
// alone, keeps what this person changed where nobody else did, and is
// refused, with a message beside each, only for the fields both changed:
// nothing is then saved (the people booked are told once, of what was
// checked), the form shows the other person's value in the message and
// keeps what was typed, and saving again uses it.

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
	// Was is a short hash of each of dateFields as the form was opened
	// (or last brought up to date with others' saves), posted back as
	// was_<key>.
	Was map[string]string
	formErrors
	Days             []dayEdit
	Kinds            []catalog.AgendaKind
	Regions, Formats []choiceOpt
	Check            *changeCheck
	// Stale says someone else saved the course after the form was
	// opened, and what became of it.
	Stale string
	// Merged says the form was brought up to date with others' saves
	// without a field both changed: a notice, not an error.
	Merged          bool
	Cancelled       bool
	ConfirmLateAsks bool
}

// dayEdit is one day of the date with its agenda, as typed.
type dayEdit struct {
	Date, Start, End string
	// Was is the day's date as stored when the form was opened; "" for
	// a day added in this form.
	Was   string
	Items []itemRow
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
	// Staff are changes the people booked are not told of (the
	// bank-holiday region).
	Staff []changeRow
}

// changeRow is one change as the coordinator reads it.
type changeRow struct {
	Label    string
	Old, New []string // one line each
}

// dateField is one field of the date as a stale save merges it.
type dateField struct{ key, label string }

// dateFields are the date's fields, each merged on its own when a save
// is based on an old version; "days" is the days with their times and
// agendas, as one.
var dateFields = []dateField{{"capacity", "Places"}, {"time_zone", "Time zone"}, {"region", "Bank holidays of"},
	{"format", "Format"}, {"venue_name", "Venue"}, {"venue_address", "Venue address"}, {"venue_directions", "Directions"},
	{"days", "Days, times and agenda"}}

// dateValue is field k of e as text: what the form shows, and what a
// stale save compares.
func dateValue(e catalog.Event, k string) string {
	switch k {
	case "capacity":
		return strconv.Itoa(e.Capacity)
	case "time_zone":
		return e.TimeZone
	case "region":
		return e.Region
	case "format":
		return string(e.Format)
	case "venue_name":
		return e.Venue.Name
	case "venue_address":
		return e.Venue.Address
	case "venue_directions":
		return e.Venue.Directions
	case "days":
		return scheduleText(e)
	}
	return ""
}

// setDateValue copies field k of src into dst.
func setDateValue(dst *catalog.Event, src catalog.Event, k string) {
	switch k {
	case "capacity":
		dst.Capacity = src.Capacity
	case "time_zone":
		dst.TimeZone = src.TimeZone
	case "region":
		dst.Region = src.Region
	case "format":
		dst.Format = src.Format
	case "venue_name":
		dst.Venue.Name = src.Venue.Name
	case "venue_address":
		dst.Venue.Address = src.Venue.Address
	case "venue_directions":
		dst.Venue.Directions = src.Venue.Directions
	case "days":
		dst.Days = src.Days
	}
}

// scheduleText is e's days, times and agendas on one line each day.
func scheduleText(e catalog.Event) string {
	var days []string
	for i, d := range e.Days {
		line := d.Date.String() + " " + d.Start.String() + "–" + d.End.String()
		if ag := strings.ReplaceAll(dayAgendaText(d), "\n", "; "); ag != "" {
			line += " (" + ag + ")"
		}
		days = append(days, fmt.Sprintf("day %d: %s", i+1, line))
	}
	return strings.Join(days, "; ")
}

func dayAgendaText(d catalog.Day) string {
	lines := make([]string, len(d.Agenda))
	for j, a := range d.Agenda {
		t := a.Start.String()
		if a.HasEnd() {
			t += "–" + a.End.String()
		}
		lines[j] = t + " " + string(a.Kind) + " " + a.Title
	}
	return strings.Join(lines, "\n")
}

// wasHash is the short hash of a field's value the form carries.
func wasHash(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:6])
}

// fieldAnchor is the form field beside which field k's messages go.
func fieldAnchor(k string) string { return k }

// Field is a one-line field of the form.
func (p dateEditPage) Field(name, label, hint string) courseField {
	return courseField{Name: name, Label: label, Hint: hint, Value: p.Form[name], Error: p.Errors[name]}
}

// Select is a select of the form.
func (p dateEditPage) Select(name, label string, opts []choiceOpt) selectField {
	return selectField{Name: name, Label: label, Value: p.Form[name], Error: p.Errors[name], Options: opts}
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

var (
	itemOpRE = regexp.MustCompile(`^(add-item|remove-item|up-item|down-item)-([0-9]{1,2})(?:-([0-9]{1,3}))?$`)
	dayEdRE  = regexp.MustCompile(`^remove-day-([0-9]{1,2})$`)
)

// newDateEditPage is the editor with the stored date e of course.
func (s *Server) newDateEditPage(r *http.Request, course catalog.Course, e catalog.Event) dateEditPage {
	p := dateEditPage{Base: s.web.Base(r), CourseID: course.ID, Title: course.Title, Ref: e.Ref, EventID: e.ID,
		DateLabel: e.DateLabel(), Version: course.Version, Action: fmt.Sprintf("/admin/dates/%d/edit", e.ID),
		Form: map[string]string{}, Was: map[string]string{},
		formErrors: formErrors{Errors: map[string]string{}}, Kinds: catalog.AgendaKinds, Cancelled: e.Status == catalog.Cancelled}
	p.Regions = []choiceOpt{{"", "The install's default region"}}
	for _, rg := range workdays.Regions() {
		p.Regions = append(p.Regions, choiceOpt{string(rg), rg.Title()})
	}
	for _, f := range catalog.Formats {
		p.Formats = append(p.Formats, choiceOpt{string(f), f.Label()})
	}
	for _, f := range dateFields {
		p.takeNow(e, f.key)
		p.Was[f.key] = wasHash(dateValue(e, f.key))
	}
	return p
}

// takeNow puts field k of the stored date e into the form.
func (p *dateEditPage) takeNow(e catalog.Event, k string) {
	if k != "days" {
		p.Form[k] = dateValue(e, k)
		return
	}
	p.Days = nil
	for _, d := range e.Days {
		de := dayEdit{Date: d.Date.String(), Start: d.Start.String(), End: d.End.String(), Was: d.Date.String()}
		for _, a := range d.Agenda {
			de.Items = append(de.Items, itemRow{Kind: string(a.Kind), Start: a.Start.String(), End: a.End.String(), Title: a.Title})
		}
		p.Days = append(p.Days, de)
	}
}

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
	p := s.newDateEditPage(r, course, event)
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
	if op == "add-day" {
		p.addDay()
		s.web.Render(w, r, http.StatusOK, "admin_date", p)
		return
	}
	if m := dayEdRE.FindStringSubmatch(op); m != nil {
		d, _ := strconv.Atoi(m[1])
		status := http.StatusOK
		if err := s.removeDay(r, &p, event, d); err != nil {
			s.web.Error(w, r, err)
			return
		}
		if len(p.Summary) > 0 {
			status = http.StatusUnprocessableEntity
		}
		s.web.Render(w, r, status, "admin_date", p)
		return
	}
	cancel := op == "check-cancel" || op == "cancel"
	if cancel && strings.TrimSpace(p.Form["reason"]) == "" {
		p.fail("reason", "Reason: say why the date is cancelled; the people booked read it.")
	}
	c, ev := p.build(course, event)
	if len(p.Summary) == 0 && p.Version != course.Version {
		c, ev = p.merge(course, event, ev)
	}
	if len(p.Summary) == 0 {
		if err := s.guardDays(r, &p, event, ev); err != nil {
			s.web.Error(w, r, err)
			return
		}
	}
	if cancel {
		ev.Status = catalog.Cancelled
		c.Events[slices.IndexFunc(c.Events, func(e catalog.Event) bool { return e.Ref == ev.Ref })] = ev
	}
	if len(p.Summary) > 0 {
		status := http.StatusUnprocessableEntity
		if p.Stale != "" {
			status = http.StatusConflict
		}
		s.web.Render(w, r, status, "admin_date", p)
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
		// Saved by someone else during this very request: say so, and
		// the next save merges field by field.
		now, rerr := s.catalog.CourseByID(r.Context(), course.ID)
		if rerr != nil {
			s.web.Error(w, r, rerr)
			return
		}
		p.Stale = staleDateMessage(p.Version, now, event.Ref)
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
		p.staffChanges(event, ev)
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
		p.staffChanges(event, ev)
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

// staffChanges adds to the check the changes nobody booked is told of.
func (p *dateEditPage) staffChanges(old, new catalog.Event) {
	if p.Check != nil && old.Region != new.Region {
		label := func(r string) []string {
			if r == "" {
				return []string{"The install's default region"}
			}
			return []string{workdays.Region(r).Title()}
		}
		p.Check.Staff = append(p.Check.Staff, changeRow{Label: "Bank holidays of", Old: label(old.Region), New: label(new.Region)})
	}
}

// merge rebases a form opened at an older version on the stored course
// now (its date nowEv): field by field, what only someone else changed is
// taken, what only this person changed is kept, and a field both changed
// (to different values) is refused with a message beside it. It returns
// the course to save and its date.
func (p *dateEditPage) merge(now catalog.Course, nowEv, yours catalog.Event) (catalog.Course, catalog.Event) {
	from := p.Version
	merged := nowEv
	var theirs, both []string
	for _, f := range dateFields {
		y, n := dateValue(yours, f.key), dateValue(nowEv, f.key)
		o, had := p.Was[f.key]
		switch {
		case had && wasHash(y) == o: // left alone: theirs, if they changed it
			if wasHash(n) != o {
				theirs = append(theirs, f.label)
				p.takeNow(nowEv, f.key)
			}
		case y == n || (had && wasHash(n) == o): // the same, or only yours changed
			setDateValue(&merged, yours, f.key)
		default:
			both = append(both, f.label)
			shown := n
			if f.key == "region" && n == "" {
				shown = "the install's default region"
			} else if n == "" {
				shown = "(empty)"
			}
			p.fail(fieldAnchor(f.key), fmt.Sprintf("%s: someone else changed this while you were editing; it is now saved as %q. What you typed is kept here: save again to use it, or change it.", f.label, shown))
		}
		p.Was[f.key] = wasHash(n)
	}
	p.Version = now.Version
	p.Stale = fmt.Sprintf("Someone else saved this course after you opened this date (you started from version %d; it is now version %d).", from, now.Version)
	if len(theirs) > 0 {
		p.Stale += " Their changes to " + strings.Join(theirs, ", ") + " are now in the form."
	}
	if len(both) > 0 {
		p.Stale += " You both changed " + strings.Join(both, ", ") + ": nothing was saved. Each is marked below with the value saved now; what you typed is kept."
	} else {
		p.Stale += " Your changes are kept on top of theirs."
		p.Merged = true
	}
	c := now
	c.Events = slices.Clone(now.Events)
	i := slices.IndexFunc(c.Events, func(x catalog.Event) bool { return x.Ref == nowEv.Ref })
	c.Events[i] = merged
	c.Normalize()
	return c, c.Events[i]
}

// addDay adds a day after the last, the day after it, at its times.
func (p *dateEditPage) addDay() {
	row := dayEdit{Start: "10:00", End: "16:00"}
	if n := len(p.Days); n > 0 {
		last := p.Days[n-1]
		row.Start, row.End = last.Start, last.End
		if d, err := catalog.ParseDate(last.Date); err == nil {
			row.Date = d.AddDays(1).String()
		}
	}
	p.Days = append(p.Days, row)
}

// removeDay removes day row d from the form, unless it is the only day,
// or a stored day that has happened or has marks on its register.
func (s *Server) removeDay(r *http.Request, p *dateEditPage, stored catalog.Event, d int) error {
	if d >= len(p.Days) {
		return nil
	}
	field := fmt.Sprintf("day_date_%d", d)
	if len(p.Days) == 1 {
		p.fail(field, "Day 1 is the only day: a date needs at least one. To call the date off, cancel it below.")
		return nil
	}
	if day, err := catalog.ParseDate(p.Days[d].Was); err == nil {
		why, err := s.dayLocked(r, stored, day)
		if err != nil {
			return err
		}
		if why != "" {
			p.fail(field, fmt.Sprintf("Day %d cannot be removed: %s.", d+1, why))
			return nil
		}
	}
	p.Days = removeAt(p.Days, d)
	return nil
}

// dayLocked says why the stored day of e cannot be removed or moved: it
// is in the past (in the date's zone), or its register has marks; ""
// when it can.
func (s *Server) dayLocked(r *http.Request, e catalog.Event, day catalog.Date) (string, error) {
	if day.Before(catalog.DateOf(s.web.Now().In(e.Location()))) {
		return fmt.Sprintf("%s is in the past, and what happened on it stays as it was", dayLabel(day)), nil
	}
	if s.register == nil || e.ID == 0 {
		return "", nil
	}
	marked, err := s.register.MarkedDays(r.Context(), e.ID)
	if err != nil {
		return "", err
	}
	if n := marked[day]; n > 0 {
		people := "1 person"
		if n > 1 {
			people = fmt.Sprintf("%d people", n)
		}
		return fmt.Sprintf("the register of %s has marks for %s", dayLabel(day), people), nil
	}
	return "", nil
}

// guardDays refuses a save that removes or moves a stored day that is
// locked (dayLocked), or adds a day in the past, with the message beside
// the day's row (or above the days when its row was removed).
func (s *Server) guardDays(r *http.Request, p *dateEditPage, old, new catalog.Event) error {
	kept := map[catalog.Date]bool{}
	for _, d := range new.Days {
		kept[d.Date] = true
	}
	was := map[catalog.Date]bool{}
	for _, d := range old.Days {
		was[d.Date] = true
		if kept[d.Date] {
			continue
		}
		why, err := s.dayLocked(r, old, d.Date)
		if err != nil {
			return err
		}
		if why == "" {
			continue
		}
		field, what := "days", fmt.Sprintf("The day of %s was removed, but it cannot be: %s. Open the date again to put it back.", dayLabel(d.Date), why)
		for i, row := range p.Days {
			if row.Was == d.Date.String() {
				field, what = fmt.Sprintf("day_date_%d", i), fmt.Sprintf("Day %d cannot move from %s: %s. Put it back as %s.", i+1, d.Date, why, d.Date)
			}
		}
		p.fail(field, what)
	}
	today := catalog.DateOf(s.web.Now().In(new.Location()))
	for i, d := range new.Days {
		if !was[d.Date] && d.Date.Before(today) {
			p.fail(fmt.Sprintf("day_date_%d", i), fmt.Sprintf("Day %d: %s is in the past. A day added or moved must be today or later.", i+1, dayLabel(d.Date)))
		}
	}
	return nil
}

// staleDateMessage says that someone else saved the course meanwhile.
func staleDateMessage(from int, now catalog.Course, ref string) string {
	msg := fmt.Sprintf("Someone else saved this course while you were saving (you started from version %d; it is now version %d). Nothing of yours was saved: your changes are still in the form below. Save again to add them to theirs, field by field.", from, now.Version)
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
	for _, k := range []string{"capacity", "time_zone", "region", "format", "venue_name", "venue_address", "venue_directions", "reason"} {
		p.Form[k] = get(k)
	}
	if v, err := strconv.Atoi(pf.Get("version")); err == nil {
		p.Version = v
	}
	// A form without the hashes (an old page) counts every field as
	// changed by its author.
	p.Was = map[string]string{}
	for _, f := range dateFields {
		if v := pf.Get("was_" + f.key); v != "" {
			p.Was[f.key] = v
		}
	}
	p.Days = nil
	for d := 0; pf.Has(fmt.Sprintf("day_date_%d", d)) && d < 31; d++ {
		de := dayEdit{Date: get(fmt.Sprintf("day_date_%d", d)), Start: get(fmt.Sprintf("day_start_%d", d)), End: get(fmt.Sprintf("day_end_%d", d)),
			Was: get(fmt.Sprintf("day_was_%d", d))}
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
	e.Venue.Name, e.Venue.Address, e.Venue.Directions = p.Form["venue_name"], p.Form["venue_address"], p.Form["venue_directions"]
	// The days keep their wall-clock times in whichever zone is chosen.
	e.TimeZone, e.Region, e.Format = p.Form["time_zone"], p.Form["region"], catalog.Format(p.Form["format"])
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
		case dateProblemFields[m[5]] != "":
			p.fail(dateProblemFields[m[5]], dateProblemLabels[m[5]]+" "+fe.Message+".")
		default:
			p.fail("day_date_0", m[5]+" "+fe.Message+".")
		}
	}
}

// dateProblemFields put a date's problems (by the path Validate gives)
// beside their fields, named dateProblemLabels.
var (
	dateProblemFields = map[string]string{"venue.name": "venue_name", "venue.address": "venue_address", "venue.directions": "venue_directions",
		"capacity": "capacity", "time_zone": "time_zone", "region": "region", "format": "format", "days": "days"}
	dateProblemLabels = map[string]string{"venue.name": "Venue", "venue.address": "Venue address", "venue.directions": "Directions",
		"capacity": "Places", "time_zone": "Time zone", "region": "Bank holidays of", "format": "Format", "days": "Days"}
)

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
