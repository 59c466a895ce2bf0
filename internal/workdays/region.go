package workdays

import (
	"fmt"
	"strings"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/gb"
)

// Region is a UK bank-holiday region, named as gov.uk names them
// (https://www.gov.uk/bank-holidays.json uses the same keys).
type Region string

// The three UK bank-holiday regions.
const (
	EnglandWales    Region = "england-and-wales"
	Scotland        Region = "scotland"
	NorthernIreland Region = "northern-ireland"
)

// Regions returns every region, in a fixed order.
func Regions() []Region { return []Region{EnglandWales, Scotland, NorthernIreland} }

// ParseRegion reads a region name such as "scotland". Case and surrounding
// space are ignored; the result is the canonical name.
func ParseRegion(s string) (Region, error) {
	r := Region(strings.ToLower(strings.TrimSpace(s)))
	if r.Valid() {
		return r, nil
	}
	return "", fmt.Errorf("workdays: %q is not a region (want england-and-wales, scotland or northern-ireland)", s)
}

// Valid reports whether r is one of the three regions.
func (r Region) Valid() bool {
	return r == EnglandWales || r == Scotland || r == NorthernIreland
}

// Title returns the region's name for people: "England and Wales".
func (r Region) Title() string {
	switch r {
	case EnglandWales:
		return "England and Wales"
	case Scotland:
		return "Scotland"
	case NorthernIreland:
		return "Northern Ireland"
	}
	return string(r)
}

// The gb package defines the England and Wales list (gb.Holidays) and one
// Scottish rule it does not use (SummerHolidayScotland). The other regional
// days are recurring rules, not one-offs, so they are defined here in the
// library's own terms rather than in the overrides file.
var (
	// weekendToMonday moves a Saturday or Sunday holiday to the Monday.
	weekendToMonday = []cal.AltDay{
		{Day: time.Saturday, Offset: 2},
		{Day: time.Sunday, Offset: 1},
	}

	// secondJanuary is Scotland's 2 January. It follows the Boxing Day
	// rule, because it is the second of two days in a row: on a Saturday
	// or Sunday it moves two days on (past New Year's substitute), and on
	// a Monday it gives way to New Year's Day's substitute and moves to
	// the Tuesday.
	secondJanuary = &cal.Holiday{
		Name:  "2nd January",
		Type:  cal.ObservanceBank,
		Month: time.January,
		Day:   2,
		Func:  cal.CalcDayOfMonth,
		Observed: []cal.AltDay{
			{Day: time.Saturday, Offset: 2},
			{Day: time.Sunday, Offset: 2},
			{Day: time.Monday, Offset: 1},
		},
	}

	// stAndrewsDay became a Scottish bank holiday under the St Andrew's
	// Day Bank Holiday (Scotland) Act 2007.
	stAndrewsDay = &cal.Holiday{
		Name:      "St Andrew's Day",
		Type:      cal.ObservanceBank,
		Month:     time.November,
		Day:       30,
		Func:      cal.CalcDayOfMonth,
		Observed:  weekendToMonday,
		StartYear: 2007,
	}

	stPatricksDay = &cal.Holiday{
		Name:     "St Patrick's Day",
		Type:     cal.ObservanceBank,
		Month:    time.March,
		Day:      17,
		Func:     cal.CalcDayOfMonth,
		Observed: weekendToMonday,
	}

	battleOfTheBoyne = &cal.Holiday{
		Name:     "Battle of the Boyne (Orangemen's Day)",
		Type:     cal.ObservanceBank,
		Month:    time.July,
		Day:      12,
		Func:     cal.CalcDayOfMonth,
		Observed: weekendToMonday,
	}
)

// libraryHolidays returns the recurring holiday rules of region r, before
// any overrides. Every rule in gb.Holidays applies UK-wide except Easter
// Monday and the late-August summer holiday, which Scotland does not have.
func libraryHolidays(r Region) []*cal.Holiday {
	switch r {
	case Scotland:
		var hs []*cal.Holiday
		for _, h := range gb.Holidays {
			if h == gb.EasterMonday || h == gb.SummerHoliday {
				continue
			}
			hs = append(hs, h)
		}
		return append(hs, secondJanuary, gb.SummerHolidayScotland, stAndrewsDay)
	case NorthernIreland:
		hs := append([]*cal.Holiday(nil), gb.Holidays...)
		return append(hs, stPatricksDay, battleOfTheBoyne)
	default:
		return append([]*cal.Holiday(nil), gb.Holidays...)
	}
}
