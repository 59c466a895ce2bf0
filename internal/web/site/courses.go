package site

import (
	"html/template"
	"net/http"
	"slices"
	"strings"

	"plenary/internal/catalog"
	"plenary/internal/certificates"
	"plenary/internal/web"
)

// homePage is the catalogue.
type homePage struct {
	web.Base
	Courses []courseCard
	Topics  []string
	Formats []formatOption
	Topic   string // the chosen topic filter, as typed
	Format  string // the chosen format filter, if it is a known one
}

// Filtered reports whether any filter is in use.
func (p homePage) Filtered() bool { return p.Topic != "" || p.Format != "" }

type formatOption struct {
	Value, Label string
}

type courseCard struct {
	Slug    string
	Title   string
	Summary string
	Topics  []string
	Fee     string
	Next    []dateView // up to three upcoming dates
	More    int        // further upcoming dates not shown
}

// maxCardDates is how many upcoming dates a catalogue card lists.
const maxCardDates = 3

// courseList serves GET /: the published courses, those with upcoming
// dates first, filtered by ?topic= and ?format=. An unknown format is
// ignored; an unknown topic matches nothing.
func (s *Server) courseList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := homePage{Base: s.web.Base(r), Topic: strings.TrimSpace(q.Get("topic"))}
	p.Description = "Courses for professionals from " + s.web.SiteName() + ": dates in UK time, format, fees and who each course is for. Book a place online."
	if t := []rune(p.Topic); len(t) > 200 {
		p.Topic = string(t[:200]) // whole characters, never half of one
	}
	f := catalog.Filter{Topic: p.Topic}
	if format := catalog.Format(q.Get("format")); slices.Contains(catalog.Formats, format) {
		f.Format = format
		p.Format = string(format)
	}
	for _, fm := range catalog.Formats {
		p.Formats = append(p.Formats, formatOption{Value: string(fm), Label: fm.Label()})
	}

	ctx := r.Context()
	var err error
	if p.Topics, err = s.catalog.Topics(ctx); err != nil {
		s.web.Error(w, r, err)
		return
	}
	now := s.web.Now()
	listings, err := s.catalog.Listings(ctx, f, now)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	for _, l := range listings {
		c := l.Course
		card := courseCard{
			Slug:    c.Slug,
			Title:   c.Title,
			Summary: c.Summary,
			Topics:  c.Topics,
			Fee:     feeSummary(c),
		}
		for i, e := range l.Upcoming {
			if i == maxCardDates {
				card.More = len(l.Upcoming) - maxCardDates
				break
			}
			card.Next = append(card.Next, newDateView(e, now))
		}
		p.Courses = append(p.Courses, card)
	}
	s.web.Render(w, r, http.StatusOK, "home", p)
}

// coursePage is one course with its dates.
type coursePage struct {
	web.Base
	Slug     string
	Title    string
	Summary  string
	Topics   []string
	Sections []section
	Free     bool
	Fees     []feeView
	Upcoming []dateView // in start order
	Past     []dateView // most recent first
	Joining  string     // when joining instructions are sent
	// CPD is the CPD hours of the upcoming dates, from their agendas'
	// teaching ("CPD: 5.5 hours"; a range when dates differ); "" for none.
	CPD string
	// Agenda is shown once when every upcoming date has the same one.
	Agenda []dayView
	// Subscribe is the "hear about new dates" form; nil when lists are off.
	Subscribe *subscribeForm
	// CalendarFeed is the address of the course's calendar of dates
	// (/courses/{slug}/dates.ics) and WebcalURL the same for calendar
	// programs to subscribe to (webcal://); AtomFeed is its feed of new
	// dates. WebcalURL is a template.URL: html/template would otherwise
	// refuse the scheme; it is made from the configured base URL only.
	CalendarFeed, AtomFeed string
	WebcalURL              template.URL
	// Main, when set, is the page's body (the template course_main)
	// rendered already, with its places filled (coursebody.go).
	Main template.HTML
}

