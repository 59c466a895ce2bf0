package site

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"sync"

	"plenary/internal/web"
)

// privacyPage says what Plenary keeps about a participant and why.
type privacyPage struct {
	web.Base
	// RetentionDays is how long after an event access needs are kept
	// (PLENARY_ACCESS_NEEDS_RETENTION_DAYS).
	RetentionDays int
	privacyRetention
}

// privacyRetention is how long the other kinds of data are kept, from
// the settings (docs/privacy.md).
type privacyRetention struct {
	MessageBodyDays int  // PLENARY_MESSAGE_BODY_RETENTION_DAYS; 0 keeps them
	PageViews       bool // consented page views are counted
	PageViewDays    int  // PLENARY_PAGE_VIEW_RETENTION_DAYS; 0 keeps them
	Lists           bool // the "hear about new dates" form is on
	UnconfirmedDays int  // PLENARY_LIST_UNCONFIRMED_DAYS
}

// privacyShow serves GET /privacy.
func (s *Server) privacyShow(w http.ResponseWriter, r *http.Request) {
	p := privacyPage{Base: s.web.Base(r), RetentionDays: s.retentionDays, privacyRetention: s.retention}
	p.Lists = s.listsOn()
	p.Description = "What " + s.web.SiteName() + " keeps about you when you book a course, why, who sees it and how to ask for a copy or to have it erased."
	s.web.Render(w, r, http.StatusOK, "privacy", p)
}

// robots is robots.txt: the catalogue and course pages may be indexed;
// manage links and the admin area may not.
const robots = `User-agent: *
Disallow: /bookings/
Disallow: /admin/
Allow: /
`

// robotsTxt serves GET /robots.txt.
func (s *Server) robotsTxt(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=86400")
	w.Write([]byte(robots))
}

// faviconICO is /favicon.ico, for the browsers and tools that ask for it
// whatever the page links: the icon of static/favicon.svg (a white P on
// the brand blue), drawn at 32×32 and wrapped as a one-image ICO file.
// Drawn on the first request, not at start: the PNG encoder's compressor
// takes 860 KB (docs/PERFORMANCE.md, "Idle cost and binary size").
var faviconICO = sync.OnceValue(func() []byte {
	const size = 32
	brand := color.NRGBA{0x1d, 0x4e, 0x6f, 0xff}
	white := color.NRGBA{0xff, 0xff, 0xff, 0xff}
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	in := func(x, y, x0, y0, x1, y1 int) bool { return x >= x0 && x < x1 && y >= y0 && y < y1 }
	for y := range size {
		for x := range size {
			// The rounded square: corners of radius 6 left transparent.
			cx, cy := min(max(x, 6), size-7), min(max(y, 6), size-7)
			dx, dy := float64(x-cx)+0.5, float64(y-cy)+0.5
			if (x < 6 || x >= size-6) && (y < 6 || y >= size-6) && dx*dx+dy*dy > 36 {
				continue
			}
			c := brand
			stem := in(x, y, 9, 7, 13, 25)
			bowl := in(x, y, 9, 7, 24, 19) && !in(x, y, 13, 11, 20, 15)
			if stem || bowl {
				c = white
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var pngData bytes.Buffer
	if err := png.Encode(&pngData, img); err != nil {
		panic(err) // an in-memory image always encodes
	}
	var ico bytes.Buffer
	binary.Write(&ico, binary.LittleEndian, struct {
		Reserved, Type, Count uint16
		Width, Height, Colors uint8
		Reserved2             uint8
		Planes, BitCount      uint16
		Size, Offset          uint32
	}{0, 1, 1, size, size, 0, 0, 1, 32, uint32(pngData.Len()), 22})
	ico.Write(pngData.Bytes())
	return ico.Bytes()
})

// faviconShow serves GET /favicon.ico.
func (s *Server) faviconShow(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "image/x-icon")
	h.Set("Cache-Control", "public, max-age=86400")
	w.Write(faviconICO())
}
