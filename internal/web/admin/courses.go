package admin

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
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

// The course editor: /admin/courses lists the courses (a course-limited
// coordinator sees only theirs), /admin/courses/new creates one and
// /admin/courses/{id} edits everything a course file holds but the
// dates, which it shows read-only. One form, without JavaScript: its
// buttons (op) preview the Markdown texts, add, remove and reorder rows,
// try the rules, or save. Every save goes through catalog.Store.Save with
// the staff member as the actor and SaveOptions.BasedOn = the version the
// form was opened at: a save based on an old version is refused with the
// fields changed meanwhile, the typed input kept. Meeting details are
// edited per date in their own section, here only (courses:edit);
// participants get them through their joining instructions alone.

// coursesPage is the list of courses.
type coursesPage struct {
	web.Base
	Q, Status string
	Courses   []courseRow
	CanCreate bool
}

// courseRow is one course in the list.
type courseRow struct {
	ID          int64
	Title, Slug string
	Published   bool
	Next        string
	Dates       int
}

// coursePage is the editor's form, for a new course or a stored one.
type coursePage struct {
	web.Base
	New     bool
	ID      int64
	Action  string
	Slug    string // the stored course's (not editable)
	Title   string // the stored course's, for the heading
	Version int
	// Opened is what the form was opened with, field by field (a short
	// hash of each), posted back so that a refused stale save tells the
	// fields the author changed from those they left alone.
	Opened  string
	FileURL string
	Done    string

	Form    map[string]string
	Checked map[string]bool
	formErrors
	Problem string

	Texts     []textField
	Fees      []feeRow
	Questions []questionRow
	Rules     []ruleRow
	Meetings  []meetingRow
	// ShowMeetings says the viewer may see and edit the meeting details
	// (meetings:read on the course).
	ShowMeetings bool
	Dates        []courseDate

	// Preview is set when the texts are shown rendered.
	Preview bool
	// Stale is set when a save was refused because someone else saved
	// the course meanwhile.
	Stale *staleReport
	// Try is the outcome of the "try these rules" panel.
	Try *tryOutcome
	// Late says the save would tell people booked of a change inside the
	// minimum-notice window: the form asks for a confirmation
	// (confirm_late) before saving.
	Late string

	Kinds    []catalog.QuestionKind
	Outcomes []catalog.Outcome
}

// textField is one of the course's Markdown texts.
type textField struct {
	Name, Label, Hint, Value, Error string
	Preview                         template.HTML
}

type feeRow struct{ Name, Amount, Currency string }

type questionRow struct {
	Key, Label, Kind, Help string
	Required               bool
}

type ruleRow struct{ If, Then, Message string }

// meetingRow is one date's online meeting details.
type meetingRow struct {
	Ref, Date                          string
	Provider, URL, MeetingID, Passcode string
}

// courseDate is a date, shown read-only.
type courseDate struct {
	ID                       int64
	Ref, Date, Times, Format string
	Status                   string
	Capacity                 int
}

// staleReport says what changed since the form was opened.
type staleReport struct {
	Message string
	Edits   []string // "Bob Baker at 14:02 on 3 Dec 2026 (version 4): Title, Fees"
	Fields  []staleField
}

// staleField is one field changed meanwhile: as stored now and as typed.
type staleField struct{ Label, Now, Yours string }

// tryOutcome is what the course's rules decide about the answers typed.
type tryOutcome struct {
	Outcome, Class string
	Reasons, Notes []string
	Day, Today     string
}

// courseTexts are the Markdown texts, in the course file's order.
var courseTexts = []struct{ name, label, hint string }{
	{"about", "About", "What the course covers."},
	{"audience", "Who it is for", ""},
	{"aims", "Aims", "What participants will be able to do."},
	{"prerequisites", "Prerequisites", "What they must have done first."},
	{"delivery", "Delivery", "How it runs: teaching style, materials."},
	{"cancellation_terms", "Cancellation terms", "Shown on the booking's manage page when someone cancels or asks to move."},
}

// fieldLabels name the fields of the form, and of the audit log's course
// state (catalog.EditsSince), as coordinators read them.
var fieldLabels = map[string]string{
	"slug": "Web address", "title": "Title", "summary": "Summary", "status": "Published", "topics": "Topics",
	"about": "About", "audience": "Who it is for", "aims": "Aims", "prerequisites": "Prerequisites",
	"delivery": "Delivery", "cancellation_terms": "Cancellation terms", "joining_lead_days": "Joining instructions lead",
	"reminder_days_before": "Reminder", "waitlist": "Waiting list", "offer_hold_hours": "Offer hold",
	"booking_closes_hours": "Bookings close", "closes_hours_before": "Bookings close", "fees": "Fees",
	"questions": "Questions", "rules": "Eligibility rules", "events": "Dates", "rules_general": "Eligibility rules",
	"completion_min_percent": "Completion", "completion_percent": "Completion", "feedback_url": "Feedback link",
}

// --- the list ---

