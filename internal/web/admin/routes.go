package admin

import (
	"net/http"

	"plenary/internal/account"
	"plenary/internal/web"
)

// access is what a route asks of the request: nothing (the sign-in and
// reset pages), a session, or a session whose user holds a permission.
type access struct {
	public bool
	perm   account.Permission // "" with public false: any session
	// some lets through a user who holds perm on at least one course
	// (account.CanSome); the handler then checks the course of what it
	// shows or changes with allowedOn and narrows lists with courseLimit.
	some bool
}

// The accesses routes declare.
var (
	public   = access{public: true}
	signedIn = access{}
)

// pm asks for permission p site-wide (course 0): a user whose role is
// limited to some courses is refused (see account.Can). Pages of one
// course's dates and bookings, when they come, will name their course
// here so that account.Can can admit a course-limited user.
func pm(p account.Permission) access { return access{perm: p} }

// pmSome asks for permission p on at least one course: for the pages of
// bookings, which a coordinator limited to some courses may use for
// those courses. The handler must check the course (allowedOn) or
// narrow its list (courseLimit).
func pmSome(p account.Permission) access { return access{perm: p, some: true} }

// allowedOn reports whether the request's session may do p on the course
// with ID courseID; when not, it writes the 403 page. Handlers behind
// pmSome call it once they know the course of the booking at hand.
func (s *Server) allowedOn(w http.ResponseWriter, r *http.Request, p account.Permission, courseID int64) bool {
	if sess, ok := sessionOf(r); ok && sess.Can(p, courseID) {
		return true
	}
	s.web.Error(w, r, web.ErrForbidden, web.Link{URL: "/admin", Label: "Back to the staff area"})
	return false
}

// courseLimit is the courses a list behind pmSome is narrowed to: nil
// for a user who is not limited to some courses (every course).
func courseLimit(r *http.Request) []int64 {
	sess, ok := sessionOf(r)
	if !ok || !sess.User.CourseLimited {
		return nil
	}
	return sess.User.Courses
}

// route is one route of the staff area with what it asks.
type route struct {
	pattern    string
	access     access
	handler    http.HandlerFunc
	secretPath bool
	maxBody    int64 // a larger request limit (an upload)
}

