package workdays

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// holidayCase says whether d is a holiday in each region ("" = working day
// or weekend with no holiday), by name.
type holidayCase struct {
	d          Date
	ew, sc, ni string
}

func checkHolidays(t *testing.T, c *Calendar, cases []holidayCase) {
	t.Helper()
	for _, tc := range cases {
		for _, rc := range []struct {
			r    Region
			want string
		}{{ew, tc.ew}, {sc, tc.sc}, {ni, tc.ni}} {
			got, ok := c.Holiday(rc.r, tc.d)
			if ok != (rc.want != "") || got != rc.want {
				t.Errorf("Holiday(%s, %s %s) = %q, %v; want %q", rc.r, tc.d, tc.d.Weekday(), got, ok, rc.want)
			}
			wd := tc.d.Weekday()
			wantWorking := rc.want == "" && wd != time.Saturday && wd != time.Sunday
			if got := c.IsWorkingDay(rc.r, tc.d); got != wantWorking {
				t.Errorf("IsWorkingDay(%s, %s %s) = %v; want %v", rc.r, tc.d, wd, got, wantWorking)
			}
		}
	}
}

func TestEaster(t *testing.T) {
	// Scotland has Good Friday but not Easter Monday.
	checkHolidays(t, mustNew(t, nil), []holidayCase{
		{day(2024, 3, 28), "", "", ""},
		{day(2024, 3, 29), "Good Friday", "Good Friday", "Good Friday"},
		{day(2024, 4, 1), "Easter Monday", "", "Easter Monday"},
		{day(2024, 4, 2), "", "", ""},
		{day(2025, 4, 18), "Good Friday", "Good Friday", "Good Friday"},
		{day(2025, 4, 21), "Easter Monday", "", "Easter Monday"},
		{day(2026, 4, 3), "Good Friday", "Good Friday", "Good Friday"},
		{day(2026, 4, 6), "Easter Monday", "", "Easter Monday"},
	})
}

func TestChristmasAndNewYear(t *testing.T) {
	checkHolidays(t, mustNew(t, nil), []holidayCase{
		// 2021: Christmas on a Saturday, Boxing Day on a Sunday.
		{day(2021, 12, 24), "", "", ""},
		{day(2021, 12, 25), "Christmas Day", "Christmas Day", "Christmas Day"},
		{day(2021, 12, 26), "Boxing Day", "Boxing Day", "Boxing Day"},
		{day(2021, 12, 27), "Christmas Day (substitute day)", "Christmas Day (substitute day)", "Christmas Day (substitute day)"},
		{day(2021, 12, 28), "Boxing Day (substitute day)", "Boxing Day (substitute day)", "Boxing Day (substitute day)"},
		{day(2021, 12, 29), "", "", ""},
		// 2022: Christmas on a Sunday, Boxing Day on the Monday, the
		// substitute on the Tuesday. (gov.uk calls 27 December Christmas
		// Day's substitute; the library moves Boxing Day instead. The day
		// off is the same.)
		{day(2022, 12, 25), "Christmas Day", "Christmas Day", "Christmas Day"},
		{day(2022, 12, 26), "Boxing Day", "Boxing Day", "Boxing Day"},
		{day(2022, 12, 27), "Boxing Day (substitute day)", "Boxing Day (substitute day)", "Boxing Day (substitute day)"},
		{day(2022, 12, 28), "", "", ""},
		// 2023: Christmas on a Monday; no substitutes.
		{day(2023, 12, 25), "Christmas Day", "Christmas Day", "Christmas Day"},
		{day(2023, 12, 26), "Boxing Day", "Boxing Day", "Boxing Day"},
		{day(2023, 12, 27), "", "", ""},
		// 2027 is laid out like 2021.
		{day(2027, 12, 27), "Christmas Day (substitute day)", "Christmas Day (substitute day)", "Christmas Day (substitute day)"},
		{day(2027, 12, 28), "Boxing Day (substitute day)", "Boxing Day (substitute day)", "Boxing Day (substitute day)"},
		// New Year, and Scotland's 2 January, at weekends.
		{day(2021, 1, 1), "New Year's Day", "New Year's Day", "New Year's Day"},
		{day(2021, 1, 4), "", "2nd January (substitute day)", ""}, // 2 Jan 2021 was a Saturday
		{day(2022, 1, 3), "New Year's Day (substitute day)", "New Year's Day (substitute day)", "New Year's Day (substitute day)"},
		{day(2022, 1, 4), "", "2nd January (substitute day)", ""},
		{day(2023, 1, 2), "New Year's Day (substitute day)", "2nd January", "New Year's Day (substitute day)"},
		{day(2023, 1, 3), "", "2nd January (substitute day)", ""},
		{day(2024, 1, 1), "New Year's Day", "New Year's Day", "New Year's Day"},
		{day(2024, 1, 2), "", "2nd January", ""},
	})
}

