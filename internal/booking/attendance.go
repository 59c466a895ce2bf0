package booking

import (
	"context"
	"database/sql"
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
