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

// TestRecordAttendancesAllOrNothing records a whole date at once, and
// refuses the whole date, writing nothing, when one booking on the list
// was cancelled meanwhile or a booking holding a place is missing.
func TestRecordAttendancesAllOrNothing(t *testing.T) {
	f := newFixture(t, dbtest.New(t), 3, nil)
	ann := f.book(t, "Ann Archer").Booking
	bob := f.book(t, "Bob Baker").Booking
	catRes := f.book(t, "Cat Cooper")
	cat := catRes.Booking
	staff := audit.StaffMember(3, "Tia Trainer")
	// Cat cancels after the register was read: Ann (first, by ID) would
	// have changed, but nothing may.
	if _, err := f.svc.Cancel(ctx, catRes.Token); err != nil {
		t.Fatal(err)
	}
	n, err := f.svc.RecordAttendances(ctx, f.event.ID, map[int64]bool{ann.ID: true, bob.ID: false, cat.ID: true}, staff)
	if !errors.Is(err, booking.ErrRegisterChanged) || n != 0 {
		t.Fatalf("with a cancelled booking: got %d, %v; want ErrRegisterChanged", n, err)
	}
	if st := statuses(t, f); st["Ann Archer"] != booking.Confirmed || st["Bob Baker"] != booking.Confirmed {
		t.Fatalf("a refused date changed bookings: %v", st)
	}
	// Bob missing from the list: refused too.
	if _, err := f.svc.RecordAttendances(ctx, f.event.ID, map[int64]bool{ann.ID: true}, staff); !errors.Is(err, booking.ErrRegisterChanged) {
		t.Fatalf("with a booking missing: got %v, want ErrRegisterChanged", err)
	}
	if es, _ := audit.List(ctx, f.db, audit.Filter{Action: "booking.attendance"}); len(es) != 0 {
		t.Fatalf("refused dates recorded %d booking.attendance entries, want 0", len(es))
	}
	n, err = f.svc.RecordAttendances(ctx, f.event.ID, map[int64]bool{ann.ID: true, bob.ID: false}, staff)
	if err != nil || n != 2 {
		t.Fatalf("the whole date: got %d, %v; want 2", n, err)
	}
	if st := statuses(t, f); st["Ann Archer"] != booking.Attended || st["Bob Baker"] != booking.NoShow {
		t.Errorf("after recording: %v", st)
	}
	if n, err := f.svc.RecordAttendances(ctx, f.event.ID, map[int64]bool{ann.ID: true, bob.ID: false}, staff); err != nil || n != 0 {
		t.Errorf("the same again: got %d, %v; want 0", n, err)
	}
}