func TestRegionalDays(t *testing.T) {
	checkHolidays(t, mustNew(t, nil), []holidayCase{
		// St Patrick's Day, Northern Ireland only; Sunday 17 March 2024
		// moves to the Monday.
		{day(2023, 3, 17), "", "", "St Patrick's Day"},
		{day(2024, 3, 18), "", "", "St Patrick's Day (substitute day)"},
		{day(2029, 3, 19), "", "", "St Patrick's Day (substitute day)"},
		// Battle of the Boyne, Northern Ireland only.
		{day(2024, 7, 12), "", "", "Battle of the Boyne (Orangemen's Day)"},
		{day(2025, 7, 14), "", "", "Battle of the Boyne (Orangemen's Day) (substitute day)"},
		{day(2026, 7, 13), "", "", "Battle of the Boyne (Orangemen's Day) (substitute day)"},
		// St Andrew's Day, Scotland only.
		{day(2023, 11, 30), "", "St Andrew's Day", ""},
		{day(2024, 12, 2), "", "St Andrew's Day (substitute day)", ""},
		{day(2025, 12, 1), "", "St Andrew's Day (substitute day)", ""},
		{day(2026, 11, 30), "", "St Andrew's Day", ""},
		// Summer bank holiday: first Monday of August in Scotland, last
		// Monday of August elsewhere.
		{day(2024, 8, 5), "", "Summer Bank Holiday", ""},
		{day(2024, 8, 26), "Summer Bank Holiday", "", "Summer Bank Holiday"},
		{day(2025, 8, 4), "", "Summer Bank Holiday", ""},
		{day(2025, 8, 25), "Summer Bank Holiday", "", "Summer Bank Holiday"},
		// UK-wide May holidays.
		{day(2024, 5, 6), "Early May", "Early May", "Early May"},
		{day(2024, 5, 27), "Spring Bank Holiday", "Spring Bank Holiday", "Spring Bank Holiday"},
	})
}

// TestOneOffDays pins the one-off days of 2020–2023 with the embedded
// overrides in place.
func TestOneOffDays(t *testing.T) {
	const (
		funeral    = "Bank Holiday for the State Funeral of Queen Elizabeth II"
		coronation = "Bank holiday for the coronation of King Charles III"
	)
	checkHolidays(t, mustNew(t, nil), []holidayCase{
		{day(2020, 5, 4), "", "", ""},
		{day(2020, 5, 8), "Early May bank holiday (VE day)", "Early May bank holiday (VE day)", "Early May bank holiday (VE day)"},
		{day(2022, 5, 30), "", "", ""},
		{day(2022, 6, 2), "Spring bank holiday", "Spring bank holiday", "Spring bank holiday"},
		{day(2022, 6, 3), "Platinum Jubilee bank holiday", "Platinum Jubilee bank holiday", "Platinum Jubilee bank holiday"},
		{day(2022, 9, 19), funeral, funeral, funeral},
		{day(2023, 5, 1), "Early May", "Early May", "Early May"},
		{day(2023, 5, 8), coronation, coronation, coronation},
	})
}

