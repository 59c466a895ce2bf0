package admin

import (
	"embed"
	"io/fs"

	"plenary/internal/messaging"
	"plenary/internal/web"
)

// Options configure the staff area.
type Options struct {
	// Outbox holds the e-mails, shown read-only under /admin/mail when
	// DevMailbox is on.
	Outbox *messaging.Outbox
	// DevMailbox serves the outbox read-only under /admin/mail, to
	// requests from this machine only; off (the default), those pages
	// answer 404 to everyone. It is for development: the e-mails hold
	// manage links. Never turn it on when mail goes out by SMTP.
	DevMailbox bool
}

// Server is the staff area. Its handlers are its methods; routes.go lists
// them.
type Server struct {
	web        *web.Server
	outbox     *messaging.Outbox
	devMailbox bool
}

// files holds the staff area's page templates.
//
//go:embed templates
var files embed.FS

// devDir is where PLENARY_DEV reads the staff area's templates from.
const devDir = "internal/web/admin"

// pages names every page template of the staff area with a function
// returning its page data's zero value; the kit renders each once at
// start.
var pages = map[string]func() any{
	"admin_mail":         func() any { return mailListPage{} },
	"admin_mail_message": func() any { return mailPage{} },
}

// New returns the staff area on kit, with its pages added to the kit.
func New(kit *web.Server, opts Options) (*Server, error) {
	if err := kit.AddPages(fs.FS(files), devDir, pages); err != nil {
		return nil, err
	}
	return &Server{web: kit, outbox: opts.Outbox, devMailbox: opts.DevMailbox}, nil
}
