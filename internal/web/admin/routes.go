package admin

import "plenary/internal/web"

// Routes lists every page of the staff area. Today that is the dev
// mailbox, for this machine only (adminOnly); its pages show manage
// links, so they are private.
func (s *Server) Routes() []web.Route {
	return []web.Route{
		{Pattern: "GET /admin/mail", Handler: s.adminOnly(s.adminMailList), Private: true},
		{Pattern: "GET /admin/mail/{id}", Handler: s.adminOnly(s.adminMailShow), Private: true},
		{Pattern: "GET /admin/mail/{id}/html", Handler: s.adminOnly(s.adminMailHTML), Private: true},
		{Pattern: "GET /admin/mail/{id}/attachments/{n}", Handler: s.adminOnly(s.adminMailAttachment), Private: true},
	}
}