func TestWorkingDaysBefore(t *testing.T) {
	c := mustNew(t, nil)
	tests := []struct {
		name  string
		r     Region
		event Date
		n     int
		want  Date
	}{
		{"ordinary Monday", ew, day(2024, 3, 11), 1, day(2024, 3, 8)},
		{"ordinary Wednesday", ew, day(2024, 3, 13), 1, day(2024, 3, 12)},
		{"Saturday event", ew, day(2024, 3, 16), 1, day(2024, 3, 15)},
		{"Tuesday after Easter Monday", ew, day(2024, 4, 2), 1, day(2024, 3, 28)},
		{"Tuesday after Easter, Scotland works Easter Monday", sc, day(2024, 4, 2), 1, day(2024, 4, 1)},
		{"Tuesday after Easter, Northern Ireland", ni, day(2024, 4, 2), 1, day(2024, 3, 28)},
		{"n=2 across Easter", ew, day(2024, 4, 2), 2, day(2024, 3, 27)},
		{"n=2 across Easter, Scotland", sc, day(2024, 4, 2), 2, day(2024, 3, 28)},
		{"Easter Monday event itself", ew, day(2025, 4, 21), 1, day(2025, 4, 17)},
		{"after Christmas 2021", ew, day(2021, 12, 29), 1, day(2021, 12, 24)},
		{"after Christmas 2022", ew, day(2022, 12, 28), 1, day(2022, 12, 23)},
		{"after New Year 2022, Scotland", sc, day(2022, 1, 5), 1, day(2021, 12, 31)},
		{"after New Year 2022, England", ew, day(2022, 1, 5), 1, day(2022, 1, 4)},
		{"after New Year 2022, n=3", ew, day(2022, 1, 5), 3, day(2021, 12, 30)},
		{"Scottish summer holiday, Scotland", sc, day(2024, 8, 6), 1, day(2024, 8, 2)},
		{"Scottish summer holiday, England", ew, day(2024, 8, 6), 1, day(2024, 8, 5)},
		{"English summer holiday, England", ew, day(2024, 8, 27), 1, day(2024, 8, 23)},
		{"English summer holiday, Scotland", sc, day(2024, 8, 27), 1, day(2024, 8, 26)},
		{"after the state funeral", ew, day(2022, 9, 20), 1, day(2022, 9, 16)},
		{"after the coronation", sc, day(2023, 5, 9), 1, day(2023, 5, 5)},
		{"after the jubilee", ew, day(2022, 6, 6), 1, day(2022, 6, 1)},
		{"moved spring holiday is a working day", ew, day(2022, 5, 31), 1, day(2022, 5, 30)},
		{"after the Boyne, Northern Ireland", ni, day(2025, 7, 15), 1, day(2025, 7, 11)},
		{"after the Boyne, England", ew, day(2025, 7, 15), 1, day(2025, 7, 14)},
		{"n=0 on a working day", ew, day(2024, 3, 28), 0, day(2024, 3, 28)},
		{"n=0 on Easter Monday", ew, day(2024, 4, 1), 0, day(2024, 3, 28)},
		{"n=0 on a Sunday", ew, day(2024, 3, 10), 0, day(2024, 3, 8)},
		{"n=-1 counts forward over Easter", ew, day(2024, 3, 28), -1, day(2024, 4, 2)},
		{"n=5 is a week before", ew, day(2024, 3, 13), 5, day(2024, 3, 6)},
		{"empty region is the default", "", day(2024, 4, 2), 1, day(2024, 3, 28)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := c.WorkingDaysBefore(tc.r, tc.event, tc.n)
			if got != tc.want {
				t.Errorf("WorkingDaysBefore(%q, %s, %d) = %s %s; want %s %s",
					tc.r, tc.event, tc.n, got, got.Weekday(), tc.want, tc.want.Weekday())
			}
		})
	}
}