// routes lists every route of the staff area with the permission it
// needs, declared here and nowhere else; TestRouteAccess reads this
// table, so a new route without a row there fails.
func (s *Server) routes() []route {
	return []route{
		{pattern: "GET /admin/login", access: public, handler: s.loginForm},
		{pattern: "POST /admin/login", access: public, handler: s.login},
		{pattern: "GET /admin/reset", access: public, handler: s.resetForm},
		{pattern: "POST /admin/reset", access: public, handler: s.web.Limit(s.resetAsk)},
		{pattern: "GET /admin/reset/{token}", access: public, handler: s.resetSetForm, secretPath: true},
		{pattern: "POST /admin/reset/{token}", access: public, handler: s.web.Limit(s.resetSet), secretPath: true},

		{pattern: "GET /admin", access: signedIn, handler: s.home},
		{pattern: "POST /admin/logout", access: signedIn, handler: s.logout},
		{pattern: "POST /admin/logout-everywhere", access: signedIn, handler: s.logoutEverywhere},
		{pattern: "GET /admin/account/codes", access: signedIn, handler: s.codes},
		{pattern: "POST /admin/account/codes/start", access: signedIn, handler: s.codesStart},
		{pattern: "POST /admin/account/codes", access: signedIn, handler: s.web.Limit(s.codesConfirm)},
		// Anything else under /admin is the 404 page, to staff only: an
		// anonymous request learns nothing of which pages exist.
		{pattern: "/admin/", access: signedIn, handler: s.web.NotFound},

		{pattern: "GET /admin/attention", access: pmSome(account.BookingsRead), handler: s.attention},

		// The bookings desk (desk.go, booking.go, bulk.go, export.go).
		{pattern: "GET /admin/bookings", access: pmSome(account.BookingsRead), handler: s.desk},
		{pattern: "GET /admin/bookings/export.csv", access: pmSome(account.BookingsRead), handler: s.exportCSV},
		{pattern: "GET /admin/bookings/export.xlsx", access: pmSome(account.BookingsRead), handler: s.exportXLSX},
		{pattern: "POST /admin/bookings/bulk", access: pmSome(account.BookingsRead), handler: s.bulk},
		{pattern: "GET /admin/bookings/{id}", access: pmSome(account.BookingsRead), handler: s.bookingShow},
		{pattern: "POST /admin/bookings/{id}/notes", access: pmSome(account.BookingsEdit), handler: s.bookingNote},
		// A booking's actions (actions.go): each handler checks the
		// booking's course with allowedOn, on GET and on POST.
		{pattern: "GET /admin/bookings/{id}/review", access: pmSome(account.BookingsApprove), handler: s.review},
		{pattern: "POST /admin/bookings/{id}/review", access: pmSome(account.BookingsApprove), handler: s.review},
		{pattern: "GET /admin/bookings/{id}/cancel", access: pmSome(account.BookingsEdit), handler: s.cancel},
		{pattern: "POST /admin/bookings/{id}/cancel", access: pmSome(account.BookingsEdit), handler: s.cancel},
		{pattern: "GET /admin/bookings/{id}/move", access: pmSome(account.BookingsEdit), handler: s.move},
		{pattern: "POST /admin/bookings/{id}/move", access: pmSome(account.BookingsEdit), handler: s.move},
		{pattern: "GET /admin/bookings/{id}/offer", access: pmSome(account.BookingsEdit), handler: s.offer},
		{pattern: "POST /admin/bookings/{id}/offer", access: pmSome(account.BookingsEdit), handler: s.offer},
		{pattern: "GET /admin/bookings/{id}/details", access: pmSome(account.BookingsEdit), handler: s.details},
		{pattern: "POST /admin/bookings/{id}/details", access: pmSome(account.BookingsEdit), handler: s.details},
		{pattern: "GET /admin/bookings/{id}/payment", access: pmSome(account.InvoicesMarkPaid), handler: s.payment},
		{pattern: "POST /admin/bookings/{id}/payment", access: pmSome(account.InvoicesMarkPaid), handler: s.payment},
		{pattern: "GET /admin/bookings/new", access: pmSome(account.BookingsEdit), handler: s.bookingNew},
		{pattern: "POST /admin/bookings/new", access: pmSome(account.BookingsEdit), handler: s.bookingNew},
		{pattern: "GET /admin/dates/{id}/people", access: pmSome(account.AttendeesRead), handler: s.datePeople},
		// CPD certificates (certificates.go): each handler checks the
		// date's course with allowedOn.
		{pattern: "GET /admin/dates/{id}/certificates", access: pmSome(account.CertificatesIssue), handler: s.dateCertificates},
		{pattern: "POST /admin/dates/{id}/certificates/send", access: pmSome(account.CertificatesIssue), handler: s.dateCertificatesSend},
		{pattern: "POST /admin/dates/{id}/certificates/issue", access: pmSome(account.CertificatesIssue), handler: s.dateCertificatesIssue},
		{pattern: "GET /admin/certificates/{code}/pdf", access: pmSome(account.CertificatesIssue), handler: s.certificatePDF},
		{pattern: "POST /admin/certificates/{code}/reissue", access: pmSome(account.CertificatesIssue), handler: s.certificateReissue},
		{pattern: "POST /admin/certificates/{code}/revoke", access: pmSome(account.CertificatesIssue), handler: s.certificateRevoke},

		// The register (register.go, register_report.go): each handler
		// checks the date with registerDate — the course's editors, or a
		// trainer who teaches the date.
		{pattern: "GET /admin/dates/{id}/register", access: pmSome(account.RegisterTake), handler: s.registerShow},
		{pattern: "GET /admin/dates/{id}/register/{day}", access: pmSome(account.RegisterTake), handler: s.registerDayShow},
		{pattern: "POST /admin/dates/{id}/register/{day}", access: pmSome(account.RegisterTake), handler: s.registerDaySave},
		{pattern: "GET /admin/dates/{id}/register/{day}/report", access: pmSome(account.RegisterTake), handler: s.reportShow},
		{pattern: "POST /admin/dates/{id}/register/{day}/report", access: pmSome(account.RegisterTake), handler: s.reportPost, maxBody: reportMaxBody},
		{pattern: "POST /admin/dates/{id}/register/close", access: pmSome(account.RegisterTake), handler: s.registerClose},
		{pattern: "POST /admin/dates/{id}/trainers", access: pmSome(account.CoursesEdit), handler: s.registerTrainers},

		// The course editor (courses.go): the list narrows to a limited
		// coordinator's courses; a course's pages check it with allowedOn.
		// Creating a course is site-wide.
		{pattern: "GET /admin/courses", access: pmSome(account.CoursesEdit), handler: s.coursesList},
		{pattern: "GET /admin/courses/new", access: pm(account.CoursesEdit), handler: s.courseNew},
		{pattern: "POST /admin/courses/new", access: pm(account.CoursesEdit), handler: s.courseNew, maxBody: courseMaxBody},
		{pattern: "GET /admin/courses/{id}", access: pmSome(account.CoursesEdit), handler: s.courseEdit},
		{pattern: "POST /admin/courses/{id}", access: pmSome(account.CoursesEdit), handler: s.courseEdit, maxBody: courseMaxBody},
		{pattern: "GET /admin/courses/{id}/file", access: pmSome(account.CoursesEdit), handler: s.courseFile},
		// Dates (dates.go): added one at a time or from a rule, and copied
		// to a new day; each checks the course with allowedOn.
		{pattern: "GET /admin/courses/{id}/dates/new", access: pmSome(account.CoursesEdit), handler: s.datesNew},
		{pattern: "POST /admin/courses/{id}/dates/new", access: pmSome(account.CoursesEdit), handler: s.datesNew},
		{pattern: "GET /admin/dates/{id}/copy", access: pmSome(account.CoursesEdit), handler: s.dateCopy},
		{pattern: "POST /admin/dates/{id}/copy", access: pmSome(account.CoursesEdit), handler: s.dateCopy},
		{pattern: "GET /admin/dates/{id}/edit", access: pmSome(account.CoursesEdit), handler: s.dateEdit},
		{pattern: "POST /admin/dates/{id}/edit", access: pmSome(account.CoursesEdit), handler: s.dateEdit},

		{pattern: "GET /admin/messages", access: pm(account.MessagesRead), handler: s.messagesList},
		{pattern: "GET /admin/messages/{id}", access: pm(account.MessagesRead), handler: s.messageShow},
		{pattern: "GET /admin/messages/{id}/html", access: pm(account.MessagesRead), handler: s.messageHTML},
		{pattern: "GET /admin/messages/{id}/attachments/{n}", access: pm(account.MessagesRead), handler: s.messageAttachment},
		{pattern: "POST /admin/messages/{id}/retry", access: pm(account.MessagesSend), handler: s.messageRetry},
		{pattern: "POST /admin/messages/{id}/resend", access: pm(account.MessagesSend), handler: s.messageResend},
		// The dev mailbox's old addresses lead to the mail log.
		{pattern: "GET /admin/mail", access: pm(account.MessagesRead), handler: s.oldMailLink},
		{pattern: "GET /admin/mail/{id}", access: pm(account.MessagesRead), handler: s.oldMailLink},

		// Page views counted with consent (analytics.go): how courses are
		// found, the course editors' business; it shows no person. A user
		// limited to some courses sees theirs only (courseLimit).
		{pattern: "GET /admin/analytics", access: pmSome(account.CoursesEdit), handler: s.analyticsShow},

		{pattern: "GET /admin/audit", access: pm(account.AuditRead), handler: s.auditList},
		{pattern: "GET /admin/audit.csv", access: pm(account.AuditRead), handler: s.auditCSV},

		// Subscribers to new dates (lists.go): a course-limited user sees
		// and changes only their courses' subscribers (allowedOn, the
		// list narrowed to courseLimit).
		{pattern: "GET /admin/lists", access: pmSome(account.ListsManage), handler: s.listsShow},
		{pattern: "GET /admin/lists/export.csv", access: pmSome(account.ListsManage), handler: s.listsExport},
		{pattern: "GET /admin/lists/import", access: pmSome(account.ListsManage), handler: s.importForm},
		{pattern: "POST /admin/lists/import", access: pmSome(account.ListsManage), handler: s.importPost, maxBody: importMaxBody},
		{pattern: "GET /admin/lists/{id}", access: pmSome(account.ListsManage), handler: s.subscriberShow},
		{pattern: "POST /admin/lists/{id}/withdraw", access: pmSome(account.ListsManage), handler: s.subscriberWithdraw},
		{pattern: "POST /admin/lists/{id}/suppress", access: pmSome(account.ListsManage), handler: s.subscriberSuppress},

		// Staff accounts (staff.go): admins only.
		{pattern: "GET /admin/staff", access: pm(account.UsersManage), handler: s.staffList},
		{pattern: "GET /admin/staff/{id}", access: pm(account.UsersManage), handler: s.staffShow},
		{pattern: "POST /admin/staff/{id}/codes-off", access: pm(account.UsersManage), handler: s.staffCodesOff},
		{pattern: "POST /admin/staff/{id}/sign-out", access: pm(account.UsersManage), handler: s.staffSignOut},
		{pattern: "POST /admin/staff/{id}/disable", access: pm(account.UsersManage), handler: s.staffDisable},
		{pattern: "POST /admin/staff/{id}/enable", access: pm(account.UsersManage), handler: s.staffEnable},

		// A person's data on request (person.go): admins only.
		{pattern: "GET /admin/people", access: pm(account.UsersManage), handler: s.personShow},
		{pattern: "GET /admin/people/export", access: pm(account.UsersManage), handler: s.personExport},
		{pattern: "POST /admin/people/erase", access: pm(account.UsersManage), handler: s.personErase},
	}
}

// Routes lists every page of the staff area for the kit, each behind
// the session middleware and its access check. Every page is private:
// never stored by a cache, no referrer, not indexed.
func (s *Server) Routes() []web.Route {
	var out []web.Route
	for _, rt := range s.routes() {
		out = append(out, web.Route{Pattern: rt.pattern, Handler: s.withSession(s.guard(rt.access, rt.handler)),
			Private: true, SecretPath: rt.secretPath, MaxBody: rt.maxBody})
	}
	return out
}

// guard serves next only to requests a allows: anonymous ones go to the
// sign-in page, and a session without the permission gets the 403 page.
// A session that must first set up one-time codes holds no permission
// (account.Session.Can), so it reaches only the routes any session may:
// the home page, which says so, and signing out.
func (s *Server) guard(a access, next http.HandlerFunc) http.HandlerFunc {
	if a.public {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok := sessionOf(r)
		if !ok {
			s.toLogin(w, r)
			return
		}
		if a.perm != "" {
			if a.some && !sess.CanSome(a.perm) || !a.some && !sess.Can(a.perm, 0) {
				s.web.Error(w, r, web.ErrForbidden, web.Link{URL: "/admin", Label: "Back to the staff area"})
				return
			}
		}
		next(w, r)
	}
}