// coursesList serves GET /admin/courses.
func (s *Server) coursesList(w http.ResponseWriter, r *http.Request) {
	if s.catalog == nil {
		s.web.NotFound(w, r)
		return
	}
	ls, err := s.catalog.Listings(r.Context(), catalog.Filter{Drafts: true}, s.web.Now())
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	q := r.URL.Query()
	p := coursesPage{Base: s.web.Base(r), Q: strings.TrimSpace(q.Get("q")), Status: q.Get("status"),
		CanCreate: actorOf(r).Can(account.CoursesEdit, 0)}
	limit := courseLimit(r)
	for _, l := range ls {
		c := l.Course
		switch {
		case limit != nil && !slices.Contains(limit, c.ID):
			continue
		case p.Q != "" && !strings.Contains(strings.ToLower(c.Title+" "+c.Slug), strings.ToLower(p.Q)):
			continue
		case p.Status == "draft" && c.Status != catalog.Draft, p.Status == "published" && c.Status != catalog.Published:
			continue
		}
		row := courseRow{ID: c.ID, Title: c.Title, Slug: c.Slug, Published: c.Status == catalog.Published, Dates: len(c.Events)}
		if len(l.Upcoming) > 0 {
			row.Next = l.Upcoming[0].DateLabel()
		}
		p.Courses = append(p.Courses, row)
	}
	s.web.Render(w, r, http.StatusOK, "admin_courses", p)
}

// --- the editor ---

// courseNew serves GET and POST /admin/courses/new.
func (s *Server) courseNew(w http.ResponseWriter, r *http.Request) {
	if s.catalog == nil {
		s.web.NotFound(w, r)
		return
	}
	p := s.newCoursePage(r, catalog.Course{Status: catalog.Draft, JoiningLeadDays: 3, Waitlist: true})
	p.New, p.Action = true, "/admin/courses/new"
	if r.Method == http.MethodGet {
		s.web.Render(w, r, http.StatusOK, "admin_course", p)
		return
	}
	s.coursePost(w, r, p, catalog.Course{})
}

// courseEdit serves GET and POST /admin/courses/{id}.
func (s *Server) courseEdit(w http.ResponseWriter, r *http.Request) {
	stored, ok := s.courseOf(w, r)
	if !ok {
		return
	}
	p := s.newCoursePage(r, stored)
	if r.Method == http.MethodGet {
		done := r.URL.Query().Get("done")
		p.Done = map[string]string{"created": "The course was created.", "saved": "Your changes were saved.",
			"unchanged": "Nothing had changed: nothing was saved.", "copied": "The date was copied: it is in the list of dates below.",
			"dates-1": "1 date was added."}[done]
		if n, err := strconv.Atoi(strings.TrimPrefix(done, "dates-")); err == nil && n > 1 && strings.HasPrefix(done, "dates-") {
			p.Done = fmt.Sprintf("%d dates were added.", n)
		}
		s.web.Render(w, r, http.StatusOK, "admin_course", p)
		return
	}
	s.coursePost(w, r, p, stored)
}

// courseFile serves GET /admin/courses/{id}/file: the course as a course
// file, the format plenary import reads.
func (s *Server) courseFile(w http.ResponseWriter, r *http.Request) {
	c, ok := s.courseOf(w, r)
	if !ok {
		return
	}
	sess, _ := sessionOf(r)
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+c.Slug+`.md"`)
	w.Write(courseFileFor(c, sess.Can(account.MeetingsRead, c.ID)))
}

// courseFileFor is c's course file; without meetings:read on the course
// its dates' meeting details (link, ID, passcode) are left out.
func courseFileFor(c catalog.Course, meetings bool) []byte {
	if !meetings {
		c.Events = slices.Clone(c.Events)
		for i := range c.Events {
			c.Events[i].Meeting = catalog.Meeting{}
		}
	}
	return catalog.FormatCourseFile(c)
}

// courseOf reads the course of the request's {id}, checking that the
// session may edit it.
func (s *Server) courseOf(w http.ResponseWriter, r *http.Request) (catalog.Course, bool) {
	if s.catalog == nil {
		s.web.NotFound(w, r)
		return catalog.Course{}, false
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.web.NotFound(w, r)
		return catalog.Course{}, false
	}
	if !s.allowedOn(w, r, account.CoursesEdit, id) {
		return catalog.Course{}, false
	}
	c, err := s.catalog.CourseByID(r.Context(), id)
	if err != nil {
		s.web.Error(w, r, err, web.Link{URL: "/admin/courses", Label: "The courses"})
		return catalog.Course{}, false
	}
	return c, true
}

