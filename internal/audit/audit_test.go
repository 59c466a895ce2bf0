package audit_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/database"
	"plenary/internal/database/dbtest"
)

var ctx = context.Background()

func TestRecordAndList(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	type state struct {
		Status string `json:"status"`
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(audit.Record(ctx, db, t0, audit.ParticipantOf(42), "booking.create", "booking", 42, nil, state{"confirmed"}, ""))
	must(audit.Record(ctx, db, t0.Add(time.Minute), audit.CommandLine("alice"), "booking.cancel", "booking", 42,
		state{"confirmed"}, state{"cancelled"}, "asked by phone"))
	must(audit.Record(ctx, db, t0.Add(2*time.Minute), audit.Job("expire-offers"), "booking.lapse", "booking", 43,
		state{"offered"}, state{"cancelled"}, ""))
	must(audit.Record(ctx, db, t0.Add(3*time.Minute), audit.CommandLine("alice"), "course.save", "course", 7, nil, nil, ""))

	all, err := audit.List(ctx, db, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 || all[0].Action != "course.save" || all[3].Action != "booking.create" {
		t.Fatalf("List: got %d entries %v, want 4 newest first", len(all), all)
	}
	cancel := all[2]
	if cancel.Actor != audit.CommandLine("alice") || cancel.Reason != "asked by phone" || !cancel.At.Equal(t0.Add(time.Minute)) {
		t.Fatalf("cancel entry: got %+v", cancel)
	}
	var before, after state
	if err := json.Unmarshal(cancel.Before, &before); err != nil || before.Status != "confirmed" {
		t.Fatalf("before: %s, %v", cancel.Before, err)
	}
	if err := json.Unmarshal(cancel.After, &after); err != nil || after.Status != "cancelled" {
		t.Fatalf("after: %s, %v", cancel.After, err)
	}
	if string(all[3].Before) != "null" {
		t.Fatalf("a creation's before: got %s, want null", all[3].Before)
	}

	for _, tt := range []struct {
		name string
		f    audit.Filter
		want []string // actions, newest first
	}{
		{"one booking", audit.Filter{Object: "booking", ObjectID: 42}, []string{"booking.cancel", "booking.create"}},
		{"an operator", audit.Filter{ActorKind: audit.Operator, ActorName: "alice"}, []string{"course.save", "booking.cancel"}},
		{"a prefix", audit.Filter{Action: "booking."}, []string{"booking.lapse", "booking.cancel", "booking.create"}},
		{"a prefix is not a pattern", audit.Filter{Action: "booking_"}, nil},
		{"a prefix is case-sensitive on both engines", audit.Filter{Action: "Booking."}, nil},
		{"a time range", audit.Filter{Since: t0.Add(time.Minute), Until: t0.Add(3 * time.Minute)}, []string{"booking.lapse", "booking.cancel"}},
		{"a page", audit.Filter{Limit: 2, Before: all[1].ID}, []string{"booking.cancel", "booking.create"}},
	} {
		got, err := audit.List(ctx, db, tt.f)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var actions []string
		for _, e := range got {
			actions = append(actions, e.Action)
		}
		if len(actions) != len(tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, actions, tt.want)
			continue
		}
		for i := range actions {
			if actions[i] != tt.want[i] {
				t.Errorf("%s: got %v, want %v", tt.name, actions, tt.want)
				break
			}
		}
	}
}

// TestRecordRollsBackWithTheChange: an entry written in a transaction
// that rolls back is gone with it.
func TestRecordRollsBackWithTheChange(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	boom := errors.New("the change failed")
	err := database.InTx(ctx, db, func(tx *sql.Tx) error {
		if err := audit.Record(ctx, tx, time.Now(), audit.Job("test"), "booking.cancel", "booking", 1, nil, nil, ""); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx: got %v", err)
	}
	got, err := audit.List(ctx, db, audit.Filter{})
	if err != nil || len(got) != 0 {
		t.Fatalf("after rollback: %d entries, %v; want none", len(got), err)
	}
}

func TestRecordRefusesAnEntryWithoutActor(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	for _, a := range []audit.Actor{{}, {Kind: "someone"}, {Kind: audit.Staff}} {
		if err := audit.Record(ctx, db, time.Now(), a, "booking.cancel", "booking", 1, nil, nil, ""); !errors.Is(err, audit.ErrInvalid) {
			t.Errorf("actor %+v: got %v, want ErrInvalid", a, err)
		}
	}
	if err := audit.Record(ctx, db, time.Now(), audit.Job("x"), "", "booking", 1, nil, nil, ""); !errors.Is(err, audit.ErrInvalid) {
		t.Errorf("no action: got %v, want ErrInvalid", err)
	}
}
