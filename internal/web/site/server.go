package site

import (
	"embed"
	"io/fs"
	"sync/atomic"

	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/certificates"
	"plenary/internal/lists"
	"plenary/internal/web"
)

// Options configure the public site.
type Options struct {
	Catalog *catalog.Store
	// Bookings takes and changes bookings; nil hides the booking links
	// and pages (they answer 404).
	Bookings *booking.Service
	// Lists takes subscriptions to new dates; nil, or a service without
	// PLENARY_LIST_SECRET, hides the form (the lists' pages answer 404).
	Lists *lists.Service
	// Certificates verifies CPD certificates (/verify) and gives a
	// booking's certificate to its manage page; nil turns both off.
	Certificates *certificates.Issuer
	// UIDDomain names calendar UIDs; it must never change for an install
	// (empty = the base URL's host). See catalog.CalendarOptions.
	UIDDomain string
	// AccessNeedsRetentionDays is how many days after an event its
	// bookings' access needs are kept, as the privacy page says.
	AccessNeedsRetentionDays int
	// MessageBodyRetentionDays is how many days after sending an e-mail's
	// text is kept (0: until the person asks), as the privacy page says.
	MessageBodyRetentionDays int
	// PageViews says that consented page views are counted; the privacy
	// page then says for how long they are kept (PageViewRetentionDays,
	// 0: until erased by hand). The analytics work sets it when it counts.
	PageViews             bool
	PageViewRetentionDays int
	// ListUnconfirmedDays is how long a request to hear about new dates is
	// kept if it is never confirmed (PLENARY_LIST_UNCONFIRMED_DAYS), as the
	// privacy page says when lists are on.
	ListUnconfirmedDays int
}

// Server is the public site. Its handlers are its methods; routes.go
// lists them.
type Server struct {
	web           *web.Server
	catalog       *catalog.Store
	bookings      *booking.Service
	lists         *lists.Service
	certificates  *certificates.Issuer
	uidDomain     string
	retentionDays int
	retention     privacyRetention
	markdown      *markdownCache
	// placeGens and the counters are the course page's places slots
	// (placeslots.go): renders counts course pages rendered, slotFills
	// the reads of places that filled slots.
	placeGens          placeGens
	renders, slotFills atomic.Int64
	// bodies are the course pages' bodies, kept per course version
	// (coursebody.go).
	bodies courseBodies
}

// files holds the site's page templates and partials.
//
//go:embed templates
var files embed.FS

// devDir is where PLENARY_DEV reads the site's templates from.
const devDir = "internal/web/site"

// pages names every page template of the site with a function returning
// its page data's zero value; the kit renders each once at start.
var pages = map[string]func() any{
	"home":         func() any { return homePage{} },
	"course":       func() any { return coursePage{} },
	"system_check": func() any { return systemCheckPage{} },
	"cookies":      func() any { return cookiesPage{} },
	"privacy":      func() any { return privacyPage{} },
	"list":         func() any { return listPage{} },
	"verify":       func() any { return verifyPage{} },

	"booking_form":   func() any { return bookingFormPage{} },
	"booking_manage": func() any { return managePage{} },
	"booking_cancel": func() any { return managePage{} },
}

// New returns the public site on kit, with its pages added to the kit.
func New(kit *web.Server, opts Options) (*Server, error) {
	if err := kit.AddPages(fs.FS(files), devDir, pages); err != nil {
		return nil, err
	}
	return &Server{
		web:           kit,
		catalog:       opts.Catalog,
		bookings:      opts.Bookings,
		lists:         opts.Lists,
		certificates:  opts.Certificates,
		uidDomain:     opts.UIDDomain,
		retentionDays: opts.AccessNeedsRetentionDays,
		retention: privacyRetention{MessageBodyDays: opts.MessageBodyRetentionDays,
			PageViews: opts.PageViews, PageViewDays: opts.PageViewRetentionDays,
			UnconfirmedDays: opts.ListUnconfirmedDays},
		markdown: newMarkdownCache(256),
	}, nil
}