// newCoursePage fills the form from a course.
func (s *Server) newCoursePage(r *http.Request, c catalog.Course) coursePage {
	p := coursePage{Base: s.web.Base(r), ID: c.ID, Slug: c.Slug, Title: c.Title, Version: c.Version,
		Action: fmt.Sprintf("/admin/courses/%d", c.ID), FileURL: fmt.Sprintf("/admin/courses/%d/file", c.ID),
		Form: map[string]string{}, Checked: map[string]bool{}, formErrors: formErrors{Errors: map[string]string{}},
		Kinds: []catalog.QuestionKind{catalog.TextAnswer, catalog.DateAnswer, catalog.YesNo}, Outcomes: catalog.Outcomes}
	f := p.Form
	f["slug"], f["title"], f["summary"], f["status"] = c.Slug, c.Title, c.Summary, string(c.Status)
	f["topics"] = strings.Join(c.Topics, "\n")
	for _, t := range courseTexts {
		f[t.name] = *courseText(&c, t.name)
	}
	f["completion"], f["completion_percent"] = "all-days", ""
	if c.CompletionPercent > 0 {
		f["completion"], f["completion_percent"] = "percent", strconv.Itoa(c.CompletionPercent)
	}
	f["feedback_url"] = c.FeedbackURL
	f["joining_lead_days"] = strconv.Itoa(c.JoiningLeadDays)
	f["reminder_days_before"] = strconv.Itoa(c.ReminderDaysBefore)
	f["offer_hold_hours"] = strconv.Itoa(c.OfferHoldHours)
	f["closes_hours_before"] = strconv.Itoa(c.BookingClosesHours)
	p.Checked["waitlist"] = c.Waitlist
	for _, fee := range c.Fees {
		p.Fees = append(p.Fees, feeRow{Name: fee.Name, Amount: catalog.FormatMoney(fee.Amount, fee.Currency), Currency: fee.Currency})
	}
	for _, q := range c.Questions {
		p.Questions = append(p.Questions, questionRow{Key: q.Key, Label: q.Label, Kind: string(q.Kind), Help: q.Help, Required: q.Required})
	}
	for _, rule := range c.Rules {
		row := ruleRow{Then: string(rule.Outcome), Message: rule.Message}
		var conds []string
		for _, cond := range rule.Conditions {
			conds = append(conds, cond.String())
		}
		row.If = strings.Join(conds, "\n")
		p.Rules = append(p.Rules, row)
	}
	for _, e := range c.Events {
		p.Meetings = append(p.Meetings, meetingRow{Ref: e.Ref, Date: e.DateLabel(), Provider: e.Meeting.Provider,
			URL: e.Meeting.JoinURL, MeetingID: e.Meeting.ID, Passcode: e.Meeting.Passcode})
		p.Dates = append(p.Dates, courseDate{ID: e.ID, Ref: e.Ref, Date: e.DateLabel(), Times: e.Days[0].TimeRange(e.Location()),
			Format: e.Format.Label(), Status: string(e.Status), Capacity: e.Capacity})
	}
	if sess, ok := sessionOf(r); ok {
		p.ShowMeetings = sess.Can(account.MeetingsRead, c.ID)
	}
	if len(c.Events) > 0 {
		p.Form["try_day"] = c.Events[0].Days[0].Date.String()
	}
	p.Opened = openedOf(c)
	p.fillTexts()
	return p
}

// mergeKeys are the fields (the audit log's course keys) a refused stale
// save takes from the stored course when the author left them as opened.
var mergeKeys = []string{"title", "summary", "status", "topics", "about", "audience", "aims", "prerequisites", "delivery",
	"cancellation_terms", "joining_lead_days", "reminder_days_before", "waitlist", "offer_hold_hours", "booking_closes_hours",
	"fees", "questions", "rules"}

// openedOf is c's fields as the form posts them back (Opened): a short
// hash of each field's value, in mergeKeys' order.
func openedOf(c catalog.Course) string {
	var b strings.Builder
	for i, k := range mergeKeys {
		if i > 0 {
			b.WriteByte('.')
		}
		sum := sha256.Sum256([]byte(courseValue(c, k)))
		b.WriteString(hex.EncodeToString(sum[:6]))
	}
	return b.String()
}

// untouched reports whether the author left field k as the form opened
// it (opened is the posted Opened; "" when the form had none: every
// field then counts as changed).
func untouched(opened string, yours catalog.Course, k string) bool {
	parts := strings.Split(opened, ".")
	i := slices.Index(mergeKeys, k)
	if i < 0 || len(parts) != len(mergeKeys) {
		return false
	}
	sum := sha256.Sum256([]byte(courseValue(yours, k)))
	return parts[i] == hex.EncodeToString(sum[:6])
}

// takeStored puts field k of the stored course's form (now) into p.
func (p *coursePage) takeStored(now coursePage, k string) {
	switch k {
	case "waitlist":
		p.Checked["waitlist"] = now.Checked["waitlist"]
	case "booking_closes_hours":
		p.Form["closes_hours_before"] = now.Form["closes_hours_before"]
	case "fees":
		p.Fees = now.Fees
	case "questions":
		p.Questions = now.Questions
	case "rules":
		p.Rules = now.Rules
	default:
		p.Form[k] = now.Form[k]
	}
}

// courseText is the Markdown text of c named name.
func courseText(c *catalog.Course, name string) *string {
	switch name {
	case "about":
		return &c.About
	case "audience":
		return &c.Audience
	case "aims":
		return &c.Aims
	case "prerequisites":
		return &c.Prerequisites
	case "delivery":
		return &c.Delivery
	}
	return &c.CancellationTerms
}

