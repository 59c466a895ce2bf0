package site

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"plenary/internal/catalog"
)

// The calendar and the feeds of a course's dates are for people who would
// rather not give an e-mail address: a calendar program subscribes to
// /courses/{slug}/dates.ics, a feed reader to /courses/{slug}/dates.atom
// or /dates.atom (every course). None of them sets a cookie, and they go
// through the page cache like the course page.

// feedMaxAge is how long a browser, a proxy or a calendar program may
// keep a calendar or a feed before asking again.
const feedMaxAge = "public, max-age=3600"

// feedMaxEntries bounds the site-wide feed.
const feedMaxEntries = 100

// upcomingDates are the course's dates still to come and not cancelled,
// in start order (as the course page lists them).
func upcomingDates(c catalog.Course, now time.Time) []catalog.Event {
	var out []catalog.Event
	for _, e := range c.Events {
		if !e.Past(now) && e.Status != catalog.Cancelled && len(e.Days) > 0 {
			out = append(out, e)
		}
	}
	return out
}

// publishedCourse returns the published course of the request's slug, or
// answers 404 and returns false.
func (s *Server) publishedCourse(w http.ResponseWriter, r *http.Request) (catalog.Course, bool) {
	c, err := s.catalog.CourseBySlug(r.Context(), r.PathValue("slug"))
	if err == nil && c.Status != catalog.Published {
		err = catalog.ErrNotFound
	}
	if err != nil {
		s.web.Error(w, r, err)
		return catalog.Course{}, false
	}
	return c, true
}

