package site

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/web"
)

// The course page's body (the template "course_main": everything inside
// <main>) is rendered once per course version and kept, with the places
// of its upcoming dates as slots (web.SlotMarker), as the page cache keeps
// a whole page. Every request still reads the course's version (the
// catalogue's version-checked read, coursecache.go) and the places — in
// one statement when a body of the slug is kept (PlacesIfCurrent); it
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

// maxFrames bounds the layouts a body keeps (one per distinct Base:
// cookie choice, path with its query, …); at the limit they start again
// empty.
const maxFrames = 8

// maxFramePath bounds the address (path and query) of a request whose
// layout is kept: a longer one (tracking parameters, or a visitor making
// up megabyte-long query strings) gets its layout rendered and not kept,
// so neither memory nor the common layouts suffer.
const maxFramePath = 256

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

	mu     sync.Mutex
	frags  map[fragmentKey][]byte
	frames map[web.BaseKey]frame
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

// courseBodies is the kept bodies by course ID, and the ID of the last
// kept body of each slug.
type courseBodies struct {
	mu    sync.Mutex
	m     map[int64]*courseBody
	slugs map[string]int64
}

func (b *courseBodies) get(id int64) *courseBody {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.m[id]
}

// bySlug is the last body kept for a course with slug, whatever course
// has it now: the caller checks its version.
func (b *courseBodies) bySlug(slug string) *courseBody {
	b.mu.Lock()
	defer b.mu.Unlock()
	id, ok := b.slugs[slug]
	if !ok {
		return nil
	}
	return b.m[id]
}

// forget drops the body kept for slug.
func (b *courseBodies) forget(slug string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if id, ok := b.slugs[slug]; ok {
		delete(b.slugs, slug)
		delete(b.m, id)
	}
}

func (b *courseBodies) put(id int64, body *courseBody) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil || len(b.m) >= maxCourseBodies {
		b.m, b.slugs = map[int64]*courseBody{}, map[string]int64{}
	}
	b.m[id] = body
	b.slugs[body.course.Slug] = id
}

// matches reports whether body is what the course at version makes at
// now with webcal and lists.
func (b *courseBody) matches(version int, now time.Time, webcal template.URL, lists bool) bool {
	return b.version == version && b.matchesAt(now, webcal, lists)
}