// fillTexts builds the text fields from the form, with their previews
// when Preview is set.
func (p *coursePage) fillTexts() {
	p.Texts = nil
	for _, t := range courseTexts {
		f := textField{Name: t.name, Label: t.label, Hint: t.hint, Value: p.Form[t.name], Error: p.Errors[t.name]}
		if p.Preview {
			f.Preview = web.Markdown(f.Value)
		}
		p.Texts = append(p.Texts, f)
	}
}

// formErrors are a form's problems: beside each field (Errors, by the
// field's name; several problems of one field are joined) and in the
// summary above the form (Summary, in order). The course, dates and date
// pages embed it.
type formErrors struct {
	Errors  map[string]string
	Summary []fieldError
}

func (f *formErrors) fail(field, msg string) {
	if f.Errors == nil {
		f.Errors = map[string]string{}
	}
	if prev, seen := f.Errors[field]; seen {
		f.Errors[field] = prev + " " + msg
	} else {
		f.Errors[field] = msg
	}
	f.Summary = append(f.Summary, fieldError{Anchor: field, Message: msg})
}

// readForm reads the posted form into the page, rows and all.
func (p *coursePage) readForm(r *http.Request) {
	pf := r.PostForm
	get := func(k string) string { return strings.ReplaceAll(pf.Get(k), "\r\n", "\n") }
	for _, k := range []string{"slug", "title", "summary", "status", "topics", "joining_lead_days", "reminder_days_before",
		"offer_hold_hours", "closes_hours_before", "try_day", "try_today", "completion", "completion_percent", "feedback_url"} {
		p.Form[k] = get(k)
	}
	if !p.New {
		p.Form["slug"] = p.Slug
	}
	for _, t := range courseTexts {
		p.Form[t.name] = get(t.name)
	}
	p.Checked["waitlist"] = pf.Get("waitlist") != ""
	p.Fees, p.Questions, p.Rules = nil, nil, nil
	for i := 0; pf.Has(fmt.Sprintf("fee_name_%d", i)); i++ {
		p.Fees = append(p.Fees, feeRow{Name: get(fmt.Sprintf("fee_name_%d", i)), Amount: get(fmt.Sprintf("fee_amount_%d", i)),
			Currency: get(fmt.Sprintf("fee_currency_%d", i))})
	}
	for i := 0; pf.Has(fmt.Sprintf("q_key_%d", i)); i++ {
		p.Questions = append(p.Questions, questionRow{Key: get(fmt.Sprintf("q_key_%d", i)), Label: get(fmt.Sprintf("q_label_%d", i)),
			Kind: get(fmt.Sprintf("q_kind_%d", i)), Help: get(fmt.Sprintf("q_help_%d", i)), Required: pf.Get(fmt.Sprintf("q_required_%d", i)) != ""})
	}
	for i := 0; pf.Has(fmt.Sprintf("r_if_%d", i)); i++ {
		p.Rules = append(p.Rules, ruleRow{If: get(fmt.Sprintf("r_if_%d", i)), Then: get(fmt.Sprintf("r_then_%d", i)),
			Message: get(fmt.Sprintf("r_message_%d", i))})
	}
	for i := range p.Meetings {
		m := &p.Meetings[i]
		if !p.ShowMeetings || pf.Get(fmt.Sprintf("m_ref_%d", i)) != m.Ref {
			continue // not this form's date: keep the stored details
		}
		m.Provider, m.URL = get(fmt.Sprintf("m_provider_%d", i)), get(fmt.Sprintf("m_url_%d", i))
		m.MeetingID, m.Passcode = get(fmt.Sprintf("m_id_%d", i)), get(fmt.Sprintf("m_passcode_%d", i))
	}
	for _, q := range p.Questions {
		if q.Key != "" {
			p.Form["try_"+q.Key] = get("try_" + q.Key)
		}
	}
}

// rowOp reads an op on one row: "remove-fee-2" → ("remove-fee", 2).
var rowOpRE = regexp.MustCompile(`^((?:remove|up|down)-(?:fee|question|rule))-([0-9]{1,3})$`)

// applyOp adds, removes or moves a row; it reports whether op was one.
func (p *coursePage) applyOp(op string) bool {
	switch op {
	case "add-fee":
		cur := "GBP"
		if n := len(p.Fees); n > 0 && p.Fees[n-1].Currency != "" {
			cur = p.Fees[n-1].Currency
		}
		p.Fees = append(p.Fees, feeRow{Currency: cur})
		return true
	case "add-question":
		p.Questions = append(p.Questions, questionRow{Kind: string(catalog.TextAnswer)})
		return true
	case "add-rule":
		p.Rules = append(p.Rules, ruleRow{Then: string(catalog.Review)})
		return true
	}
	m := rowOpRE.FindStringSubmatch(op)
	if m == nil {
		return false
	}
	i, _ := strconv.Atoi(m[2])
	switch m[1] {
	case "remove-fee":
		p.Fees = removeAt(p.Fees, i)
	case "remove-question":
		p.Questions = removeAt(p.Questions, i)
	case "remove-rule":
		p.Rules = removeAt(p.Rules, i)
	case "up-question":
		p.Questions = swap(p.Questions, i, i-1)
	case "down-question":
		p.Questions = swap(p.Questions, i, i+1)
	case "up-rule":
		p.Rules = swap(p.Rules, i, i-1)
	case "down-rule":
		p.Rules = swap(p.Rules, i, i+1)
	case "up-fee":
		p.Fees = swap(p.Fees, i, i-1)
	case "down-fee":
		p.Fees = swap(p.Fees, i, i+1)
	}
	return true
}

