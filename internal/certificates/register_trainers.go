package certificates

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/database"
)

// Trainers are assigned to the dates they teach: a trainer sees the
// register of those dates only. Coordinators and admins (who may edit
// the course) take any register of their courses.

// Trainers returns the IDs of the staff users who teach the date,
// ascending.
func (r *Register) Trainers(ctx context.Context, eventID int64) ([]int64, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT user_id FROM event_trainers WHERE event_id = $1 ORDER BY user_id`, eventID)
	if err != nil {
		return nil, fmt.Errorf("register: trainers: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("register: trainers: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// Candidates returns the staff who could be assigned to the date: every
// enabled user who may take the register on its course and is not
// already free to (course editors take every register anyway).
func (r *Register) Candidates(ctx context.Context, eventID int64) ([]account.User, error) {
	if r.accounts == nil {
		return nil, errNoAccounts
	}
	c, _, err := r.bookings.EventOf(ctx, eventID)
	if err != nil {
		return nil, err
	}
	all, err := r.accounts.StaffWith(ctx, r.db, account.RegisterTake, c.ID)
	if err != nil {
		return nil, err
	}
	var out []account.User
	for _, u := range all {
		if !account.Can(u, account.CoursesEdit, c.ID) {
			out = append(out, u)
		}
	}
	return out, nil
}

// SetTrainers makes userIDs the date's trainers, audited as
// event.trainers with the list before and after. Each must be one of
// Candidates, or nothing changes (an InputError on "trainers").
func (r *Register) SetTrainers(ctx context.Context, eventID int64, userIDs []int64, actor audit.Actor) error {
	cands, err := r.Candidates(ctx, eventID)
	if err != nil {
		return err
	}
	want := slices.Clone(userIDs)
	slices.Sort(want)
	want = slices.Compact(want)
	for _, id := range want {
		if !slices.ContainsFunc(cands, func(u account.User) bool { return u.ID == id }) {
			return InputError{"trainers": fmt.Sprintf("staff user %d may not take the register of this course", id)}
		}
	}
	old, err := r.Trainers(ctx, eventID)
	if err != nil {
		return err
	}
	if slices.Equal(old, want) {
		return nil
	}
	return database.InTx(ctx, r.db, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM event_trainers WHERE event_id = $1`, eventID); err != nil {
			return fmt.Errorf("register: set trainers: %w", err)
		}
		for _, id := range want {
			if _, err := tx.ExecContext(ctx, `INSERT INTO event_trainers (event_id, user_id) VALUES ($1, $2)`, eventID, id); err != nil {
				return fmt.Errorf("register: set trainers: %w", err)
			}
		}
		return audit.Record(ctx, tx, r.now().UTC(), actor, "event.trainers", "event", eventID,
			map[string]any{"trainers": old}, map[string]any{"trainers": want}, "")
	})
}

// Teaches reports whether the user is assigned to the date.
func (r *Register) Teaches(ctx context.Context, eventID, userID int64) (bool, error) {
	var n int
	err := r.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM event_trainers WHERE event_id = $1 AND user_id = $2`,
		eventID, userID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("register: teaches: %w", err)
	}
	return n > 0, nil
}

// DatesOf returns the IDs of the dates the user teaches.
func (r *Register) DatesOf(ctx context.Context, userID int64) ([]int64, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT event_id FROM event_trainers WHERE user_id = $1 ORDER BY event_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("register: dates of %d: %w", userID, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// MayTake reports whether u may see and take the register of the date
// with ID eventID on course courseID: whoever may edit the course (an
// admin, a coordinator — a course-limited one on their courses only),
// or a user who may take registers on the course and teaches the date.
func (r *Register) MayTake(ctx context.Context, u account.User, courseID, eventID int64) (bool, error) {
	if account.Can(u, account.CoursesEdit, courseID) {
		return true, nil
	}
	if !account.Can(u, account.RegisterTake, courseID) {
		return false, nil
	}
	return r.Teaches(ctx, eventID, u.ID)
}