// matchesAt is matches but for the version: whether body is what the
// course at its version makes at now with webcal and lists.
func (b *courseBody) matchesAt(now time.Time, webcal template.URL, lists bool) bool {
	if b.webcal != webcal || b.lists != lists {
		return false
	}
	for i, e := range b.course.Events { // the events at version
		if b.past[i] != e.Past(now) {
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

// frameMarker stands for the body in a rendered frame: a comment no
// escaped text can contain.
const frameMarker = "<!--plenary-course-body-->"

// frame is the course page's layout around its body for one request's
// Base: the page up to the body and after it.
type frame struct{ head, tail string }

// frame returns b's layout for base, rendered once per distinct Base
// (every field of it: web.BaseKey) and kept with the body.
func (s *Server) frame(b *courseBody, base web.Base) (frame, error) {
	base.Description = b.description
	k := base.Key()
	b.mu.Lock()
	f, ok := b.frames[k]
	b.mu.Unlock()
	if ok {
		return f, nil
	}
	p := coursePage{Base: base, Title: b.title, AtomFeed: b.atom, CalendarFeed: b.calendar, Main: frameMarker}
	var buf bytes.Buffer
	if err := s.web.Execute(&buf, "course", p); err != nil {
		return frame{}, err
	}
	page := buf.String()
	if strings.Count(page, frameMarker) != 1 {
		return frame{}, fmt.Errorf("site: the course page's layout shows its body %d times", strings.Count(page, frameMarker))
	}
	f.head, f.tail, _ = strings.Cut(page, frameMarker)
	if len(base.Path) > maxFramePath {
		return f, nil
	}
	b.mu.Lock()
	if b.frames == nil || len(b.frames) >= maxFrames {
		b.frames = map[web.BaseKey]frame{}
	}
	b.frames[k] = f
	b.mu.Unlock()
	return f, nil
}

// courseShowKept serves the course page slug from its kept body: one
// query of the course's version and, with booking on, one of the places —
// both in one round trip when the kept body is the slug's and still
// fits the request (booking.Service.PlacesIfCurrent). A body that does
// not match (another version, a date past since, …) is made again from
// the course read afresh.
func (s *Server) courseShowKept(w http.ResponseWriter, r *http.Request, slug string) {
	ctx := r.Context()
	now := s.web.Now()
	webcal := template.URL(webcal(s.web.AbsoluteBase(r)))
	lists := s.listsOn()
	if b := s.bodies.bySlug(slug); b != nil && b.slotted && !web.Slotted(r) && b.matchesAt(now, webcal, lists) {
		places, current, err := s.bookings.PlacesIfCurrent(ctx, b.course.ID, b.version, b.upcoming)
		if err != nil {
			s.web.Error(w, r, err)
			return
		}
		if current {
			s.writeCourseBody(w, r, b, places, now)
			return
		}
	}
	id, version, err := s.catalog.CourseVersionBySlug(ctx, slug)
	if err != nil {
		s.forgetGone(slug, err)
		s.web.Error(w, r, err)
		return
	}
	b := s.bodies.get(id)
	if b == nil || !b.matches(version, now, webcal, lists) {
		c, err := s.catalog.CourseBySlug(ctx, slug)
		if err == nil && c.Status != catalog.Published {
			err = catalog.ErrNotFound
		}
		if err != nil {
			s.forgetGone(slug, err)
			s.web.Error(w, r, err)
			return
		}
		if b, err = s.makeCourseBody(c, now, webcal, lists); err != nil {
			s.web.Error(w, r, err)
			return
		}
		s.bodies.put(c.ID, b)
	}
	var places map[int64]booking.Places
	if b.slotted && web.Slotted(r) {
		// The page cache keeps the page with its slots and fills them.
		web.SetSlots(r, &placeSlots{course: b.course, events: b.upcoming, views: b.views})
	} else if b.slotted {
		if places, err = s.bookings.PlacesFor(ctx, b.upcoming); err != nil {
			s.web.Error(w, r, err)
			return
		}
	}
	s.writeCourseBody(w, r, b, places, now)
}

// forgetGone forgets the kept body of slug when the course is not
// there to show (err is catalog.ErrNotFound: gone, or no longer
// published), so its requests stop trying the kept body first.
func (s *Server) forgetGone(slug string, err error) {
	if errors.Is(err, catalog.ErrNotFound) {
		s.bodies.forget(slug)
	}
}

// writeCourseBody writes the course page from kept body b: its slots
// filled from places, or left for the page cache when places is nil.
func (s *Server) writeCourseBody(w http.ResponseWriter, r *http.Request, b *courseBody, places map[int64]booking.Places, now time.Time) {
	s.renders.Add(1)
	f, err := s.frame(b, s.web.Base(r))
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	var books []availability
	if places != nil {
		books = make([]availability, len(b.upcoming))
		for i, e := range b.upcoming {
			books[i] = availabilityOf(b.course, e, places[e.ID], now)
		}
	}
	buf := bodyBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 1<<20 {
			bodyBuffers.Put(buf)
		}
	}()
	buf.WriteString(f.head)
	if books == nil {
		buf.WriteString(b.main)
	} else {
		for i, part := range b.parts {
			if i%2 == 0 {
				buf.WriteString(part)
				continue
			}
			ref := b.slots[i/2]
			frag, err := s.fragment(b, ref.date, ref.next, books[ref.date])
			if err != nil {
				s.web.Error(w, r, err)
				return
			}
			buf.Write(frag)
		}
	}
	buf.WriteString(f.tail)
	s.web.WriteHTML(w, r, http.StatusOK, buf.Bytes())
}
