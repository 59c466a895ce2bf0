package site

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/web"
)

// A course page in the page cache carries its places as slots (see
// web.SlotFiller): each upcoming date's "Book a place … 5 places left" and
// the aside's, rendered from the current places on every answer. A
// booking through this process makes the next answer read the places
// again (placesChanged) while the rest of the page stays cached, so a
// rush of bookings no longer renders the page for every visitor.
//
// How stale the places can be: after a booking through this process,
// not at all. After a booking through another process on the same
// database (a second instance), at most the page cache's TTL: the places
// read are kept that long. The rest of the page is stale by at most the
// TTL too, as before.

// placeSlots is what a cached course page keeps for its slots: the course
// and its upcoming dates as rendered, and the slots' contents as last
// read.
type placeSlots struct {
	course catalog.Course
	events []catalog.Event // upcoming, in the order of views
	views  []dateView

	mu      sync.Mutex
	frags   map[string][]byte
	gen     uint64 // the course's placesGen when frags were made
	expires time.Time
}

// placeGens counts, per course slug, the bookings made through this
// process; a change makes every cached page of the course read its places
// again.
type placeGens struct {
	mu sync.Mutex
	m  map[string]uint64
}

func (g *placeGens) get(slug string) uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.m[slug]
}

// placesChanged says a booking (or a cancellation) changed the places of
// the course slug: its pages show the new ones on their next answer.
func (s *Server) placesChanged(slug string) {
	g := &s.placeGens
	g.mu.Lock()
	if g.m == nil {
		g.m = map[string]uint64{}
	}
	g.m[slug]++
	g.mu.Unlock()
}

func slotName(kind string, eventID int64) string {
	return kind + ":" + strconv.FormatInt(eventID, 10)
}

// slotPlaces turns p's upcoming dates' booking parts into slots, and hands
// the page cache what filling them takes.
func (s *Server) slotPlaces(r *http.Request, p *coursePage, c catalog.Course, upcoming []catalog.Event) {
	for i, e := range upcoming {
		p.Upcoming[i].SlotDate = web.SlotMarker(slotName("date", e.ID))
		p.Upcoming[i].SlotNext = web.SlotMarker(slotName("next", e.ID))
	}
	web.SetSlots(r, &placeSlots{course: c, events: upcoming, views: append([]dateView(nil), p.Upcoming...)})
}

// fillPlaces is the course page's web.SlotFiller: the booking parts of
// each upcoming date from the places read at most the cache's TTL ago,
// and never before the last booking through this process.
func (s *Server) fillPlaces(r *http.Request, data any) (map[string][]byte, error) {
	d, ok := data.(*placeSlots)
	if !ok {
		return nil, fmt.Errorf("site: slots of %T", data)
	}
	gen := s.placeGens.get(d.course.Slug)
	now := s.web.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.frags != nil && d.gen == gen && now.Before(d.expires) {
		return d.frags, nil
	}
	places, err := s.bookings.PlacesFor(r.Context(), d.events)
	if err != nil {
		return nil, err
	}
	frags := make(map[string][]byte, 2*len(d.events))
	var buf bytes.Buffer
	for i, e := range d.events {
		v := d.views[i]
		v.SlotDate, v.SlotNext = "", ""
		v.Book = availabilityOf(d.course, e, places[e.ID], now)
		for _, part := range []struct{ kind, tmpl string }{{"date", "places_date"}, {"next", "places_next"}} {
			buf.Reset()
			if err := s.web.RenderPart(&buf, "course", part.tmpl, v); err != nil {
				return nil, err
			}
			frags[slotName(part.kind, e.ID)] = bytes.Clone(buf.Bytes())
		}
	}
	s.slotFills.Add(1)
	d.frags, d.gen, d.expires = frags, gen, now.Add(s.web.PageCacheTTL())
	return frags, nil
}
