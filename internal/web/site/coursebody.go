package site

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/web"
)

// The course page's body (the template "course_main": everything inside
// <main>) is rendered once per course version and kept, with the places
// of its upcoming dates as slots (web.SlotMarker), as the page cache keeps
// a whole page. Every request still reads the course's version (the
// catalogue's version-checked read, coursecache.go) and the places; it
// fills the slots from the places and renders only the layout around the
// body, so what is per request — the cookie banner and consent, analytics,
// the path, the staff area's navigation — is still rendered per request.
//
// A kept body is used only while everything it was made from is the
// same: the course's ID and version (raised by every write to the course
// and its dates, in the same transaction, whichever instance made it),
// which of its dates are past at the request's time, the base address of
// the calendar link, and whether lists are on. Otherwise the body is
// rendered again and replaces the kept one. The bytes are those of the
// whole page rendered at once (TestCourseBodyMatchesFullRender).

// maxCourseBodies bounds how many courses' bodies are kept (about 10 KB
// each); at the limit the store starts again empty.
const maxCourseBodies = 512

// maxFragments bounds the rendered places fragments a body keeps (one per
// date and distinct availability); at the limit they start again empty.
const maxFragments = 256

// courseBody is one course's rendered body and what it was made from.
type courseBody struct {
	// The key: what the body depends on besides the course's version.
	version int
	past    []bool // per event of the course, in its order
	webcal  template.URL
	lists   bool

	course   catalog.Course  // as read at the version; shared, never changed
	upcoming []catalog.Event // in the order of views
	views    []dateView      // the upcoming dates' views, slots unset
	slotted  bool            // the body holds places slots
	main     string          // the body, with slot markers
	parts    []string        // main cut at its markers (web.CutSlots)
	slots    []slotRef       // what each marker of parts stands for

	title, description, atom, calendar string

	mu    sync.Mutex
	frags map[fragmentKey][]byte
}

// slotRef is what a slot of the body stands for: the places part of the
// upcoming date (its index), with each date or, with next, in the aside.
type slotRef struct {
	date int
	next bool
}

// fragmentKey names a places fragment: a date's part (its index in
// upcoming), which part, and what it says.
type fragmentKey struct {
	date int
	next bool
	book availability
}

// courseBodies is the kept bodies by course ID.
type courseBodies struct {
	mu sync.Mutex
	m  map[int64]*courseBody
}

func (b *courseBodies) get(id int64) *courseBody {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.m[id]
}

func (b *courseBodies) put(id int64, body *courseBody) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil || len(b.m) >= maxCourseBodies {
		b.m = map[int64]*courseBody{}
	}
	b.m[id] = body
}

// matches reports whether body was made from course c at now for r.
func (b *courseBody) matches(c *catalog.Course, now time.Time, webcal template.URL, lists bool) bool {
	if b.version != c.Version || b.webcal != webcal || b.lists != lists || len(b.past) != len(c.Events) {
		return false
	}
	for i := range c.Events {
		if b.past[i] != c.Events[i].Past(now) {
			return false
		}
	}
	return true
}

// coursePageData builds the course page's data for c at now, without
// Base and without places.
func (s *Server) coursePageData(c catalog.Course, now time.Time, webcal template.URL) (coursePage, []catalog.Event) {
	p := coursePage{
		Slug:    c.Slug,
		Title:   c.Title,
		Summary: c.Summary,
		Topics:  c.Topics,
		Free:    c.Free(),
		Fees:    feeViews(c.Fees),
		Joining: joiningPromise(c.JoiningLeadDays),
	}
	p.Description = metaDescription(c.Summary)
	for _, sec := range []struct{ id, title, src string }{
		{"about", "About this course", c.About},
		{"audience", "Who it is for", c.Audience},
		{"aims", "Aims", c.Aims},
		{"prerequisites", "Prerequisites", c.Prerequisites},
		{"delivery", "How it runs", c.Delivery},
	} {
		if strings.TrimSpace(sec.src) == "" {
			continue
		}
		p.Sections = append(p.Sections, section{
			ID:    sec.id,
			Title: sec.title,
			HTML:  s.markdown.render(c.Slug, sec.id, c.UpdatedAt, sec.src),
		})
	}
	var upcoming []catalog.Event
	for _, e := range c.Events {
		v := newDateView(e, now)
		if v.Past {
			p.Past = append(p.Past, v)
		} else {
			p.Upcoming = append(p.Upcoming, v)
			upcoming = append(upcoming, e)
		}
	}
	slices.Reverse(p.Past)
	p.CPD = cpdLabel(upcoming)
	p.CalendarFeed = "/courses/" + c.Slug + "/dates.ics"
	p.AtomFeed = "/courses/" + c.Slug + "/dates.atom"
	p.WebcalURL = webcal + template.URL(p.CalendarFeed)
	if s.listsOn() {
		p.Subscribe = newSubscribeForm(c)
	}
	return p, upcoming
}

