package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"plenary/internal/audit"
	"plenary/internal/database"
)

// User is a member of the course team.
type User struct {
	ID    int64
	Email string // as given; unique whatever its case
	Name  string // may be empty: the e-mail address stands in
	Role  Role
	// CourseLimited users may act only on the courses in Courses (course
	// IDs, ascending; none if it is empty).
	CourseLimited bool
	Courses       []int64
	Disabled      bool
	TOTP          bool // one-time codes are on
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// DisplayName is the name to show, or the e-mail address without one.
func (u User) DisplayName() string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// Actor is the user as the audit log names them.
func (u User) Actor() audit.Actor { return audit.StaffMember(u.ID, u.DisplayName()) }

// state is what the audit log records of a user: never the password hash
// or the TOTP secret.
type state struct {
	Email         string  `json:"email"`
	Name          string  `json:"name"`
	Role          Role    `json:"role"`
	CourseLimited bool    `json:"course_limited"`
	Courses       []int64 `json:"courses,omitempty"`
	Disabled      bool    `json:"disabled"`
	TOTP          bool    `json:"totp"`
}

func (u User) state() state {
	return state{Email: u.Email, Name: u.Name, Role: u.Role, CourseLimited: u.CourseLimited, Courses: u.Courses,
		Disabled: u.Disabled, TOTP: u.TOTP}
}

// Profile is what describes a user, for AddUser and UpdateUser.
type Profile struct {
	Email string
	Name  string
	Role  Role
	// CourseLimited with Courses limits the role to those courses (IDs).
	CourseLimited bool
	Courses       []int64
}

// emailKey is the e-mail address as it is kept unique.
func emailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// check normalises p and refuses what is not allowed.
func (p *Profile) check() error {
	p.Email = strings.TrimSpace(p.Email)
	a, err := mail.ParseAddress(p.Email)
	if err != nil || a.Address != p.Email || len(p.Email) > 254 {
		return fmt.Errorf("%w: %q", ErrBadEmail, p.Email)
	}
	p.Name = strings.TrimSpace(p.Name)
	if utf8.RuneCountInString(p.Name) > 100 || strings.IndexFunc(p.Name, unicode.IsControl) >= 0 || !utf8.ValidString(p.Name) {
		return errors.New("account: a name has at most 100 characters and no control characters")
	}
	if _, err := ParseRole(string(p.Role)); err != nil {
		return err
	}
	if !p.CourseLimited {
		p.Courses = nil
	}
	p.Courses = slices.Clone(p.Courses)
	slices.Sort(p.Courses)
	p.Courses = slices.Compact(p.Courses)
	return nil
}

// AddUser creates a user with password (MinPasswordLength or more
// characters), recording who did it.
func (s *Service) AddUser(ctx context.Context, actor audit.Actor, p Profile, password string, now time.Time) (User, error) {
	if err := p.check(); err != nil {
		return User{}, err
	}
	hash, err := s.newHash(password)
	if err != nil {
		return User{}, err
	}
	now = now.UTC()
	var u User
	err = database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM staff_users WHERE email_key = $1`, emailKey(p.Email)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrEmailTaken
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `
			INSERT INTO staff_users (email, email_key, name, role, course_limited, password_hash, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`,
			p.Email, emailKey(p.Email), p.Name, string(p.Role), p.CourseLimited, hash, now).Scan(&id); err != nil {
			return err
		}
		if err := writeCourses(ctx, tx, id, p.Courses); err != nil {
			return err
		}
		if u, err = userWhere(ctx, tx, "id = $1", id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, "user.create", "user", id, nil, u.state(), "")
	})
	if err != nil {
		return User{}, fmt.Errorf("account: add %s: %w", p.Email, err)
	}
	return u, nil
}

// UpdateUser changes a user's e-mail address, name, role and courses.
// The last enabled admin keeps the admin role (ErrLastAdmin).
func (s *Service) UpdateUser(ctx context.Context, actor audit.Actor, id int64, p Profile, now time.Time) (User, error) {
	if err := p.check(); err != nil {
		return User{}, err
	}
	now = now.UTC()
	var u User
	err := database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		old, err := userWhere(ctx, tx, "id = $1", id)
		if err != nil {
			return err
		}
		if old.Role == Admin && p.Role != Admin {
			if err := s.keepAnAdmin(ctx, tx, id); err != nil {
				return err
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM staff_users WHERE email_key = $1 AND id <> $2`,
			emailKey(p.Email), id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrEmailTaken
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE staff_users SET email = $1, email_key = $2, name = $3, role = $4, course_limited = $5, updated_at = $6
			WHERE id = $7`, p.Email, emailKey(p.Email), p.Name, string(p.Role), p.CourseLimited, now, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM staff_user_courses WHERE user_id = $1`, id); err != nil {
			return err
		}
		if err := writeCourses(ctx, tx, id, p.Courses); err != nil {
			return err
		}
		if u, err = userWhere(ctx, tx, "id = $1", id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, "user.update", "user", id, old.state(), u.state(), "")
	})
	if err != nil {
		return User{}, fmt.Errorf("account: update user %d: %w", id, err)
	}
	return u, nil
}

