package workdays

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Date is a calendar day with no zone: the day as written on a course
// page. catalog.Date is the same type.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		var pe *time.ParseError
		if errors.As(err, &pe) && strings.Contains(pe.Message, "out of range") {
			return Date{}, fmt.Errorf("%q is not a day of the calendar", s)
		}
		return Date{}, fmt.Errorf("%q is not a date in the form YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// DateOf returns the calendar day of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// String writes YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// In returns midnight at the start of d in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// Weekday returns the day of the week.
func (d Date) Weekday() time.Weekday { return d.In(time.UTC).Weekday() }

// AddDays returns the date n days later (earlier when n < 0).
func (d Date) AddDays(n int) Date { return DateOf(d.In(time.UTC).AddDate(0, 0, n)) }

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d == Date{} }

// AddMonths returns the same day n months later (earlier when n < 0). A day
// the target month does not have becomes its last day: six months before
// 31 August is 28 February, or 29 February in a leap year, never a day
// of March.
func (d Date) AddMonths(n int) Date {
	m := d.Year*12 + int(d.Month-1) + n
	y, mon := m/12, m%12
	if mon < 0 {
		y, mon = y-1, mon+12
	}
	month := time.Month(mon + 1)
	last := time.Date(y, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return Date{Year: y, Month: month, Day: min(d.Day, last)}
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.In(time.UTC).Before(e.In(time.UTC)) }

// normal returns d with out-of-range fields carried over (31 April is
// 1 May), as time.Date does, so that a map lookup finds it.
func (d Date) normal() Date { return d.AddDays(0) }