// makeCourseBody renders c's body at now.
func (s *Server) makeCourseBody(c catalog.Course, now time.Time, webcal template.URL, lists bool) (*courseBody, error) {
	p, upcoming := s.coursePageData(c, now, webcal)
	b := &courseBody{
		version: c.Version, webcal: webcal, lists: lists,
		course: c, upcoming: upcoming,
		title: p.Title, description: p.Description, atom: p.AtomFeed, calendar: p.CalendarFeed,
	}
	b.past = make([]bool, len(c.Events))
	for i, e := range c.Events {
		b.past[i] = e.Past(now)
	}
	b.views = slices.Clone(p.Upcoming)
	if s.bookings != nil && len(upcoming) > 0 {
		b.slotted = true
		for i, e := range upcoming {
			p.Upcoming[i].SlotDate = web.SlotMarker(slotName("date", e.ID))
			p.Upcoming[i].SlotNext = web.SlotMarker(slotName("next", e.ID))
		}
	}
	p.Agenda = shareAgendas(p.Upcoming)
	var buf bytes.Buffer
	if err := s.web.RenderPart(&buf, "course", "course_main", p); err != nil {
		return nil, err
	}
	b.main = buf.String()
	if b.slotted {
		names := make(map[string]slotRef, 2*len(upcoming))
		for i, e := range upcoming {
			names[slotName("date", e.ID)] = slotRef{date: i}
			names[slotName("next", e.ID)] = slotRef{date: i, next: true}
		}
		b.parts = web.CutSlots(b.main)
		for i := 1; i < len(b.parts); i += 2 {
			ref, ok := names[b.parts[i]]
			if !ok {
				return nil, fmt.Errorf("site: course page has an unknown slot %q", b.parts[i])
			}
			b.slots = append(b.slots, ref)
		}
	}
	return b, nil
}

// fragment is the places part (places_date, or places_next with next) of
// the upcoming date i showing book, rendered once per body.
func (s *Server) fragment(b *courseBody, i int, next bool, book availability) ([]byte, error) {
	k := fragmentKey{date: i, next: next, book: book}
	b.mu.Lock()
	f, ok := b.frags[k]
	b.mu.Unlock()
	if ok {
		return f, nil
	}
	v := b.views[i]
	v.Book = book
	name := "places_date"
	if next {
		name = "places_next"
	}
	var buf bytes.Buffer
	if err := s.web.RenderPart(&buf, "course", name, v); err != nil {
		return nil, err
	}
	f = buf.Bytes()
	b.mu.Lock()
	if b.frags == nil || len(b.frags) >= maxFragments {
		b.frags = map[fragmentKey][]byte{}
	}
	b.frags[k] = f
	b.mu.Unlock()
	return f, nil
}

var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// courseShowKept serves the course page c from its kept body (making it
// if the kept one does not match), filling the places read now.
func (s *Server) courseShowKept(w http.ResponseWriter, r *http.Request, c catalog.Course) {
	now := s.web.Now()
	webcal := template.URL(webcal(s.web.AbsoluteBase(r)))
	lists := s.listsOn()
	b := s.bodies.get(c.ID)
	if b == nil || !b.matches(&c, now, webcal, lists) {
		var err error
		if b, err = s.makeCourseBody(c, now, webcal, lists); err != nil {
			s.web.Error(w, r, err)
			return
		}
		s.bodies.put(c.ID, b)
	}
	p := coursePage{Base: s.web.Base(r), Title: b.title, AtomFeed: b.atom, CalendarFeed: b.calendar}
	p.Description = b.description
	switch {
	case !b.slotted:
		p.Main = template.HTML(b.main)
	case web.Slotted(r):
		// The page cache keeps the page with its slots and fills them.
		web.SetSlots(r, &placeSlots{course: b.course, events: b.upcoming, views: b.views})
		p.Main = template.HTML(b.main)
	default:
		places, err := s.bookings.PlacesFor(r.Context(), b.upcoming)
		if err != nil {
			s.web.Error(w, r, err)
			return
		}
		books := make([]availability, len(b.upcoming))
		for i, e := range b.upcoming {
			books[i] = availabilityOf(b.course, e, places[e.ID], now)
		}
		buf := bodyBuffers.Get().(*bytes.Buffer)
		buf.Reset()
		for i, part := range b.parts {
			if i%2 == 0 {
				buf.WriteString(part)
				continue
			}
			ref := b.slots[i/2]
			f, err := s.fragment(b, ref.date, ref.next, books[ref.date])
			if err != nil {
				s.web.Error(w, r, err)
				return
			}
			buf.Write(f)
		}
		p.Main = template.HTML(buf.String())
		if buf.Cap() <= 1<<20 {
			bodyBuffers.Put(buf)
		}
	}
	s.web.Render(w, r, http.StatusOK, "course", p)
}