// AgendaMultiDay reports whether the shared agenda has several days.
func (p coursePage) AgendaMultiDay() bool { return len(p.Agenda) > 1 }

// HasOnline reports whether any upcoming date is online.
func (p coursePage) HasOnline() bool {
	for _, d := range p.Upcoming {
		if d.Online && !d.Cancelled {
			return true
		}
	}
	return false
}

// Next is the first upcoming date that is going ahead, if any.
func (p coursePage) Next() *dateView {
	for i := range p.Upcoming {
		if !p.Upcoming[i].Cancelled {
			return &p.Upcoming[i]
		}
	}
	return nil
}

type section struct {
	ID    string
	Title string
	HTML  template.HTML
}

// courseShow serves GET /courses/{slug}. Drafts are not found. The page
// is made from its kept body (coursebody.go), except in dev mode, where
// templates change under it.
func (s *Server) courseShow(w http.ResponseWriter, r *http.Request) {
	if !s.web.Dev() {
		s.courseShowKept(w, r, r.PathValue("slug"))
		return
	}
	c, err := s.catalog.CourseBySlug(r.Context(), r.PathValue("slug"))
	if err == nil && c.Status != catalog.Published {
		err = catalog.ErrNotFound
	}
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	s.renders.Add(1)
	s.courseShowWhole(w, r, c)
}

// courseShowWhole renders course page c whole, as courseShowKept's kept
// body and places make it.
func (s *Server) courseShowWhole(w http.ResponseWriter, r *http.Request, c catalog.Course) {
	now := s.web.Now()
	p, upcoming := s.coursePageData(c, now, template.URL(webcal(s.web.AbsoluteBase(r))))
	description := p.Description
	p.Base = s.web.Base(r)
	p.Description = description
	if s.bookings != nil && len(upcoming) > 0 && web.Slotted(r) {
		s.slotPlaces(r, &p, c, upcoming)
	} else if s.bookings != nil && len(upcoming) > 0 {
		places, err := s.bookings.PlacesFor(r.Context(), upcoming)
		if err != nil {
			s.web.Error(w, r, err)
			return
		}
		for i, e := range upcoming {
			p.Upcoming[i].Book = availabilityOf(c, e, places[e.ID], now)
		}
	}
	p.Agenda = shareAgendas(p.Upcoming)
	s.web.Render(w, r, http.StatusOK, "course", p)
}

// metaDescription makes a course summary fit a meta description: one
// line, cut at a word before about 200 characters.
func metaDescription(summary string) string {
	d := strings.Join(strings.Fields(summary), " ")
	const max = 200
	if len([]rune(d)) <= max {
		return d
	}
	cut := string([]rune(d)[:max])
	if i := strings.LastIndex(cut, " "); i > max/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, ",;:.– ") + "…"
}

// webcal turns the site's base URL into the webcal:// address calendar
// programs open as a subscription (the scheme stands for https or http).
func webcal(base string) string {
	base = strings.TrimRight(base, "/")
	for _, scheme := range []string{"https://", "http://"} {
		if rest, ok := strings.CutPrefix(base, scheme); ok {
			return "webcal://" + rest
		}
	}
	return base
}

// cpdLabel is the CPD hours of the dates (certificates.EventMinutes):
// "CPD: 5.5 hours", "CPD: 5.5–6 hours" when they differ, "" when none
// has teaching time on its agenda. Cancelled dates do not count.
func cpdLabel(events []catalog.Event) string {
	lo, hi := 0, 0
	for _, e := range events {
		if e.Status == catalog.Cancelled {
			continue
		}
		m := certificates.EventMinutes(e)
		if m == 0 {
			continue
		}
		if lo == 0 || m < lo {
			lo = m
		}
		hi = max(hi, m)
	}
	if lo == hi {
		return certificates.HoursLabel(lo)
	}
	return "CPD: " + certificates.FormatHours(lo) + "–" + certificates.FormatHours(hi) + " hours"
}
