package booking_test

import (
	"errors"
	"testing"

	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/database/dbtest"
)

// TestRecordAttendance moves a confirmed booking to attended or no-show
// and back, audited; other statuses are refused.
func TestRecordAttendance(t *testing.T) {
	f := newFixture(t, dbtest.New(t), 1, nil)
	ann := f.book(t, "Ann Archer").Booking
	bob := f.book(t, "Bob Baker").Booking // waitlisted: the date has one place
	staff := audit.StaffMember(3, "Tia Trainer")
	for _, tt := range []struct {
		attended bool
		want     booking.Status
	}{{false, booking.NoShow}, {true, booking.Attended}, {true, booking.Attended}} {
		b, err := f.svc.RecordAttendance(ctx, ann.ID, tt.attended, staff)
		if err != nil || b.Status != tt.want {
			t.Fatalf("attended %v: got %s, %v; want %s", tt.attended, b.Status, err, tt.want)
		}
	}
	es, err := audit.List(ctx, f.db, audit.Filter{Action: "booking.attendance"})
	if err != nil || len(es) != 2 {
		t.Errorf("got %d booking.attendance entries (%v), want 2 (the repeat writes nothing)", len(es), err)
	}
	if _, err := f.svc.RecordAttendance(ctx, bob.ID, true, staff); !errors.Is(err, booking.ErrNotActive) {
		t.Errorf("a waitlisted booking: got %v, want ErrNotActive", err)
	}
}