// courseCalendar serves GET /courses/{slug}/dates.ics: every upcoming date
// of a published course in one calendar to subscribe to (see
// catalog.CourseCalendar). A date cancelled or over leaves the file, and
// the calendar program removes it on its next refresh.
func (s *Server) courseCalendar(w http.ResponseWriter, r *http.Request) {
	c, ok := s.publishedCourse(w, r)
	if !ok {
		return
	}
	now := s.web.Now()
	body := catalog.CourseCalendar(c, upcomingDates(c, now), catalog.CalendarOptions{
		BaseURL:   s.web.AbsoluteBase(r),
		UIDDomain: s.uidDomain,
		Now:       now,
	})
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="%s-dates.ics"`, c.Slug))
	// Each entry's DTSTAMP is the moment the file was written, so the
	// tag is of the rest: weak, as two files that differ only there are
	// the same calendar.
	var rest []byte
	for line := range bytes.Lines(body) {
		if !bytes.HasPrefix(line, []byte("DTSTAMP")) {
			rest = append(rest, line...)
		}
	}
	serveFeed(w, r, "text/calendar; charset=utf-8", body, "W/"+bodyTag(rest))
}

// serveFeed answers with a calendar or feed: its cache lifetime and its
// ETag, so a calendar program or feed reader asking again with
// If-None-Match gets 304 Not Modified and no body while nothing changed —
// also from the page cache (web.Server.Cached). No Last-Modified: a date
// leaving a feed (it has run) changes the body but not the newest entry's
// time, so If-Modified-Since would be wrong.
func serveFeed(w http.ResponseWriter, r *http.Request, contentType string, body []byte, etag string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", feedMaxAge)
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// bodyTag is a strong entity tag of b: a hash of it.
func bodyTag(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// The Atom format (RFC 4287), as much of it as the feeds use.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Author  atomPerson  `xml:"author"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomLink struct {
	Rel   string `xml:"rel,attr,omitempty"`
	Type  string `xml:"type,attr,omitempty"`
	Href  string `xml:"href,attr"`
	Title string `xml:"title,attr,omitempty"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Text string `xml:",chardata"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     string     `xml:"title"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published"`
	Links     []atomLink `xml:"link"`
	Summary   atomText   `xml:"summary"`
}

// atomTime writes an Atom date (RFC 3339, UTC).
func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// tagAuthority is the authority of the feeds' tag URIs (RFC 4151): the
// install's calendar UID domain, which never changes, or the base URL's
// host.
func (s *Server) tagAuthority(base string) string {
	if s.uidDomain != "" {
		return s.uidDomain
	}
	if u, err := url.Parse(base); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "plenary.invalid"
}

// dateEntry is the feed entry of one date: its id never changes (a tag
// URI of the install's domain, the day the date was added and its ID);
// published is when it was added, updated the later of that and its last
// change; the title has the date and
// hours in its zone; it links to the course page and, when booking is on,
// to its booking form.
func (s *Server) dateEntry(c catalog.Course, e catalog.Event, base, authority string) atomEntry {
	added := e.CreatedAt
	if added.IsZero() {
		added = c.CreatedAt
	}
	loc := e.Location()
	v := newDateView(e, time.Time{})
	title := c.Title + ": " + v.DateLabel
	if len(e.Days) > 0 {
		title += ", " + e.Days[0].TimeRange(loc)
	}
	var sum strings.Builder
	fmt.Fprintf(&sum, "%s (%s). %s", v.DateLabel, v.Duration, v.Format)
	if v.Provider != "" {
		sum.WriteString(" (" + v.Provider + ")")
	}
	if v.Venue.Name != "" {
		sum.WriteString(", " + v.Venue.Name)
		if len(v.Venue.Address) > 0 {
			sum.WriteString(", " + strings.Join(v.Venue.Address, ", "))
		}
	}
	sum.WriteString(". Fee: " + feeSummary(c) + ".")
	courseURL := base + "/courses/" + c.Slug
	updated := added
	if e.UpdatedAt.After(updated) {
		updated = e.UpdatedAt
	}
	entry := atomEntry{
		ID:        fmt.Sprintf("tag:%s,%s:event-%d", authority, added.UTC().Format("2006-01-02"), e.ID),
		Title:     title,
		Updated:   atomTime(updated),
		Published: atomTime(added),
		Links:     []atomLink{{Rel: "alternate", Type: "text/html", Href: courseURL + "#dates"}},
		Summary:   atomText{Type: "text", Text: sum.String()},
	}
	if s.bookings != nil {
		entry.Links = append(entry.Links, atomLink{Rel: "related", Type: "text/html", Href: fmt.Sprintf("%s/events/%d/book", base, e.ID), Title: "Book a place"})
	}
	return entry
}

// writeFeed sorts the entries newest first, keeps at most max, sets the
// feed's updated time to the newest entry's (or since when there is none)
// and writes it.
func (s *Server) writeFeed(w http.ResponseWriter, r *http.Request, feed atomFeed, since time.Time, limit int) {
	slices.SortStableFunc(feed.Entries, func(a, b atomEntry) int { return strings.Compare(b.Updated, a.Updated) })
	if len(feed.Entries) > limit {
		feed.Entries = feed.Entries[:limit]
	}
	feed.Updated = atomTime(since)
	if len(feed.Entries) > 0 {
		feed.Updated = feed.Entries[0].Updated
	}
	feed.Author = atomPerson{Name: s.web.SiteName()}
	out, err := xml.MarshalIndent(feed, "", "  ")
	if err != nil {
		http.Error(w, "feed", http.StatusInternalServerError) // only a type error could cause it
		return
	}
	body := append(append([]byte(xml.Header), out...), '\n')
	serveFeed(w, r, "application/atom+xml; charset=utf-8", body, bodyTag(body))
}

// courseFeed serves GET /courses/{slug}/dates.atom: an entry for each
// upcoming date of a published course.
func (s *Server) courseFeed(w http.ResponseWriter, r *http.Request) {
	c, ok := s.publishedCourse(w, r)
	if !ok {
		return
	}
	base := strings.TrimRight(s.web.AbsoluteBase(r), "/")
	authority := s.tagAuthority(base)
	courseURL := base + "/courses/" + c.Slug
	feed := atomFeed{
		ID:    fmt.Sprintf("tag:%s,%s:course-%d-dates", authority, c.CreatedAt.UTC().Format("2006-01-02"), c.ID),
		Title: "New dates: " + c.Title,
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: courseURL + "/dates.atom"},
			{Rel: "alternate", Type: "text/html", Href: courseURL},
		},
	}
	for _, e := range upcomingDates(c, s.web.Now()) {
		feed.Entries = append(feed.Entries, s.dateEntry(c, e, base, authority))
	}
	s.writeFeed(w, r, feed, c.CreatedAt, len(feed.Entries))
}

// allFeed serves GET /dates.atom: the upcoming dates of every published
// course, the most recently added first (at most feedMaxEntries).
func (s *Server) allFeed(w http.ResponseWriter, r *http.Request) {
	now := s.web.Now()
	listings, err := s.catalog.Listings(r.Context(), catalog.Filter{}, now)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	base := strings.TrimRight(s.web.AbsoluteBase(r), "/")
	authority := s.tagAuthority(base)
	feed := atomFeed{
		ID:    base + "/dates.atom",
		Title: "New dates: " + s.web.SiteName(),
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: base + "/dates.atom"},
			{Rel: "alternate", Type: "text/html", Href: base + "/"},
		},
	}
	since := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, l := range listings {
		for _, e := range upcomingDates(l.Course, now) {
			feed.Entries = append(feed.Entries, s.dateEntry(l.Course, e, base, authority))
		}
	}
	s.writeFeed(w, r, feed, since, feedMaxEntries)
}
