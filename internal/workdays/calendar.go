package workdays

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"time"
)

// Calendar answers working-day questions for the three UK regions. Its
// holidays are the library's recurring rules (see libraryHolidays) with the
// overrides applied on top, in order. A Calendar is safe for concurrent use.
//
// A working day is a Monday to Friday that is not a bank holiday in the
// region. Saturdays and Sundays are never working days.
type Calendar struct {
	def       Region
	overrides map[int][]Override // by year, in the order given

	mu    sync.Mutex
	years map[yearKey]map[Date]string // holiday name by day, built on first use
}

type yearKey struct {
	region Region
	year   int
}

// BankHoliday is one non-working day of a region's calendar.
type BankHoliday struct {
	Date Date
	Name string
}

// New returns a calendar of the library's holidays, Plenary's embedded
// overrides and then extra (an install's own, which therefore win). def is
// the install's default region, used wherever a Region is empty; an empty
// def means England and Wales.
func New(def Region, extra []Override) (*Calendar, error) {
	return newCalendar(def, append(DefaultOverrides(), extra...))
}

// Load is New with the extra overrides read from the file at path (the
// PLENARY_HOLIDAYS_FILE setting). An empty path adds nothing.
func Load(def Region, path string) (*Calendar, error) {
	var extra []Override
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("workdays: holidays file: %w", err)
		}
		defer f.Close()
		if extra, err = ParseOverrides(path, f); err != nil {
			return nil, err
		}
	}
	return New(def, extra)
}

// newCalendar builds a calendar from exactly the overrides given, without
// the embedded ones; tests use it to see what the library alone knows.
func newCalendar(def Region, overrides []Override) (*Calendar, error) {
	if def == "" {
		def = EnglandWales
	}
	if !def.Valid() {
		return nil, fmt.Errorf("workdays: default region %q is not a region", def)
	}
	c := &Calendar{def: def, overrides: map[int][]Override{}, years: map[yearKey]map[Date]string{}}
	for _, o := range overrides {
		c.overrides[o.Date.Year] = append(c.overrides[o.Date.Year], o)
	}
	return c, nil
}

// Default returns the install's default region.
func (c *Calendar) Default() Region { return c.def }

// Resolve returns the region the calendar uses for r: r itself, or the
// default region when r is empty. An unknown name also falls back to the
// default, so that a bad value in old data still gives a UK answer;
// ParseRegion keeps such names out at the edges.
func (c *Calendar) Resolve(r Region) Region {
	if r.Valid() {
		return r
	}
	return c.def
}

// Holiday reports whether d is a bank holiday in r, and its name. A
// holiday's own date counts even when it falls at a weekend (Saturday
// 25 December 2021 is "Christmas Day"); the weekday it moves to is named
// "... (substitute day)".
func (c *Calendar) Holiday(r Region, d Date) (name string, ok bool) {
	d = d.normal()
	name, ok = c.table(c.Resolve(r), d.Year)[d]
	return name, ok
}

// IsWorkingDay reports whether d is a working day in r: a Monday to Friday
// that is not a bank holiday there.
func (c *Calendar) IsWorkingDay(r Region, d Date) bool {
	d = d.normal()
	if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	_, holiday := c.table(c.Resolve(r), d.Year)[d]
	return !holiday
}

// WorkingDaysBefore returns the working day that is n working days before
// d in r, whatever d itself is. n = 1 for an event on Tuesday 2 April 2024
// (after Good Friday and Easter Monday, in England) is Thursday 28 March.
//
// n = 0 returns d when d is a working day and otherwise the last working
// day before it. A negative n counts forward: the -n-th working day after
// d. n is expected to be small; the walk is one day at a time.
func (c *Calendar) WorkingDaysBefore(r Region, d Date, n int) Date {
	r = c.Resolve(r)
	d = d.normal()
	step := -1
	if n < 0 {
		step, n = 1, -n
	}
	if n == 0 {
		for !c.IsWorkingDay(r, d) {
			d = d.AddDays(-1)
		}
		return d
	}
	for n > 0 {
		d = d.AddDays(step)
		if c.IsWorkingDay(r, d) {
			n--
		}
	}
	return d
}

// WorkingDaysBetween counts the working days in r from from (included) up
// to to (excluded); it is negative when to is before from. So for n >= 1,
// WorkingDaysBetween(r, WorkingDaysBefore(r, d, n), d) == n.
func (c *Calendar) WorkingDaysBetween(r Region, from, to Date) int {
	r = c.Resolve(r)
	from, to = from.normal(), to.normal()
	sign := 1
	if to.Before(from) {
		from, to, sign = to, from, -1
	}
	n := 0
	for d := from; d.Before(to); d = d.AddDays(1) {
		if c.IsWorkingDay(r, d) {
			n++
		}
	}
	return sign * n
}

// Holidays returns r's bank holidays in year, in date order, substitute
// days included.
func (c *Calendar) Holidays(r Region, year int) []BankHoliday {
	var hs []BankHoliday
	for d, name := range c.table(c.Resolve(r), year) {
		hs = append(hs, BankHoliday{Date: d, Name: name})
	}
	slices.SortFunc(hs, func(a, b BankHoliday) int {
		return a.Date.In(time.UTC).Compare(b.Date.In(time.UTC))
	})
	return hs
}

// table returns r's holidays in year, building them on first use. The
// returned map is never written again, so callers may read it unlocked.
func (c *Calendar) table(r Region, year int) map[Date]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := yearKey{r, year}
	if t, ok := c.years[k]; ok {
		return t
	}
	t := map[Date]string{}
	subs := map[Date]string{}
	for _, h := range libraryHolidays(r) {
		// A substitute day could in principle cross into the next year, so
		// look at the years either side too.
		for y := year - 1; y <= year+1; y++ {
			actual, observed := h.Calc(y)
			if actual.IsZero() {
				continue
			}
			a, o := DateOf(actual), DateOf(observed)
			if a.Year == year {
				t[a] = h.Name
			}
			if o != a && o.Year == year {
				subs[o] = h.Name + " (substitute day)"
			}
		}
	}
	// Where a substitute lands on another holiday's own day (Boxing Day on
	// Monday 26 December 2022 is also Christmas Day's substitute), the
	// holiday's own name wins.
	for d, name := range subs {
		if _, ok := t[d]; !ok {
			t[d] = name
		}
	}
	for _, o := range c.overrides[year] {
		if !slices.Contains(o.Regions, r) {
			continue
		}
		if o.Remove {
			delete(t, o.Date)
		} else {
			t[o.Date] = o.Name
		}
	}
	c.years[k] = t
	return t
}
