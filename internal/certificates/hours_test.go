package certificates

import (
	"testing"

	"plenary/internal/catalog"
)

func ck(h, m int) catalog.Clock { return catalog.Clock{Minutes: h*60 + m, Valid: true} }

// testDay is a day with registration, breaks, lunch, a plenary and a
// last session without an end: 75 + 75 + 90 + 90 = 330 minutes count.
func testDay(date catalog.Date) catalog.Day {
	return catalog.Day{Date: date, Start: ck(9, 30), End: ck(16, 30), Agenda: []catalog.AgendaItem{
		{Kind: catalog.Registration, Start: ck(9, 30), Title: "Registration"},
		{Kind: catalog.Teaching, Start: ck(9, 45), End: ck(11, 0), Title: "Models"},
		{Kind: catalog.Break, Start: ck(11, 0), End: ck(11, 15), Title: "Coffee"},
		{Kind: catalog.Teaching, Start: ck(11, 15), End: ck(12, 30), Title: "Practice"},
		{Kind: catalog.Lunch, Start: ck(12, 30), End: ck(13, 15), Title: "Lunch"},
		{Kind: catalog.Plenary, Start: ck(13, 15), End: ck(14, 45), Title: "Cases"},
		{Kind: catalog.Break, Start: ck(14, 45), End: ck(15, 0), Title: "Tea"},
		{Kind: catalog.Teaching, Start: ck(15, 0), Title: "Role play"},
	}}
}

func TestHoursFromAgenda(t *testing.T) {
	d := testDay(catalog.Date{Year: 2026, Month: 3, Day: 30})
	if got := DayMinutes(d); got != 330 {
		t.Errorf("got %d minutes, want 330 (breaks, lunch and registration left out)", got)
	}
	ss := Sessions(d)
	if len(ss) != 4 || ss[3].Key() != "15:00" || ss[3].End != 16*60+30 {
		t.Errorf("got sessions %+v, want four, the last 15:00 to the day's end", ss)
	}
	if got := HoursLabel(EventMinutes(catalog.Event{Days: []catalog.Day{d}})); got != "CPD: 5.5 hours" {
		t.Errorf("got %q, want CPD: 5.5 hours", got)
	}

	// Overlapping items count once; an item outside the day's times is
	// clipped; a day without teaching counts nothing.
	over := catalog.Day{Start: ck(10, 0), End: ck(12, 0), Agenda: []catalog.AgendaItem{
		{Kind: catalog.Teaching, Start: ck(9, 0), End: ck(11, 0)},
		{Kind: catalog.Plenary, Start: ck(10, 30), End: ck(11, 30)},
		{Kind: catalog.Other, Start: ck(11, 30), End: ck(12, 0)},
	}}
	if got := DayMinutes(over); got != 90 {
		t.Errorf("overlapping and clipped: got %d minutes, want 90", got)
	}
	if got := DayMinutes(catalog.Day{Start: ck(10, 0), End: ck(17, 0)}); got != 0 {
		t.Errorf("no agenda: got %d minutes, want 0", got)
	}
	for m, want := range map[int]string{60: "CPD: 1 hour", 45: "CPD: 0.75 hours", 75: "CPD: 1.25 hours", 400: "CPD: 6.67 hours", 0: ""} {
		if got := HoursLabel(m); got != want {
			t.Errorf("HoursLabel(%d) = %q, want %q", m, got, want)
		}
	}
}

func TestCompletionRules(t *testing.T) {
	d1, d2 := testDay(catalog.Date{Year: 2026, Month: 3, Day: 30}), testDay(catalog.Date{Year: 2026, Month: 3, Day: 31})
	e := catalog.Event{Days: []catalog.Day{d1, d2}}
	mark := func(m Mark) stored { return stored{Mark: m} }
	withMinutes := func(m Mark, n int) stored { return stored{Mark: m, Minutes: n, HasMinutes: true} }
	tests := []struct {
		name        string
		marks       map[markKey]stored
		allDays, p8 bool // completes every-day rule; 80 per cent rule
	}{
		{"present both days", map[markKey]stored{{1, d1.Date, ""}: mark(Present), {1, d2.Date, ""}: mark(Present)}, true, true},
		{"late and left early count", map[markKey]stored{{1, d1.Date, ""}: mark(Late), {1, d2.Date, ""}: mark(LeftEarly)}, true, true},
		{"excused is not attended", map[markKey]stored{{1, d1.Date, ""}: mark(Present), {1, d2.Date, ""}: mark(Excused)}, false, false},
		{"one day unmarked", map[markKey]stored{{1, d1.Date, ""}: mark(Present)}, false, false},
		{"report minutes: 560 of 660", map[markKey]stored{{1, d1.Date, ""}: withMinutes(Present, 330), {1, d2.Date, ""}: withMinutes(Late, 230)}, true, true},
		{"report minutes: 500 of 660", map[markKey]stored{{1, d1.Date, ""}: withMinutes(Present, 330), {1, d2.Date, ""}: withMinutes(LeftEarly, 170)}, true, false},
		{"sessions: all four on day two", map[markKey]stored{{1, d1.Date, ""}: mark(Present),
			{1, d2.Date, "09:45"}: mark(Present), {1, d2.Date, "11:15"}: mark(Present), {1, d2.Date, "13:15"}: mark(Late), {1, d2.Date, "15:00"}: mark(Present)}, true, true},
		{"sessions: one missed (240 of 330 on day two)", map[markKey]stored{{1, d1.Date, ""}: mark(Present),
			{1, d2.Date, "09:45"}: mark(Present), {1, d2.Date, "11:15"}: mark(Present), {1, d2.Date, "13:15"}: mark(Absent), {1, d2.Date, "15:00"}: mark(Present)}, false, true},
		{"minutes never count beyond the teaching time", map[markKey]stored{{1, d1.Date, ""}: withMinutes(Present, 900), {1, d2.Date, ""}: mark(Absent)}, false, false},
	}
	for _, tt := range tests {
		if got, _ := completes(catalog.Course{}, e, 1, tt.marks); got != tt.allDays {
			t.Errorf("%s, every day: got %v, want %v", tt.name, got, tt.allDays)
		}
		if got, n := completes(catalog.Course{CompletionPercent: 80}, e, 1, tt.marks); got != tt.p8 {
			t.Errorf("%s, 80 per cent: got %v (%d minutes), want %v", tt.name, got, n, tt.p8)
		}
	}
}
