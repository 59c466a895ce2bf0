package catalog

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The dates of a course made from a rule ("every Tuesday", "the 2nd
// Tuesday of each month") and copies of a date to another day. They
// build events for Store.Save and save nothing themselves. Days keep
// their wall-clock times (Clock) in the event's zone, so a date made
// across a clock change starts at the same local time as the others.

// MaxDatesAtOnce is how many dates a rule may make in one go.
const MaxDatesAtOnce = 100

// Repeat says how a Recurrence repeats.
type Repeat string

// The repeats.
const (
	Once    Repeat = "once"    // the first date alone, and the extra ones
	Weekly  Repeat = "weekly"  // every Every weeks on the first date's weekday
	Monthly Repeat = "monthly" // every Every months on the Nth weekday
)

// Recurrence is a rule for the first days of new dates.
type Recurrence struct {
	Repeat Repeat
	// Every is the interval, in weeks or months; 0 means 1.
	Every int
	// First is the first date; a weekly rule repeats on its weekday.
	First Date
	// Nth and Weekday give a monthly rule's day: the Nth Weekday of the
	// month (1–4), or the last one when Nth is -1. Nth 0 takes both from
	// First (its week of the month, its weekday; a fifth one means the
	// last).
	Nth     int
	Weekday time.Weekday
	// Until ends the rule on that day (inclusive); otherwise Count says
	// how many dates it makes. One of the two is needed unless Repeat is
	// Once.
	Until Date
	Count int
	// Except are days the rule would give that are left out; Extra are
	// days added to it.
	Except []Date
	Extra  []Date
}

// RuleError is a problem with a Recurrence, naming the field at fault
// ("first", "every", "until", "count", "nth", "except", "extra") and
// saying what is wrong in words for the person typing it.
type RuleError struct {
	Field, Message string
}

func (e *RuleError) Error() string { return "catalog: dates: " + e.Field + ": " + e.Message }

// NthOf returns the week of the month d falls in, as a monthly rule names
// it: 1–4, or -1 for a fifth (the last).
func NthOf(d Date) int {
	n := (d.Day-1)/7 + 1
	if n == 5 {
		return -1
	}
	return n
}

// NthWeekday returns the nth weekday wd of the month (year, month): nth 1–5
// counts from the start, -1 is the last. ok is false when the month has no
// such day (a fifth Monday).
func NthWeekday(year int, month time.Month, nth int, wd time.Weekday) (d Date, ok bool) {
	if nth == -1 {
		last := Date{Year: year, Month: month, Day: 1}.AddMonths(1).AddDays(-1)
		back := (int(last.Weekday()) - int(wd) + 7) % 7
		return last.AddDays(-back), true
	}
	first := Date{Year: year, Month: month, Day: 1}
	d = first.AddDays((int(wd)-int(first.Weekday())+7)%7 + 7*(nth-1))
	return d, d.Month == month
}

// Label says the rule in words: "every Tuesday", "every 2 weeks on
// Tuesday", "the 2nd Tuesday of every month".
func (r Recurrence) Label() string {
	every := max(r.Every, 1)
	switch r.Repeat {
	case Weekly:
		if every == 1 {
			return "every " + r.First.Weekday().String()
		}
		return fmt.Sprintf("every %d weeks on %s", every, r.First.Weekday())
	case Monthly:
		nth, wd := r.monthlyDay()
		of := "every month"
		if every > 1 {
			of = fmt.Sprintf("every %d months", every)
		}
		return fmt.Sprintf("the %s %s of %s", ordinal(nth), wd, of)
	}
	return "once"
}

func (r Recurrence) monthlyDay() (int, time.Weekday) {
	if r.Nth == 0 {
		return NthOf(r.First), r.First.Weekday()
	}
	return r.Nth, r.Weekday
}

func ordinal(n int) string {
	switch n {
	case -1:
		return "last"
	case 1:
		return "1st"
	case 2:
		return "2nd"
	case 3:
		return "3rd"
	}
	return fmt.Sprintf("%dth", n)
}

// Dates returns the first days the rule gives, in order, each once: the
// rule's days from First to Until (or Count of them), less Except, with
// Extra. More than MaxDatesAtOnce in all is refused with a *RuleError, as
// is a rule that cannot be read.
func (r Recurrence) Dates() ([]Date, error) {
	if r.First.IsZero() {
		return nil, &RuleError{"first", "enter the first day as YYYY-MM-DD"}
	}
	every := r.Every
	if every == 0 {
		every = 1
	}
	if every < 0 || every > 52 {
		return nil, &RuleError{"every", "enter an interval from 1 to 52"}
	}
	var out []Date
	if r.Repeat == Once || r.Repeat == "" {
		out = append(out, r.First)
	} else {
		if r.Repeat != Weekly && r.Repeat != Monthly {
			return nil, &RuleError{"repeat", "choose once, weekly or monthly"}
		}
		switch {
		case r.Until.IsZero() && r.Count == 0:
			return nil, &RuleError{"until", "say when the dates end: a last day, or how many dates"}
		case !r.Until.IsZero() && r.Count != 0:
			return nil, &RuleError{"count", "give a last day or a number of dates, not both"}
		case r.Count < 0:
			return nil, &RuleError{"count", "enter a number of dates from 1 to 100"}
		case r.Count > MaxDatesAtOnce:
			return nil, &RuleError{"count", fmt.Sprintf("at most %d dates can be added at once; this rule makes %d", MaxDatesAtOnce, r.Count)}
		case !r.Until.IsZero() && r.Until.Before(r.First):
			return nil, &RuleError{"until", "the last day must not be before the first"}
		}
		nth, wd := r.monthlyDay()
		if r.Repeat == Monthly && nth != -1 && (nth < 1 || nth > 4) {
			return nil, &RuleError{"nth", "choose the 1st, 2nd, 3rd, 4th or last weekday of the month"}
		}
		more := func(d Date, n int) bool {
			if r.Count > 0 {
				return n < r.Count
			}
			return !r.Until.Before(d)
		}
		// A rule to a far-off day is counted to one past the limit, so
		// that the message can say it makes too many.
		limit := MaxDatesAtOnce + 1
		if r.Repeat == Weekly {
			for d := r.First; more(d, len(out)) && len(out) < limit; d = d.AddDays(7 * every) {
				out = append(out, d)
			}
		} else {
			month := Date{Year: r.First.Year, Month: r.First.Month, Day: 1}
			for i := 0; len(out) < limit && i < 12*100; i++ {
				d, ok := NthWeekday(month.Year, month.Month, nth, wd)
				month = month.AddMonths(every)
				if !ok || d.Before(r.First) {
					continue
				}
				if !more(d, len(out)) {
					break
				}
				out = append(out, d)
			}
		}
	}
	for _, x := range r.Except {
		if x.IsZero() {
			return nil, &RuleError{"except", "enter each day left out as YYYY-MM-DD"}
		}
	}
	out = slices.DeleteFunc(out, func(d Date) bool { return slices.Contains(r.Except, d) })
	for _, x := range r.Extra {
		if x.IsZero() {
			return nil, &RuleError{"extra", "enter each extra day as YYYY-MM-DD"}
		}
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	slices.SortFunc(out, func(a, b Date) int { return strings.Compare(a.String(), b.String()) })
	if len(out) > MaxDatesAtOnce {
		return nil, &RuleError{"until", fmt.Sprintf("at most %d dates can be added at once; this rule makes more. Choose an earlier last day or fewer dates", MaxDatesAtOnce)}
	}
	return out, nil
}

// daysBetween counts the days from a to b (negative when b is earlier).
func daysBetween(a, b Date) int {
	return int(b.In(time.UTC).Sub(a.In(time.UTC)).Hours()+12) / 24
}

// MoveTo returns a copy of e as a new date whose first day is first: its
// days keep their spacing, times and agenda; its zone, region, format,
// capacity and venue are kept. It has no ID, ref or version and is
// scheduled; the meeting's provider is kept but not its link, ID or
// passcode, which belong to the date copied.
func (e Event) MoveTo(first Date) Event {
	n := Event{TimeZone: e.TimeZone, Region: e.Region, Format: e.Format, Status: Scheduled, Capacity: e.Capacity,
		Venue: e.Venue, Meeting: Meeting{Provider: e.Meeting.Provider}}
	if len(e.Days) == 0 {
		return n
	}
	shift := daysBetween(e.Days[0].Date, first)
	for _, d := range e.Days {
		d.Date = d.Date.AddDays(shift)
		d.Agenda = slices.Clone(d.Agenda)
		n.Days = append(n.Days, d)
	}
	n.computeSpan()
	return n
}

// NewRef returns the ref for a new date of c whose first day is first:
// the day itself (2027-03-09), or with -2, -3… after it when c already
// has a date of that ref. The same day gives the same ref, so a course
// file exported after dates are added names them as people read them.
func (c Course) NewRef(first Date) string {
	taken := map[string]bool{}
	for _, e := range c.Events {
		taken[e.Ref] = true
	}
	ref := first.String()
	for i := 2; taken[ref]; i++ {
		ref = fmt.Sprintf("%s-%d", first, i)
	}
	return ref
}

// AddDates appends to c one copy of template per first day (MoveTo), each
// with a new ref (NewRef), and returns them. It saves nothing: pass c to
// Store.Save, which adds them all or none.
func (c *Course) AddDates(template Event, firsts []Date) []Event {
	var added []Event
	for _, f := range firsts {
		e := template.MoveTo(f)
		e.Ref = c.NewRef(f)
		c.Events = append(c.Events, e)
		added = append(added, e)
	}
	return added
}
