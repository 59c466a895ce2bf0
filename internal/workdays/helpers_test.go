package workdays

import (
	"testing"
	"time"
)

// day builds a Date; the tables read better with it than with struct literals.
func day(y int, m time.Month, d int) Date { return Date{y, m, d} }

func mustNew(t *testing.T, extra []Override) *Calendar {
	t.Helper()
	c, err := New(EnglandWales, extra)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// libraryOnly is a calendar without the embedded overrides: what
// github.com/rickar/cal/v2 and our regional rules know by themselves.
func libraryOnly(t *testing.T) *Calendar {
	t.Helper()
	c, err := newCalendar(EnglandWales, nil)
	if err != nil {
		t.Fatalf("newCalendar: %v", err)
	}
	return c
}

const (
	ew = EnglandWales
	sc = Scotland
	ni = NorthernIreland
)
