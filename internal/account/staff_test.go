package account_test

import (
	"slices"
	"testing"

	"plenary/internal/account"
)

// TestStaffWith checks who StaffWith finds: enabled users whose role holds
// the permission, on the course asked about (course limits respected) or
// on at least one course.
func TestStaffWith(t *testing.T) {
	t.Parallel()
	s, db := newService(t, account.Options{})
	for _, id := range []int64{7, 8} {
		if _, err := db.ExecContext(ctx, `INSERT INTO courses (id, slug, title, created_at, updated_at) VALUES ($1, $2, 'T', $3, $3)`,
			id, "course-"+string(rune('0'+id)), t0); err != nil {
			t.Fatal(err)
		}
	}
	add := func(email string, role account.Role, courses ...int64) account.User {
		t.Helper()
		u, err := s.AddUser(ctx, cli, account.Profile{Email: email, Role: role, CourseLimited: courses != nil, Courses: courses}, password, t0)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	add("admin@example.org", account.Admin)
	add("coord@example.org", account.Coordinator)
	add("limited@example.org", account.Coordinator, 7)
	add("nocourse@example.org", account.Coordinator, []int64{}...)
	add("finance@example.org", account.Finance)
	add("trainer@example.org", account.Trainer)
	gone := add("gone@example.org", account.Coordinator)
	if err := s.Disable(ctx, cli, gone.ID, t0); err != nil {
		t.Fatal(err)
	}
	emails := func(p account.Permission, course int64) []string {
		t.Helper()
		us, err := s.StaffWith(ctx, db, p, course)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, u := range us {
			out = append(out, u.Email)
		}
		return out
	}
	for _, tt := range []struct {
		p      account.Permission
		course int64
		want   []string
	}{
		{account.BookingsApprove, 7, []string{"admin@example.org", "coord@example.org", "limited@example.org"}},
		{account.BookingsApprove, 8, []string{"admin@example.org", "coord@example.org"}},
		{account.BookingsApprove, 0, []string{"admin@example.org", "coord@example.org", "limited@example.org"}},
		{account.InvoicesRead, 0, []string{"admin@example.org", "finance@example.org"}},
		{account.UsersManage, 7, []string{"admin@example.org"}},
	} {
		if got := emails(tt.p, tt.course); !slices.Equal(got, tt.want) {
			t.Errorf("StaffWith(%s, %d): got %v, want %v", tt.p, tt.course, got, tt.want)
		}
	}
}
