package admin

import (
	"embed"
	"errors"
	"io/fs"
	"plenary/internal/analytics"
	"sync"

	"plenary/internal/account"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/certificates"
	"plenary/internal/database"
	"plenary/internal/lists"
	"plenary/internal/messaging"
	"plenary/internal/person"
	"plenary/internal/web"
)

// Options configure the staff area.
type Options struct {
	// Accounts signs staff in and out and says what each may do. It is
	// required: every page but the sign-in and reset pages needs a
	// session.
	Accounts *account.Service
	// DB is where a password reset e-mail is queued (in its own
	// transaction, through Outbox).
	DB *database.DB
	// Outbox queues the password reset e-mails and holds the e-mails
	// of the mail log (/admin/messages); without it the mail log answers
	// 404.
	Outbox *messaging.Outbox
	// DevMailbox says that mail is kept, not sent (PLENARY_DEV_MAILBOX,
	// or serve -demo without SMTP): the mail log says so.
	DevMailbox bool
	// Bookings answers what needs attention (/admin/attention); without
	// it that page answers 404 and the first page does not link it.
	Bookings *booking.Service
	// PageViews reads the page views counted with consent
	// (/admin/analytics, with Bookings for the courses); without it that
	// page answers 404.
	PageViews *analytics.Report
	// People exports and erases a person's data (/admin/people); without
	// it those pages answer 404.
	People *person.Registry
	// Lists are the subscribers to new dates (/admin/lists); without it
	// those pages answer 404.
	Lists *lists.Service
	// Register takes the register, assigns trainers to dates and says
	// who completed (/admin/dates/{id}/register…); without it those
	// pages answer 404.
	Register *certificates.Register
	// Catalog is the catalogue the course editor (/admin/courses) reads
	// and saves through (Store.Save, with the hooks wired in); without it
	// those pages answer 404.
	Catalog *catalog.Store
	// Certificates issues, sends, reissues and revokes CPD certificates
	// (certificates.go); nil turns those pages off.
	Certificates *certificates.Issuer
}

// Server is the staff area. Its handlers are its methods; routes.go lists
// them.
type Server struct {
	web          *web.Server
	accounts     *account.Service
	db           *database.DB
	outbox       *messaging.Outbox
	devMailbox   bool
	mail         *messaging.Templates
	bookings     *booking.Service
	pageViews    *analytics.Report
	people       *person.Registry
	lists        *lists.Service
	register     *certificates.Register
	catalog      *catalog.Store
	certificates *certificates.Issuer

	// resets is when a reset e-mail last went to each address, so that
	// the reset form cannot be used to flood someone's inbox.
	resetsMu sync.Mutex
	resets   map[string]resetSent
}

// files holds the staff area's page templates.
//
//go:embed templates
var files embed.FS

// mailFiles holds the staff area's e-mails (the password reset).
//
//go:embed mail
var mailFiles embed.FS

// devDir is where PLENARY_DEV reads the staff area's templates from.
const devDir = "internal/web/admin"

// pages names every page template of the staff area with a function
// returning its page data's zero value; the kit renders each once at
// start.
var pages = map[string]func() any{
	"admin_messages":        func() any { return messagesPage{} },
	"admin_analytics":       func() any { return analyticsPage{} },
	"admin_message":         func() any { return messagePage{} },
	"admin_audit":           func() any { return auditPage{} },
	"admin_login":           func() any { return loginPage{} },
	"admin_home":            func() any { return homePage{} },
	"admin_reset":           func() any { return resetPage{} },
	"admin_reset_set":       func() any { return resetSetPage{} },
	"admin_codes":           func() any { return codesPage{} },
	"admin_attention":       func() any { return attentionPage{} },
	"admin_bookings":        func() any { return deskPage{} },
	"admin_booking":         func() any { return bookingPage{} },
	"admin_bulk":            func() any { return bulkPage{} },
	"admin_people":          func() any { return peoplePage{} },
	"admin_person":          func() any { return personPage{} },
	"admin_booking_action":  func() any { return actionPage{} },
	"admin_lists":           func() any { return listsPage{} },
	"admin_subscriber":      func() any { return subscriberPage{} },
	"admin_lists_import":    func() any { return importPage{} },
	"admin_register":        func() any { return registerPage{} },
	"admin_register_day":    func() any { return registerDayPage{} },
	"admin_register_report": func() any { return reportPage{} },
	"admin_courses":         func() any { return coursesPage{} },
	"admin_course":          func() any { return coursePage{} },
	"admin_dates":           func() any { return datesPage{} },
	"admin_date":            func() any { return dateEditPage{} },
	"admin_certificates":    func() any { return certificatesPage{} },
	"admin_staff":           func() any { return staffListPage{} },
	"admin_staff_user":      func() any { return staffUserPage{} },
}

// mails names every e-mail of the staff area with its data's zero value.
var mails = map[string]func() any{
	"password_reset": func() any { return resetMail{} },
}

// New returns the staff area on kit, with its pages added to the kit.
func New(kit *web.Server, opts Options) (*Server, error) {
	if opts.Accounts == nil {
		return nil, errors.New("admin: the staff area needs the account service")
	}
	if err := kit.AddPages(fs.FS(files), devDir, pages); err != nil {
		return nil, err
	}
	dir, err := fs.Sub(mailFiles, "mail")
	if err != nil {
		return nil, err
	}
	mail, err := messaging.ParseTemplates(dir, mails)
	if err != nil {
		return nil, err
	}
	return &Server{web: kit, accounts: opts.Accounts, db: opts.DB, outbox: opts.Outbox, devMailbox: opts.DevMailbox,
		mail: mail, bookings: opts.Bookings, pageViews: opts.PageViews, people: opts.People, lists: opts.Lists, register: opts.Register, catalog: opts.Catalog, certificates: opts.Certificates,
		resets: map[string]resetSent{}}, nil
}
