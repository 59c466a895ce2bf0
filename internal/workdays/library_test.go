package workdays

import "testing"

// TestLibraryKnows pins what github.com/rickar/cal/v2 v2.1.13 knows without
// our overrides file, as read from its gb package: VE Day 2020, the 2022
// jubilee moves and the 2023 coronation, but not the 2022 state funeral. If
// an upgrade changes any of this, overrides.txt and docs/working-days.md
// need another look.
func TestLibraryKnows(t *testing.T) {
	c := libraryOnly(t)
	tests := []struct {
		d    Date
		want string // "" = not a holiday in the library
	}{
		{day(2020, 5, 4), ""},
		{day(2020, 5, 8), "VE Day"},
		{day(2022, 5, 30), ""},
		{day(2022, 6, 2), "Spring Bank Holiday"},
		{day(2022, 6, 3), "Platinum Jubilee Bank Holiday"},
		{day(2022, 9, 19), ""}, // the state funeral: only in overrides.txt
		{day(2023, 5, 8), "Coronation of King Charles III"},
	}
	for _, tc := range tests {
		for _, r := range Regions() {
			got, ok := c.Holiday(r, tc.d)
			if ok != (tc.want != "") || got != tc.want {
				t.Errorf("library only: Holiday(%s, %s) = %q, %v; want %q", r, tc.d, got, ok, tc.want)
			}
		}
	}
}

// TestOverridesOnlyAddTheFuneral checks that, on working days, the embedded
// overrides change exactly one day in 2020-2023 compared with the library:
// the state funeral. The other lines restate what the library has.
func TestOverridesOnlyAddTheFuneral(t *testing.T) {
	lib, ours := libraryOnly(t), mustNew(t, nil)
	for _, r := range Regions() {
		for d := day(2020, 1, 1); d.Before(day(2024, 1, 1)); d = d.AddDays(1) {
			a, b := lib.IsWorkingDay(r, d), ours.IsWorkingDay(r, d)
			if want := d != day(2022, 9, 19); (a == b) != want {
				t.Errorf("%s %s: library working=%v, with overrides working=%v", r, d, a, b)
			}
		}
	}
}