func TestDefaultRegion(t *testing.T) {
	c, err := New(Scotland, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Event Tuesday 6 August 2024: Monday 5 August is Scotland's summer
	// holiday, so the install default decides the answer.
	for _, r := range []Region{"", "wales"} {
		if got, want := c.WorkingDaysBefore(r, day(2024, 8, 6), 1), day(2024, 8, 2); got != want {
			t.Errorf("region %q with default scotland: got %s, want %s", r, got, want)
		}
	}
	if got, want := c.WorkingDaysBefore(EnglandWales, day(2024, 8, 6), 1), day(2024, 8, 5); got != want {
		t.Errorf("event region england-and-wales: got %s, want %s", got, want)
	}
	if _, err := New("wales", nil); err == nil {
		t.Error("New with default region \"wales\": got no error")
	}
	if c, _ := New("", nil); c.Default() != EnglandWales {
		t.Errorf("New(\"\") default: got %q, want %q", c.Default(), EnglandWales)
	}
}

func TestWorkingDaysBetween(t *testing.T) {
	c := mustNew(t, nil)
	tests := []struct {
		r        Region
		from, to Date
		want     int
	}{
		{ew, day(2024, 3, 25), day(2024, 4, 5), 7}, // two weeks less Good Friday and Easter Monday
		{sc, day(2024, 3, 25), day(2024, 4, 5), 8},
		{ew, day(2024, 4, 5), day(2024, 3, 25), -7},
		{ew, day(2024, 3, 11), day(2024, 3, 11), 0},
		{ew, day(2024, 3, 11), day(2024, 3, 12), 1},
		{ew, day(2021, 12, 24), day(2022, 1, 5), 5}, // 24, 29, 30, 31 Dec, 4 Jan
		{sc, day(2021, 12, 24), day(2022, 1, 5), 4},
	}
	for _, tc := range tests {
		if got := c.WorkingDaysBetween(tc.r, tc.from, tc.to); got != tc.want {
			t.Errorf("WorkingDaysBetween(%s, %s, %s) = %d; want %d", tc.r, tc.from, tc.to, got, tc.want)
		}
	}
}

// TestBeforeAndBetweenAgree walks every day of 2020–2028 in every region:
// n working days before d is a working day, and there are exactly n working
// days from it up to d.
func TestBeforeAndBetweenAgree(t *testing.T) {
	c := mustNew(t, nil)
	for _, r := range Regions() {
		for d := day(2020, 1, 1); d.Before(day(2029, 1, 1)); d = d.AddDays(1) {
			for n := 1; n <= 3; n++ {
				w := c.WorkingDaysBefore(r, d, n)
				if !c.IsWorkingDay(r, w) {
					t.Fatalf("WorkingDaysBefore(%s, %s, %d) = %s, not a working day", r, d, n, w)
				}
				if got := c.WorkingDaysBetween(r, w, d); got != n {
					t.Fatalf("WorkingDaysBetween(%s, %s, %s) = %d; want %d", r, w, d, got, n)
				}
				if back := c.WorkingDaysBefore(r, w, -n); c.IsWorkingDay(r, d) && back != d {
					t.Fatalf("WorkingDaysBefore(%s, %s, %d) = %s; want %s", r, w, -n, back, d)
				}
			}
		}
	}
}

// TestHolidayCounts checks each region's whole year against gov.uk's lists:
// 8 in England and Wales, 9 in Scotland, 10 in Northern Ireland, plus the
// one-off days.
func TestHolidayCounts(t *testing.T) {
	c := mustNew(t, nil)
	tests := []struct {
		r    Region
		year int
		want int // weekday holidays (the days off)
	}{
		{ew, 2022, 10}, {sc, 2022, 11}, {ni, 2022, 12}, // jubilee + funeral
		{ew, 2023, 9}, {sc, 2023, 10}, {ni, 2023, 11}, // coronation
		{ew, 2024, 8}, {sc, 2024, 9}, {ni, 2024, 10},
		{ew, 2025, 8}, {sc, 2025, 9}, {ni, 2025, 10},
		{ew, 2026, 8}, {sc, 2026, 9}, {ni, 2026, 10},
	}
	for _, tc := range tests {
		var days []string
		for _, h := range c.Holidays(tc.r, tc.year) {
			if wd := h.Date.Weekday(); wd != time.Saturday && wd != time.Sunday {
				days = append(days, h.Date.String()+" "+h.Name)
			}
		}
		if len(days) != tc.want {
			t.Errorf("%s %d: got %d days off, want %d:\n%s", tc.r, tc.year, len(days), tc.want, strings.Join(days, "\n"))
		}
	}
}

func TestInstallOverrides(t *testing.T) {
	// An install's file: a made-up extra day for Scotland only, and the
	// removal of the embedded state funeral (later files win).
	path := filepath.Join(t.TempDir(), "holidays.txt")
	file := "# our own\n2031-06-13 scotland Local holiday\n-2022-09-19 england-and-wales\n"
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(EnglandWales, path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	checkHolidays(t, c, []holidayCase{
		{day(2031, 6, 13), "", "Local holiday", ""},
		{day(2022, 9, 19), "", "Bank Holiday for the State Funeral of Queen Elizabeth II", "Bank Holiday for the State Funeral of Queen Elizabeth II"},
	})

	if _, err := Load(EnglandWales, filepath.Join(t.TempDir(), "missing.txt")); err == nil {
		t.Error("Load of a missing file: got no error")
	}
	bad := filepath.Join(t.TempDir(), "bad.txt")
	if err := os.WriteFile(bad, []byte("\n2031-02-30 all Nope\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(EnglandWales, bad)
	if err == nil || !strings.Contains(err.Error(), "bad.txt:2:") {
		t.Errorf("Load of a bad file: got %v, want an error naming bad.txt:2", err)
	}
	if c, err := Load(EnglandWales, ""); err != nil || c == nil {
		t.Errorf("Load with no path: got %v", err)
	}
}

func TestUnnormalisedDate(t *testing.T) {
	c := mustNew(t, nil)
	// 31 April is 1 May; 2023-05-01 was the early May bank holiday.
	if c.IsWorkingDay(ew, day(2023, 4, 31)) {
		t.Error("IsWorkingDay(2023-04-31): got true, want false (it is 1 May)")
	}
}

// TestConcurrentUse runs lookups from many goroutines; with -race it checks
// the per-year cache.
func TestConcurrentUse(t *testing.T) {
	c := mustNew(t, nil)
	done := make(chan Date)
	for i := range 8 {
		go func() {
			r := Regions()[i%3]
			done <- c.WorkingDaysBefore(r, day(2020+i, 1, 5), 3)
		}()
	}
	for range 8 {
		if d := <-done; d == (Date{}) {
			t.Error("got the zero date")
		}
	}
}
