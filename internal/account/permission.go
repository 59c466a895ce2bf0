package account

import (
	"fmt"
	"slices"
)

// Permission is one thing a staff member may do. Money (invoices,
// refunds) and approval are permissions of their own, apart from editing
// bookings.
type Permission string

// The permissions. Each admin route names one.
const (
	CoursesEdit        Permission = "courses:edit"          // courses and their dates
	AttendeesRead      Permission = "attendees:read"        // who is booked on a date: names, organisations, roles
	BookingsRead       Permission = "bookings:read"         // bookings whole: answers, status, payment state, history
	BookingsEdit       Permission = "bookings:edit"         // add, correct, cancel, move; waiting lists and offers
	BookingsApprove    Permission = "bookings:approve"      // approve or decline a booking waiting for review
	BookingsAccessNeed Permission = "bookings:access_needs" // see access needs (special-category data)
	InvoicesRead       Permission = "invoices:read"
	InvoicesMarkPaid   Permission = "invoices:mark_paid"
	RefundsManage      Permission = "refunds:manage"
	MessagesRead       Permission = "messages:read" // the mail log, e-mails as sent
	MessagesSend       Permission = "messages:send" // write to participants, resend, retry
	AuditRead          Permission = "audit:read"
	UsersManage        Permission = "users:manage"
	RegisterTake       Permission = "register:take"
	ListsManage        Permission = "lists:manage" // subscribers to new dates: their evidence, withdraw, suppress, import, export
	// MeetingsRead shows a date's online meeting details (link, meeting
	// ID, passcode) in the staff area: on the course editor, and to
	// trainers on the dates they teach. Participants get them only in
	// their joining instructions.
	MeetingsRead      Permission = "meetings:read"
	CertificatesIssue Permission = "certificates:issue" // issue, send, reissue and revoke CPD certificates
)

// Permissions lists every permission, in the order the docs show them.
var Permissions = []Permission{
	CoursesEdit, AttendeesRead, BookingsRead, BookingsEdit, BookingsApprove, BookingsAccessNeed,
	InvoicesRead, InvoicesMarkPaid, RefundsManage, MessagesRead, MessagesSend, AuditRead, UsersManage,
	RegisterTake, ListsManage, MeetingsRead, CertificatesIssue,
}

// Role is a set of permissions, given to a user.
type Role string

// The roles.
const (
	Admin       Role = "admin"
	Coordinator Role = "coordinator"
	Finance     Role = "finance"
	Trainer     Role = "trainer"
)

// Roles lists every role, in the order the docs show them.
var Roles = []Role{Admin, Coordinator, Finance, Trainer}

// grants is THE table of roles and their permissions: the docs
// (docs/admin.md) show it, and TestPermissionMatrix pins it whole.
//
// A trainer sees who is booked on their courses' dates and takes the
// register, never money and never access needs: a coordinator shares
// access needs with a trainer date by date, which is not a permission of
// the role.
var grants = map[Role][]Permission{
	Admin: Permissions,
	Coordinator: {
		CoursesEdit, AttendeesRead, BookingsRead, BookingsEdit, BookingsApprove, BookingsAccessNeed,
		MessagesRead, MessagesSend, AuditRead, RegisterTake, ListsManage, MeetingsRead, CertificatesIssue,
	},
	Finance: {BookingsRead, InvoicesRead, InvoicesMarkPaid, RefundsManage},
	Trainer: {AttendeesRead, RegisterTake, MeetingsRead},
}

// ParseRole reads a role's name.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if _, ok := grants[r]; !ok {
		return "", fmt.Errorf("%w %q: the roles are admin, coordinator, finance and trainer", ErrUnknownRole, s)
	}
	return r, nil
}

// Has reports whether the role holds p, whatever the course.
func (r Role) Has(p Permission) bool {
	return slices.Contains(grants[r], p)
}

// PermissionsOf returns the role's permissions, in the order of
// Permissions.
func PermissionsOf(r Role) []Permission {
	var out []Permission
	for _, p := range Permissions {
		if r.Has(p) {
			out = append(out, p)
		}
	}
	return out
}

// Can reports whether u may do p on the course with ID courseID. A
// disabled user may do nothing. A user whose role is limited to some
// courses may act only on those: courseID 0 asks about the site as a
// whole (every course, the users, the whole audit log), which a limited
// user may never do — pages that list across courses ask CanSome and
// narrow their lists to u.Courses.
func Can(u User, p Permission, courseID int64) bool {
	if u.ID == 0 || u.Disabled || !u.Role.Has(p) {
		return false
	}
	if !u.CourseLimited {
		return true
	}
	return courseID > 0 && slices.Contains(u.Courses, courseID)
}

// CanSome reports whether u may do p on at least one course: whether a
// page listing across courses (narrowed to u's courses when u is
// limited) is open to them.
func CanSome(u User, p Permission) bool {
	if u.ID == 0 || u.Disabled || !u.Role.Has(p) {
		return false
	}
	return !u.CourseLimited || len(u.Courses) > 0
}
