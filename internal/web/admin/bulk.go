package admin

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"plenary/internal/account"
	"plenary/internal/booking"
	"plenary/internal/web"
)

// Bulk actions, POST /admin/bookings/bulk: approve, decline, message or
// export the ticked bookings, or everything the filter finds. The first
// POST shows what would be done — the count and the first names — and
// carries the bookings' IDs to the second (confirm=1), which does it.
// Each booking is checked again on the second POST with the action's
// permission on its course: a hidden field is never trusted.

// bulkAction is one bulk action and the permission it needs on each
// booking's course.
type bulkAction struct {
	name  string
	label string
	perm  account.Permission
}

var bulkActionList = []bulkAction{
	{"approve", "Approve (bookings waiting for review)", account.BookingsApprove},
	{"decline", "Decline (bookings waiting for review)", account.BookingsApprove},
	{"message", "Send a message", account.MessagesSend},
	{"export", "Export as CSV", account.BookingsRead},
}

// bulkActions are the actions the viewer may take on some course.
func bulkActions(sess account.Session) []option {
	var out []option
	for _, a := range bulkActionList {
		if sess.CanSome(a.perm) {
			out = append(out, option{Value: a.name, Label: a.label})
		}
	}
	return out
}

// bulkShown is how many names the confirmation lists.
const bulkShown = 20

// bulkPage confirms a bulk action.
type bulkPage struct {
	web.Base
	Action  string
	Label   string
	Count   int
	Names   []string
	More    int // bookings not named
	Refused int // bookings the viewer may not do this to, left out
	// NotWaiting counts the selected bookings left out of an approval or
	// decline because they are not waiting for review.
	NotWaiting int
	IDs        []int64
	Filter     []hiddenField
	Back       string
	Subject    string
	Body       string
	Errors     map[string]string
	Summary    []fieldError
	Problem    string
	Finished   bool
	// FromBooking is the booking whose page the action was started from
	// (a message to one person): back and done go to that page.
	FromBooking int64
}