func removeAt[T any](s []T, i int) []T {
	if i < 0 || i >= len(s) {
		return s
	}
	return slices.Delete(s, i, i+1)
}

func swap[T any](s []T, i, j int) []T {
	if i >= 0 && j >= 0 && i < len(s) && j < len(s) {
		s[i], s[j] = s[j], s[i]
	}
	return s
}

// course builds the course the form describes on top of base (the stored
// course: its dates and their details but the meetings), with a message
// beside each field it cannot read. rowOf maps the course's fees,
// questions and rules back to the form's rows (blank rows are left out).
func (p *coursePage) course(base catalog.Course) (c catalog.Course, rows map[string][]int) {
	c = base
	f := p.Form
	rows = map[string][]int{}
	c.Slug = strings.TrimSpace(f["slug"])
	c.Title, c.Summary = strings.TrimSpace(f["title"]), strings.TrimSpace(f["summary"])
	c.Status = catalog.Status(f["status"])
	c.Topics = nil
	for _, t := range strings.Split(f["topics"], "\n") {
		if t = strings.TrimSpace(t); t != "" {
			c.Topics = append(c.Topics, t)
		}
	}
	for _, t := range courseTexts {
		*courseText(&c, t.name) = catalog.SectionText(f[t.name])
	}
	num := func(name string) int {
		v := strings.TrimSpace(f[name])
		n, err := strconv.Atoi(v)
		if err != nil {
			p.fail(name, fieldLabels[name]+": enter a whole number, such as 3.")
		}
		return n
	}
	// Completion: every day present, or at least N per cent of the
	// teaching time (what the percent box says only counts when chosen).
	c.CompletionPercent = 0
	if f["completion"] == "percent" {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(f["completion_percent"]), "%"))
		if err != nil || n < 1 || n > 100 {
			p.fail("completion_percent", "Completion: enter a whole number of per cent between 1 and 100, such as 80.")
		} else {
			c.CompletionPercent = n
		}
	}
	c.FeedbackURL = strings.TrimSpace(f["feedback_url"])
	c.JoiningLeadDays, c.ReminderDaysBefore = num("joining_lead_days"), num("reminder_days_before")
	c.OfferHoldHours, c.BookingClosesHours = num("offer_hold_hours"), num("closes_hours_before")
	c.Waitlist = p.Checked["waitlist"]
	c.Fees, c.Questions, c.Rules = nil, nil, nil
	for i, row := range p.Fees {
		if strings.TrimSpace(row.Name+row.Amount) == "" {
			continue
		}
		fee := catalog.FeeTier{Name: strings.TrimSpace(row.Name), Currency: strings.ToUpper(strings.TrimSpace(row.Currency))}
		if fee.Currency == "" {
			fee.Currency = "GBP"
		}
		amount := strings.TrimSpace(strings.ReplaceAll(row.Amount, ",", ""))
		amount = strings.TrimSpace(strings.TrimLeftFunc(amount, func(r rune) bool { return !(r >= '0' && r <= '9') && r != '-' }))
		amount = strings.TrimSpace(strings.TrimSuffix(amount, fee.Currency))
		n, err := catalog.ParseAmount(amount, fee.Currency)
		if _, cerr := catalog.CurrencyDecimals(fee.Currency); cerr == nil && err != nil {
			p.fail(fmt.Sprintf("fee_amount_%d", i), fmt.Sprintf("Fee %d: enter the amount as %s.", i+1, amountExample(fee.Currency)))
		}
		fee.Amount = n
		c.Fees = append(c.Fees, fee)
		rows["fees"] = append(rows["fees"], i)
	}
	for i, row := range p.Questions {
		if strings.TrimSpace(row.Key+row.Label+row.Help) == "" {
			continue
		}
		c.Questions = append(c.Questions, catalog.Question{Key: strings.TrimSpace(row.Key), Label: strings.TrimSpace(row.Label),
			Kind: catalog.QuestionKind(row.Kind), Required: row.Required, Help: strings.TrimSpace(row.Help)})
		rows["questions"] = append(rows["questions"], i)
	}
	for i, row := range p.Rules {
		if strings.TrimSpace(row.If+row.Message) == "" {
			continue
		}
		rule := catalog.Rule{Outcome: catalog.Outcome(row.Then), Message: strings.TrimSpace(row.Message)}
		for _, line := range strings.Split(row.If, "\n") {
			if line = strings.TrimSpace(line); line == "" {
				continue
			}
			cond, err := catalog.ParseCondition(line)
			if err != nil {
				p.fail(fmt.Sprintf("r_if_%d", i), fmt.Sprintf("Rule %d: %s.", i+1, err))
				continue
			}
			rule.Conditions = append(rule.Conditions, cond)
		}
		c.Rules = append(c.Rules, rule)
		rows["rules"] = append(rows["rules"], i)
	}
	byRef := map[string]meetingRow{}
	for _, m := range p.Meetings {
		byRef[m.Ref] = m
	}
	c.Events = slices.Clone(base.Events)
	for i := range c.Events {
		if m, ok := byRef[c.Events[i].Ref]; ok {
			c.Events[i].Meeting = catalog.Meeting{Provider: strings.TrimSpace(m.Provider), JoinURL: strings.TrimSpace(m.URL),
				ID: strings.TrimSpace(m.MeetingID), Passcode: strings.TrimSpace(m.Passcode)}
		}
	}
	return c, rows
}

