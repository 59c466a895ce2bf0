package booking

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"plenary/internal/audit"
)

// RecordAttendance says, once a date's register is closed, whether the
// person came: a confirmed booking becomes Attended or NoShow (and one
// already so marked may be changed between the two, when the register
// is corrected). Audited as booking.attendance; the same answer again
// writes nothing. Any other status is ErrNotActive. The register
// (package certificates) is its caller: booking stays the only writer
// of bookings.
func (s *Service) RecordAttendance(ctx context.Context, id int64, attended bool, actor audit.Actor) (Booking, error) {
	want := NoShow
	if attended {
		want = Attended
	}
	return s.change(ctx, id, actor, "booking.attendance", func(tx *sql.Tx, m *Manage, now time.Time) (bool, error) {
		switch m.Booking.Status {
		case Confirmed, Attended, NoShow:
		default:
			return false, ErrNotActive
		}
		if m.Booking.Status == want {
			return false, errUnchanged
		}
		m.Booking.Status = want
		return false, s.store.withTx(tx).saveState(ctx, &m.Booking, now)
	})
}

// ErrRegisterChanged refuses a date's attendance when its bookings moved
// since the register was read: a booking cancelled, or a place given to
// someone not on the register. Nothing was written.
var ErrRegisterChanged = errors.New("booking: the date's bookings changed since the register was read")

// RecordAttendances is RecordAttendance for a whole date, all or
// nothing, in one transaction under the date's lock: attended holds the
// answer for every booking of the date that holds a place (confirmed,
// attended or no-show). If one of them is no longer so, or a booking
// holding a place is missing from attended, nothing is written and the
// error wraps ErrRegisterChanged, naming the bookings. Each change is
// audited as booking.attendance; the same answers again write nothing.
// It returns how many bookings changed.
func (s *Service) RecordAttendances(ctx context.Context, eventID int64, attended map[int64]bool, actor audit.Actor) (int, error) {
	now := s.now().UTC()
	changed := 0
	err := s.eventTx(ctx, eventID, func(tx *sql.Tx) error {
		st := s.store.withTx(tx)
		if _, err := st.lockEvent(ctx, eventID); err != nil {
			return err
		}
		list, err := st.onEvent(ctx, eventID)
		if err != nil {
			return err
		}
		var moved []string
		seen := map[int64]bool{}
		for _, b := range list {
			came, asked := attended[b.ID]
			seen[b.ID] = asked
			holds := b.Status == Confirmed || b.Status == Attended || b.Status == NoShow
			switch {
			case asked && !holds:
				moved = append(moved, fmt.Sprintf("booking %d is now %s", b.ID, b.Status))
				continue
			case !asked && holds:
				moved = append(moved, fmt.Sprintf("booking %d holds a place but is not on the register", b.ID))
				continue
			case !asked:
				continue
			}
			want := NoShow
			if came {
				want = Attended
			}
			if b.Status == want {
				continue
			}
			before := b
			b.Status = want
			if err := st.saveState(ctx, &b, now); err != nil {
				return err
			}
			if err := record(ctx, tx, now, actor, "booking.attendance", before, b, ""); err != nil {
				return err
			}
			changed++
		}
		for id := range attended {
			if _, ok := seen[id]; !ok {
				moved = append(moved, fmt.Sprintf("booking %d is not on this date", id))
			}
		}
		if len(moved) > 0 {
			sort.Strings(moved)
			return fmt.Errorf("%w: %s", ErrRegisterChanged, strings.Join(moved, "; "))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return changed, nil
}