func writeCourses(ctx context.Context, tx *sql.Tx, userID int64, courses []int64) error {
	for _, c := range courses {
		if _, err := tx.ExecContext(ctx, `INSERT INTO staff_user_courses (user_id, course_id) VALUES ($1, $2)`, userID, c); err != nil {
			return fmt.Errorf("course %d: %w", c, err)
		}
	}
	return nil
}

// SetPassword gives a user a new password and signs them out everywhere.
func (s *Service) SetPassword(ctx context.Context, actor audit.Actor, id int64, password string, now time.Time) error {
	hash, err := s.newHash(password)
	if err != nil {
		return err
	}
	now = now.UTC()
	err = database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		return setPassword(ctx, tx, actor, id, hash, "user.password", now)
	})
	if err != nil {
		return fmt.Errorf("account: set password of user %d: %w", id, err)
	}
	return nil
}

// setPassword stores hash, ends the user's sessions and records action.
// The audit entry says that the password changed, never what to.
func setPassword(ctx context.Context, tx *sql.Tx, actor audit.Actor, id int64, hash, action string, now time.Time) error {
	u, err := userWhere(ctx, tx, "id = $1", id)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE staff_users SET password_hash = $1, updated_at = $2 WHERE id = $3`, hash, now, id); err != nil {
		return err
	}
	n, err := deleteSessions(ctx, tx, id)
	if err != nil {
		return err
	}
	return audit.Record(ctx, tx, now, actor, action, "user", id, nil,
		map[string]any{"email": u.Email, "password": "changed", "sessions_ended": n}, "")
}

// Disable stops a user signing in and ends their sessions; their history
// stays. The last enabled admin cannot be disabled (ErrLastAdmin).
func (s *Service) Disable(ctx context.Context, actor audit.Actor, id int64, now time.Time) error {
	return s.setDisabled(ctx, actor, id, true, now)
}

// Enable lets a disabled user sign in again.
func (s *Service) Enable(ctx context.Context, actor audit.Actor, id int64, now time.Time) error {
	return s.setDisabled(ctx, actor, id, false, now)
}

func (s *Service) setDisabled(ctx context.Context, actor audit.Actor, id int64, disabled bool, now time.Time) error {
	now = now.UTC()
	action := map[bool]string{true: "user.disable", false: "user.enable"}[disabled]
	err := database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		old, err := userWhere(ctx, tx, "id = $1", id)
		if err != nil {
			return err
		}
		if old.Disabled == disabled {
			return nil
		}
		if disabled && old.Role == Admin {
			if err := s.keepAnAdmin(ctx, tx, id); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE staff_users SET disabled = $1, updated_at = $2 WHERE id = $3`, disabled, now, id); err != nil {
			return err
		}
		if disabled {
			if _, err := deleteSessions(ctx, tx, id); err != nil {
				return err
			}
		}
		u := old
		u.Disabled = disabled
		return audit.Record(ctx, tx, now, actor, action, "user", id, old.state(), u.state(), "")
	})
	if err != nil {
		return fmt.Errorf("account: %s %d: %w", action, id, err)
	}
	return nil
}