// amountExample says how an amount in code is typed.
func amountExample(code string) string {
	return catalog.FormatMoney(12000*pow10(code), code)
}

func pow10(code string) int64 {
	d, _ := catalog.CurrencyDecimals(code)
	n := int64(1)
	for range d {
		n *= 10
	}
	return n / 100
}

// pathRE reads a catalog.FieldError path: "fees[1].amount",
// "rules[0].if[2]", "events[0].meeting.join_url".
var pathRE = regexp.MustCompile(`^([a-z_]+)\[([0-9]+)\](?:\.([a-z_]+))?`)

// showProblems puts each of Validate's problems beside its field.
func (p *coursePage) showProblems(v catalog.ValidationError, rows map[string][]int) {
	for _, fe := range v {
		field, label := fe.Path, fieldLabels[fe.Path]
		switch fe.Path {
		case "booking.offer_hold_hours":
			field, label = "offer_hold_hours", fieldLabels["offer_hold_hours"]
		case "booking.closes_hours_before":
			field, label = "closes_hours_before", fieldLabels["closes_hours_before"]
		case "completion.minimum_percent":
			field, label = "completion_percent", fieldLabels["completion_percent"]
		case "rules":
			field, label = "rules", "Eligibility rules"
		}
		if m := pathRE.FindStringSubmatch(fe.Path); m != nil {
			i, _ := strconv.Atoi(m[2])
			row := i
			if rs := rows[m[1]]; i < len(rs) {
				row = rs[i]
			}
			switch m[1] {
			case "topics":
				field, label = "topics", fmt.Sprintf("Topic %d", i+1)
			case "fees":
				field, label = fmt.Sprintf("fee_%s_%d", m[3], row), fmt.Sprintf("Fee %d %s", row+1, m[3])
			case "questions":
				field, label = fmt.Sprintf("q_%s_%d", m[3], row), fmt.Sprintf("Question %d %s", row+1, m[3])
			case "rules":
				part := map[string]string{"if": "if", "then": "then", "message": "message", "note": "message"}[m[3]]
				if part == "" {
					part = "if"
				}
				field, label = fmt.Sprintf("r_%s_%d", part, row), fmt.Sprintf("Rule %d", row+1)
			case "events":
				field, label = "dates", "Date "+strconv.Itoa(i+1)
				if strings.Contains(fe.Path, ".meeting.") {
					part := map[string]string{"provider": "provider", "join_url": "url", "id": "id", "passcode": "passcode"}[fe.Path[strings.LastIndex(fe.Path, ".")+1:]]
					if part != "" {
						field, label = fmt.Sprintf("m_%s_%d", part, i), fmt.Sprintf("Date %d meeting", i+1)
					}
				}
			}
		}
		if label == "" {
			label = fe.Path
		}
		p.fail(field, label+" "+fe.Message+".")
	}
}

// courseMaxBody is the request limit of the course editor's POSTs: six
// texts of catalog's 20,000 bytes each, every byte of them
// percent-encoded (accents, other scripts: three bytes sent a byte) is
// 360 KB, and questions, rules, fees and meeting details fit in the
// rest. The kit's 64 KB (web.MaxBodyBytes) would refuse a long course.
const courseMaxBody = 512 << 10

