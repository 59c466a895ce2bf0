package workdays

import (
	"testing"
	"time"
	_ "time/tzdata" // the zone data, wherever the tests run
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want Date
		ok   bool
	}{
		{"2024-04-02", day(2024, 4, 2), true},
		{"2024-02-29", day(2024, 2, 29), true},
		{"2023-02-29", Date{}, false},
		{"2024-4-2", Date{}, false},
		{"", Date{}, false},
	}
	for _, tc := range tests {
		got, err := ParseDate(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseDate(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestDateArithmetic(t *testing.T) {
	d := day(2024, 2, 28)
	if got, want := d.AddDays(2), day(2024, 3, 1); got != want {
		t.Errorf("AddDays(2): got %s, want %s", got, want)
	}
	if got, want := d.AddDays(-59), day(2023, 12, 31); got != want {
		t.Errorf("AddDays(-59): got %s, want %s", got, want)
	}
	if got, want := d.Weekday(), time.Wednesday; got != want {
		t.Errorf("Weekday: got %s, want %s", got, want)
	}
	if !d.Before(d.AddDays(1)) || d.Before(d) {
		t.Error("Before: got the wrong order")
	}
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	// 00:30 BST on 1 April is still 31 March in UTC.
	inst := time.Date(2024, 4, 1, 0, 30, 0, 0, london)
	if got, want := DateOf(inst), day(2024, 4, 1); got != want {
		t.Errorf("DateOf in London: got %s, want %s", got, want)
	}
	if got, want := DateOf(inst.UTC()), day(2024, 3, 31); got != want {
		t.Errorf("DateOf in UTC: got %s, want %s", got, want)
	}
}

// civil has catalog.Date's shape; the conversion below is what catalog and
// booking write (workdays cannot import catalog to test it directly).
type civil struct {
	Year  int
	Month time.Month
	Day   int
}

func TestConversion(t *testing.T) {
	c := civil{2024, time.April, 2}
	if got, want := Date(c), day(2024, 4, 2); got != want {
		t.Errorf("Date(civil): got %s, want %s", got, want)
	}
}