// keepAnAdmin refuses a change that takes the admin role away from user
// id when no other enabled admin is left. On PostgreSQL the enabled
// admins' rows are locked, so two such changes at once cannot both pass;
// SQLite's transactions run one at a time.
func (s *Service) keepAnAdmin(ctx context.Context, tx *sql.Tx, id int64) error {
	q := `SELECT id FROM staff_users WHERE role = 'admin' AND disabled = FALSE`
	if s.db.Dialect == database.Postgres {
		q += ` FOR UPDATE`
	}
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	others := 0
	for rows.Next() {
		var other int64
		if err := rows.Scan(&other); err != nil {
			return err
		}
		if other != id {
			others++
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if others == 0 {
		return ErrLastAdmin
	}
	return nil
}

// User returns the user with the given ID.
func (s *Service) User(ctx context.Context, id int64) (User, error) {
	return userWhere(ctx, s.db, "id = $1", id)
}

// UserByEmail returns the user with the e-mail address, in any case.
func (s *Service) UserByEmail(ctx context.Context, email string) (User, error) {
	return userWhere(ctx, s.db, "email_key = $1", emailKey(email))
}

// CountUsers returns how many users there are, disabled ones included.
func (s *Service) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM staff_users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("account: count users: %w", err)
	}
	return n, nil
}

// Users returns every user, by e-mail address.
func (s *Service) Users(ctx context.Context) ([]User, error) {
	us, err := usersWhere(ctx, s.db, "TRUE")
	if err != nil {
		return nil, fmt.Errorf("account: users: %w", err)
	}
	return us, nil
}

const userColumns = `id, email, name, role, course_limited, totp_enabled, disabled, created_at, updated_at`

func scanUser(sc interface{ Scan(...any) error }, u *User) error {
	var role string
	if err := sc.Scan(&u.ID, &u.Email, &u.Name, &role, &u.CourseLimited, &u.TOTP, &u.Disabled, &u.CreatedAt, &u.UpdatedAt); err != nil {
		return err
	}
	u.Role, u.CreatedAt, u.UpdatedAt = Role(role), u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return nil
}

// userWhere returns the one user matching where (with its arguments).
func userWhere(ctx context.Context, q database.Querier, where string, args ...any) (User, error) {
	var u User
	err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM staff_users WHERE `+where, args...), &u)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("account: user: %w", err)
	}
	if u.Courses, err = courseIDs(ctx, q, u.ID); err != nil {
		return User{}, err
	}
	return u, nil
}

func usersWhere(ctx context.Context, q database.Querier, where string, args ...any) ([]User, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+userColumns+` FROM staff_users WHERE `+where+` ORDER BY email_key`, args...)
	if err != nil {
		return nil, err
	}
	var us []User
	for rows.Next() {
		var u User
		if err := scanUser(rows, &u); err != nil {
			rows.Close()
			return nil, err
		}
		us = append(us, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range us {
		if us[i].Courses, err = courseIDs(ctx, q, us[i].ID); err != nil {
			return nil, err
		}
	}
	return us, nil
}

func courseIDs(ctx context.Context, q database.Querier, userID int64) ([]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT course_id FROM staff_user_courses WHERE user_id = $1 ORDER BY course_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("account: courses of user %d: %w", userID, err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// StaffWith returns the enabled users whose role holds p on the course
// with ID courseID (Can), by e-mail address; courseID 0 asks for those
// who hold p on at least one course (CanSome), course-limited users
// included. It reads through q, so a caller can ask inside the
// transaction that is about to queue their e-mail.
func (s *Service) StaffWith(ctx context.Context, q database.Querier, p Permission, courseID int64) ([]User, error) {
	if q == nil {
		q = s.db
	}
	us, err := usersWhere(ctx, q, "disabled = $1", false)
	if err != nil {
		return nil, fmt.Errorf("account: staff with %s: %w", p, err)
	}
	return slices.DeleteFunc(us, func(u User) bool {
		if courseID == 0 {
			return !CanSome(u, p)
		}
		return !Can(u, p, courseID)
	}), nil
}