// bulk serves POST /admin/bookings/bulk.
func (s *Server) bulk(w http.ResponseWriter, r *http.Request) {
	if s.bookings == nil {
		s.web.NotFound(w, r)
		return
	}
	if err := web.ReadForm(r); err != nil {
		s.web.Error(w, r, err)
		return
	}
	ctx := r.Context()
	sess, _ := sessionOf(r)
	form := r.PostForm
	i := slices.IndexFunc(bulkActionList, func(a bulkAction) bool { return a.name == form.Get("action") })
	f := readDeskFilter(form, sess)
	back := "/admin/bookings?" + f.values().Encode()
	p := bulkPage{Base: s.web.Base(r), Back: back, Subject: form.Get("subject"), Body: form.Get("body")}
	for k, vs := range f.values() {
		for _, v := range vs {
			p.Filter = append(p.Filter, hiddenField{k, v})
		}
	}
	if i < 0 {
		p.Problem = "Choose what to do with the bookings."
		s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_bulk", p)
		return
	}
	act := bulkActionList[i]
	p.Action, p.Label = act.name, act.label
	confirm := form.Get("confirm") == "1"

	var ids []int64
	if form.Get("scope") == "all" && !confirm {
		rows, err := s.bookings.SearchAll(ctx, f.query(r), exportLimit)
		if errors.Is(err, booking.ErrTooMany) {
			p.Problem = "More than " + strconv.Itoa(exportLimit) + " bookings match. Narrow the filter and try again."
			s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_bulk", p)
			return
		}
		if err != nil {
			s.web.Error(w, r, err)
			return
		}
		for _, row := range rows {
			ids = append(ids, row.ID)
		}
	} else {
		for _, v := range form["id"] {
			if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	// Keep only what the viewer may do this to.
	courses, err := s.bookings.CoursesOf(ctx, ids)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	allowed := ids[:0:0]
	for _, id := range ids {
		if c, ok := courses[id]; ok && sess.Can(act.perm, c) {
			allowed = append(allowed, id)
		} else {
			p.Refused++
		}
	}
	if len(allowed) == 0 {
		p.Problem = "No bookings are selected that you may do this to. Tick some bookings, or choose “everything matching the filter”."
		s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_bulk", p)
		return
	}
	// Approve and decline count only the bookings waiting for review; the
	// second step carries only those (one approved elsewhere meanwhile is
	// skipped there).
	if (act.name == "approve" || act.name == "decline") && !confirm {
		rows, err := s.bookings.Rows(ctx, allowed)
		if err != nil {
			s.web.Error(w, r, err)
			return
		}
		waiting := allowed[:0:0]
		for _, row := range rows {
			if row.Status == booking.PendingReview {
				waiting = append(waiting, row.ID)
			}
		}
		p.NotWaiting = len(allowed) - len(waiting)
		allowed = waiting
		if len(allowed) == 0 {
			p.Problem = "None of the selected bookings is waiting for review, so there is nothing to " + act.name + "."
			s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_bulk", p)
			return
		}
	}
	p.IDs, p.Count = allowed, len(allowed)
	if from, err := strconv.ParseInt(form.Get("booking"), 10, 64); err == nil && len(allowed) == 1 && allowed[0] == from {
		p.FromBooking = from
		p.Back = fmt.Sprintf("/admin/bookings/%d", from)
	}

	if (act.name == "approve" || act.name == "decline") && confirm {
		if _, err := booking.CheckStaffMessage(p.Body); err != nil {
			var ferr booking.FormError
			errors.As(err, &ferr)
			p.Errors = map[string]string{"body": ferr["message"]}
			p.Summary = append(p.Summary, fieldError{Anchor: "body", Message: ferr["message"]})
			confirm = false // show the form again, with what was typed
		}
	}
	if act.name == "message" && confirm {
		if errs := booking.CheckMessage(strings.TrimSpace(p.Subject),
			strings.TrimSpace(strings.ReplaceAll(p.Body, "\r\n", "\n"))); errs != nil {
			p.Errors = errs
			for _, field := range []string{"subject", "body"} {
				if msg, ok := errs[field]; ok {
					p.Summary = append(p.Summary, fieldError{Anchor: field, Message: msg})
				}
			}
			confirm = false // show the form again, with what was typed
		}
	}
	if !confirm {
		if err := s.bulkNames(r, &p); err != nil {
			s.web.Error(w, r, err)
			return
		}
		status := http.StatusOK
		if p.Errors != nil {
			status = http.StatusUnprocessableEntity
		}
		s.web.Render(w, r, status, "admin_bulk", p)
		return
	}

	if act.name == "export" {
		rows, err := s.bookings.Rows(ctx, allowed)
		if err != nil {
			s.web.Error(w, r, err)
			return
		}
		s.writeExport(w, r, rows, "csv")
		return
	}

	actor := staffActor(r)
	done, skipped := 0, 0
	for _, id := range allowed {
		var err error
		switch act.name {
		case "approve":
			_, err = s.bookings.Approve(ctx, id, actor, p.Body)
		case "decline":
			_, err = s.bookings.DeclineReview(ctx, id, actor, p.Body)
		case "message":
			_, err = s.bookings.SendMessage(ctx, id, actor, p.Subject, p.Body)
		}
		switch {
		case err == nil:
			done++
		case errors.Is(err, booking.ErrNotPendingReview), errors.Is(err, booking.ErrNotFound):
			skipped++
		default:
			s.web.Error(w, r, err)
			return
		}
	}
	if p.FromBooking != 0 && done == 1 && act.name == "message" {
		http.Redirect(w, r, p.Back+"?done=messaged#messages", http.StatusSeeOther)
		return
	}
	v := f.values()
	v.Set("did", act.name)
	v.Set("ok", strconv.Itoa(done))
	if skipped > 0 {
		v.Set("skipped", strconv.Itoa(skipped))
	}
	if p.Refused > 0 {
		v.Set("refused", strconv.Itoa(p.Refused))
	}
	http.Redirect(w, r, "/admin/bookings?"+v.Encode(), http.StatusSeeOther)
}

// bulkNames names the first bookings of p for the confirmation.
func (s *Server) bulkNames(r *http.Request, p *bulkPage) error {
	shown := p.IDs[:min(len(p.IDs), bulkShown)]
	rows, err := s.bookings.Rows(r.Context(), shown)
	if err != nil {
		return err
	}
	for _, row := range rows {
		p.Names = append(p.Names, row.Name+" — "+row.CourseTitle+", "+row.Date+" ("+row.Status.Label()+")")
	}
	p.More = len(p.IDs) - len(p.Names)
	return nil
}
