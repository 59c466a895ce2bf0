package catalog

import (
	"fmt"
	"time"

	"plenary/internal/workdays"
)

// Date is a calendar day with no zone: the day as written on a course
// page. It is the working-day calendar's own type, so dates pass between
// the two packages as they are.
type Date = workdays.Date

// ParseDate reads YYYY-MM-DD.
func ParseDate(s string) (Date, error) { return workdays.ParseDate(s) }

// DateOf returns the calendar day of t in t's location.
func DateOf(t time.Time) Date { return workdays.DateOf(t) }

// Clock is a wall-clock time of day, to the minute. The zero value is
// "not set"; midnight is a valid, set time.
type Clock struct {
	Minutes int // since midnight, 0..1439
	Valid   bool
}

// ParseClock reads HH:MM (24-hour).
func ParseClock(s string) (Clock, error) {
	// The error is made only when needed: every page reads many clocks.
	bad := func() error { return fmt.Errorf("%q is not a time in the form HH:MM", s) }
	if len(s) != 5 || s[2] != ':' {
		return Clock{}, bad()
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return Clock{}, bad()
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if h > 23 || m > 59 {
		return Clock{}, bad()
	}
	return Clock{Minutes: h*60 + m, Valid: true}, nil
}

// At returns the clock's time on date d in loc. When a clock change skips
// the time, Go's rules move it forward; training days do not start at
// 01:30 on a Sunday in March, so this never matters in practice.
func (c Clock) At(d Date, loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, c.Minutes/60, c.Minutes%60, 0, 0, loc)
}

// String writes HH:MM, or "" when unset.
func (c Clock) String() string {
	if !c.Valid {
		return ""
	}
	if c.Minutes < 0 || c.Minutes >= 100*60 {
		return fmt.Sprintf("%02d:%02d", c.Minutes/60, c.Minutes%60)
	}
	h, m := c.Minutes/60, c.Minutes%60
	return string([]byte{byte('0' + h/10), byte('0' + h%10), ':', byte('0' + m/10), byte('0' + m%10)})
}