// coursePost handles the form's buttons.
func (s *Server) coursePost(w http.ResponseWriter, r *http.Request, p coursePage, stored catalog.Course) {
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if !errors.As(err, &tooBig) {
			s.web.Error(w, r, err)
			return
		}
		// The form cannot be read back: say so plainly, over the course
		// as it is stored, rather than a bare error page.
		p.Problem = fmt.Sprintf("The form was larger than %d KB, so nothing was saved and what you typed could not be kept. "+
			"Shorten the longest texts (each may hold 20,000 characters) and try again; the course below is as it was last saved.",
			courseMaxBody>>10)
		s.web.Render(w, r, http.StatusRequestEntityTooLarge, "admin_course", p)
		return
	}
	p.readForm(r)
	if !p.New {
		v, err := strconv.Atoi(r.PostForm.Get("version"))
		if err != nil || v <= 0 {
			// Without the version the form was opened at, a save could
			// silently undo someone else's: refuse it.
			p.fail("version", "This form does not say which version of the course it was opened at, so it cannot be checked against changes made since. Open the course again and make your changes there.")
			p.fillTexts()
			s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_course", p)
			return
		}
		p.Version = v
		p.Opened = r.PostForm.Get("opened")
	}
	op := r.PostForm.Get("op")
	render := func(status int) {
		p.fillTexts()
		s.web.Render(w, r, status, "admin_course", p)
	}
	switch {
	case op == "preview":
		p.Preview = true
		render(http.StatusOK)
		return
	case op == "try":
		s.tryRules(&p, stored)
		render(http.StatusOK)
		return
	case p.applyOp(op):
		render(http.StatusOK)
		return
	}
	c, rows := p.course(stored)
	c.Normalize()
	if err := c.Validate(); err != nil {
		var v catalog.ValidationError
		if !errors.As(err, &v) {
			s.web.Error(w, r, err)
			return
		}
		p.showProblems(v, rows)
	}
	if len(p.Summary) > 0 {
		render(http.StatusUnprocessableEntity)
		return
	}
	res, err := s.catalog.Save(r.Context(), []*catalog.Course{&c}, catalog.SaveOptions{Actor: actorOf(r).User.Actor(),
		Now: s.web.Now(), BasedOn: map[string]int{c.Slug: p.Version}, ConfirmLate: r.PostForm.Get("confirm_late") != ""})
	var stale *catalog.StaleError
	var late *booking.LateChangeError
	var invalid catalog.ValidationError
	switch {
	case errors.As(err, &stale) && p.New:
		p.fail("slug", "Web address: a course with this address already exists. Choose another.")
		render(http.StatusConflict)
		return
	case errors.As(err, &stale):
		if err := s.staleReport(r, &p, stale, c); err != nil {
			s.web.Error(w, r, err)
			return
		}
		render(http.StatusConflict)
		return
	case errors.As(err, &late):
		p.Late = late.Message()
		p.fail("confirm_late", "Not saved: the people booked would be told of a change close to the date. Tick the box to confirm, then save again.")
		render(http.StatusConflict)
		return
	case errors.As(err, &invalid):
		p.showProblems(invalid, rows)
		render(http.StatusUnprocessableEntity)
		return
	case err != nil:
		s.web.Error(w, r, err)
		return
	}
	s.web.PurgePages()
	done := "saved"
	switch {
	case res[0].Created:
		done = "created"
	case !res[0].Changed:
		done = "unchanged"
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/courses/%d?done=%s", c.ID, done), http.StatusSeeOther)
}

// staleReport fills the page with what changed since the form's version,
// field by field, and moves the form on to the stored version: the typed
// input stays, and saving it again is a choice made knowing the changes.
func (s *Server) staleReport(r *http.Request, p *coursePage, stale *catalog.StaleError, yours catalog.Course) error {
	now, err := s.catalog.CourseByID(r.Context(), p.ID)
	if err != nil {
		return err
	}
	edits, err := s.catalog.EditsSince(r.Context(), p.ID, p.Version)
	if err != nil {
		return err
	}
	rep := &staleReport{Message: fmt.Sprintf("Someone else saved this course after you opened it (you started from version %d; it is now version %d). Nothing of yours was saved: your changes are still in the form below, and the fields you left alone now show what is saved.", p.Version, now.Version)}
	var changed []string
	for _, e := range edits {
		var labels []string
		for _, k := range e.Changed {
			labels = append(labels, labelOf(k))
			if !slices.Contains(changed, k) {
				changed = append(changed, k)
			}
		}
		rep.Edits = append(rep.Edits, fmt.Sprintf("%s at %s (version %d): %s", actorWords(e.Actor), attentionTime(e.At.In(ukTime)), e.Version, strings.Join(labels, ", ")))
	}
	// A field the author left as it opened takes the stored value; one
	// they changed stays as typed, and is listed when it differs from
	// what is stored now.
	nowPage := s.newCoursePage(r, now)
	for _, k := range changed {
		if slices.Contains(mergeKeys, k) && untouched(p.Opened, yours, k) {
			p.takeStored(nowPage, k)
			continue
		}
		n, y := courseValue(now, k), courseValue(yours, k)
		if n == y && slices.Contains(mergeKeys, k) {
			continue
		}
		rep.Fields = append(rep.Fields, staleField{Label: labelOf(k), Now: n, Yours: y})
	}
	p.Stale = rep
	p.Version = now.Version
	p.Opened = nowPage.Opened
	return nil
}

func labelOf(k string) string {
	if l, ok := fieldLabels[k]; ok {
		return l
	}
	return k
}

