package booking

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"plenary/internal/audit"
	"plenary/internal/database"
)

// EraseAccessNeeds erases the access needs of bookings on events that
// ended more than retention ago, for actor (the erasure job), and returns
// how many were erased. Each erasure is audited (booking.erase_access_needs)
// in the same transaction; the entry says that they were erased, never
// what they were.
func (s *Service) EraseAccessNeeds(ctx context.Context, retention time.Duration, actor audit.Actor) (int64, error) {
	now := s.now().UTC()
	var ids []int64
	err := database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		var err error
		if ids, err = s.store.withTx(tx).eraseAccessNeeds(ctx, now.Add(-retention), now); err != nil {
			return err
		}
		for _, id := range ids {
			err := audit.Record(ctx, tx, now, actor, actionEraseNeeds, "booking", id,
				erasure{Erased: false}, erasure{Erased: true}, "")
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("booking: erase access needs: %w", err)
	}
	return int64(len(ids)), nil
}

// erasure is the audit state of an erasure: whether the access needs are
// gone.
type erasure struct {
	Erased bool `json:"access_needs_erased"`
}
