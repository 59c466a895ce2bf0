package account_test

import (
	"slices"
	"strings"
	"testing"

	"plenary/internal/account"
)

// TestPermissionMatrix pins the whole role × permission table: a change
// to what a role may do must change this test (and docs/admin.md).
func TestPermissionMatrix(t *testing.T) {
	t.Parallel()
	// One column per role: admin, coordinator, finance, trainer.
	want := map[account.Permission]string{
		account.CoursesEdit:        "YY..",
		account.AttendeesRead:      "YY.Y",
		account.BookingsRead:       "YYY.",
		account.BookingsEdit:       "YY..",
		account.BookingsApprove:    "YY..",
		account.BookingsAccessNeed: "YY..",
		account.InvoicesRead:       "Y.Y.",
		account.InvoicesMarkPaid:   "Y.Y.",
		account.RefundsManage:      "Y.Y.",
		account.MessagesRead:       "YY..",
		account.MessagesSend:       "YY..",
		account.AuditRead:          "YY..",
		account.UsersManage:        "Y...",
		account.RegisterTake:       "YY.Y",
		account.ListsManage:        "YY..",
		account.MeetingsRead:       "YY.Y",
		account.CertificatesIssue:  "YY..",
	}
	if len(want) != len(account.Permissions) {
		t.Fatalf("the test pins %d permissions, the package has %d: add the new one here", len(want), len(account.Permissions))
	}
	roles := []account.Role{account.Admin, account.Coordinator, account.Finance, account.Trainer}
	if !slices.Equal(roles, account.Roles) {
		t.Fatalf("roles: got %v, want %v", account.Roles, roles)
	}
	for _, p := range account.Permissions {
		row, ok := want[p]
		if !ok {
			t.Errorf("permission %s is not pinned", p)
			continue
		}
		for i, r := range roles {
			if got, w := r.Has(p), row[i] == 'Y'; got != w {
				t.Errorf("%s has %s: got %v, want %v", r, p, got, w)
			}
			u := account.User{ID: 1, Role: r}
			if got, w := account.Can(u, p, 7), row[i] == 'Y'; got != w {
				t.Errorf("Can(%s, %s, 7): got %v, want %v", r, p, got, w)
			}
		}
	}
	// What the issue asks, said again in words.
	for _, p := range []account.Permission{account.InvoicesMarkPaid, account.RefundsManage, account.InvoicesRead} {
		if account.Coordinator.Has(p) || account.Trainer.Has(p) {
			t.Errorf("only admin and finance handle money: %s", p)
		}
	}
	if account.Finance.Has(account.BookingsEdit) || account.Finance.Has(account.BookingsAccessNeed) {
		t.Error("finance neither edits bookings nor sees access needs")
	}
	if account.Trainer.Has(account.BookingsAccessNeed) || account.Trainer.Has(account.BookingsRead) {
		t.Error("a trainer sees who is booked, never access needs or the booking's money")
	}
	for _, p := range account.Permissions {
		if !strings.Contains(string(p), ":") {
			t.Errorf("permission %q is not area:action", p)
		}
	}
}

func TestCanCourseLimits(t *testing.T) {
	t.Parallel()
	limited := account.User{ID: 2, Role: account.Coordinator, CourseLimited: true, Courses: []int64{3, 5}}
	none := account.User{ID: 3, Role: account.Coordinator, CourseLimited: true}
	all := account.User{ID: 4, Role: account.Coordinator}
	tests := []struct {
		name   string
		u      account.User
		p      account.Permission
		course int64
		want   bool
	}{
		{"limited, own course", limited, account.BookingsEdit, 3, true},
		{"limited, other course", limited, account.BookingsEdit, 4, false},
		{"limited, the whole site", limited, account.AuditRead, 0, false},
		{"limited, not in the role", limited, account.InvoicesMarkPaid, 3, false},
		{"limited to no course", none, account.BookingsRead, 3, false},
		{"unlimited, any course", all, account.BookingsEdit, 4, true},
		{"unlimited, the whole site", all, account.AuditRead, 0, true},
		{"disabled", account.User{ID: 5, Role: account.Admin, Disabled: true}, account.UsersManage, 0, false},
		{"nobody", account.User{}, account.BookingsRead, 3, false},
	}
	for _, tt := range tests {
		if got := account.Can(tt.u, tt.p, tt.course); got != tt.want {
			t.Errorf("%s: Can(%s, %d) = %v, want %v", tt.name, tt.p, tt.course, got, tt.want)
		}
	}
	if !account.CanSome(limited, account.BookingsRead) || account.CanSome(none, account.BookingsRead) ||
		account.CanSome(limited, account.RefundsManage) {
		t.Error("CanSome: a limited user lists across their own courses only, and only with the permission")
	}
	s := account.Session{User: all, MustEnrolTOTP: true}
	if s.Can(account.BookingsRead, 3) || s.CanSome(account.BookingsRead) {
		t.Error("a session that must set up one-time codes may do nothing else")
	}
}

func TestParseRole(t *testing.T) {
	t.Parallel()
	for _, r := range account.Roles {
		if got, err := account.ParseRole(string(r)); err != nil || got != r {
			t.Errorf("ParseRole(%s) = %v, %v", r, got, err)
		}
	}
	for _, s := range []string{"", "Admin", "root", "coordinator "} {
		if _, err := account.ParseRole(s); err == nil {
			t.Errorf("ParseRole(%q): no error", s)
		}
	}
}