// courseValue is the field k (a key of the audit log's course state) of
// c as text, for the stale report.
func courseValue(c catalog.Course, k string) string {
	switch k {
	case "title":
		return c.Title
	case "summary":
		return c.Summary
	case "status":
		return string(c.Status)
	case "about", "audience", "aims", "prerequisites", "delivery", "cancellation_terms":
		return *courseText(&c, k)
	case "joining_lead_days":
		return fmt.Sprintf("%d working days before", c.JoiningLeadDays)
	case "reminder_days_before":
		return fmt.Sprintf("%d days before", c.ReminderDaysBefore)
	case "completion_min_percent":
		if c.CompletionPercent > 0 {
			return fmt.Sprintf("at least %d%% of the teaching time", c.CompletionPercent)
		}
		return "every day present"
	case "feedback_url":
		return c.FeedbackURL
	case "waitlist":
		return map[bool]string{true: "Yes", false: "No"}[c.Waitlist]
	case "offer_hold_hours":
		return fmt.Sprintf("%d hours", c.OfferHoldHours)
	case "booking_closes_hours":
		return fmt.Sprintf("%d hours before the start", c.BookingClosesHours)
	case "topics":
		return strings.Join(c.Topics, ", ")
	case "fees":
		var out []string
		for _, f := range c.Fees {
			out = append(out, f.Name+" "+catalog.FormatMoney(f.Amount, f.Currency))
		}
		return strings.Join(out, "; ")
	case "questions":
		var out []string
		for _, q := range c.Questions {
			out = append(out, fmt.Sprintf("%s (%s, %s)", q.Label, q.Key, q.Kind))
		}
		return strings.Join(out, "; ")
	case "rules":
		var out []string
		for _, r := range c.Rules {
			var conds []string
			for _, cond := range r.Conditions {
				conds = append(conds, cond.String())
			}
			out = append(out, fmt.Sprintf("if %s then %s", strings.Join(conds, " and "), r.Outcome))
		}
		return strings.Join(out, "; ")
	case "events":
		return fmt.Sprintf("%d dates (see below)", len(c.Events))
	}
	return ""
}

// tryRules evaluates the rules typed in the form against the answers
// typed in the panel, as the booking form does (catalog.Evaluate).
func (s *Server) tryRules(p *coursePage, stored catalog.Course) {
	// Only the rules' own problems matter here: a fee typed wrong does
	// not stop a try, a condition that cannot be read does.
	c, _ := p.course(stored)
	summary := p.Summary
	p.formErrors = formErrors{Errors: map[string]string{}}
	for _, fe := range summary {
		if strings.HasPrefix(fe.Anchor, "r_if_") {
			p.fail(fe.Anchor, fe.Message)
		}
	}
	today := catalog.DateOf(s.web.Now().In(ukTime))
	day := today
	if v := strings.TrimSpace(p.Form["try_day"]); v != "" {
		d, err := catalog.ParseDate(v)
		if err != nil {
			p.fail("try_day", "Date: enter the date's first day as YYYY-MM-DD, for example 2027-03-27.")
			return
		}
		day = d
	}
	if v := strings.TrimSpace(p.Form["try_today"]); v != "" {
		d, err := catalog.ParseDate(v)
		if err != nil {
			p.fail("try_today", "Booked on: enter a day as YYYY-MM-DD.")
			return
		}
		today = d
	}
	if len(p.Summary) > 0 {
		return
	}
	answers := map[string]string{}
	for _, q := range c.Questions {
		answers[q.Key] = p.Form["try_"+q.Key]
	}
	d := catalog.Evaluate(c.Rules, answers, day, today)
	t := &tryOutcome{Reasons: d.Reasons, Notes: d.Notes, Day: dayLabel(day), Today: dayLabel(today)}
	switch d.Outcome {
	case catalog.Refuse:
		t.Outcome, t.Class = "Refused: the person cannot book", "notice--warn"
	case catalog.Review:
		t.Outcome, t.Class = "Needs review: the booking waits for a coordinator", "notice--warn"
	default:
		t.Outcome, t.Class = "Eligible: booked as usual", "notice--ok"
	}
	p.Try = t
}

// courseField is one input of the form (course_input, course_area,
// course_row_input).
type courseField struct {
	Name, Label, Hint, Value, Error string
	Rows                            int
}

// Input is a one-line field of the form.
func (p coursePage) Input(name, label, hint string) courseField {
	return courseField{Name: name, Label: label, Hint: hint, Value: p.Form[name], Error: p.Errors[name]}
}

// Area is a text area of the form.
func (p coursePage) Area(name, label, hint string, rows int) courseField {
	f := p.Input(name, label, hint)
	f.Rows = rows
	return f
}

// RowInput is a field of row i of a repeating group.
func (p coursePage) RowInput(prefix string, i int, label, value string) courseField {
	name := fmt.Sprintf("%s_%d", prefix, i)
	return courseField{Name: name, Label: label, Value: value, Error: p.Errors[name]}
}

// Num counts rows from 1.
func (p coursePage) Num(i int) int { return i + 1 }

// KindLabel says what a question kind asks for.
func (p coursePage) KindLabel(k catalog.QuestionKind) string {
	switch k {
	case catalog.DateAnswer:
		return "A date"
	case catalog.YesNo:
		return "Yes or no"
	}
	return "Text"
}

// OutcomeLabel says what a rule's outcome does.
func (p coursePage) OutcomeLabel(o catalog.Outcome) string {
	switch o {
	case catalog.Refuse:
		return "Refuse: the person cannot book"
	case catalog.Review:
		return "Review: the booking waits for a coordinator"
	}
	return "Accept with a note"
}
