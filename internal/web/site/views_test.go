package site

import (
	"strings"
	"testing"
	"time"

	"plenary/internal/catalog"
)

func TestDateView(t *testing.T) {
	date := func(y int, m time.Month, d int) catalog.Date { return catalog.Date{Year: y, Month: m, Day: d} }
	mk := func(days ...catalog.Day) catalog.Event {
		e := catalog.Event{ID: 9, TimeZone: "Europe/London", Format: catalog.Online, Days: days,
			Meeting: catalog.Meeting{Provider: "Zoom", JoinURL: "https://zoom.us/j/1", Passcode: "pw-123"}}
		return e
	}
	tests := []struct {
		name      string
		e         catalog.Event
		sameTimes bool
		times     string
		days      []string // day labels + times
	}{
		{"one day", mk(day(t, date(2022, 6, 10), "10:00", "17:00")), true, "10:00–17:00 UK time (BST)",
			[]string{"Agenda 10:00–17:00 UK time (BST)"}},
		{"two days, same hours", mk(day(t, date(2023, 1, 12), "10:00", "17:00"), day(t, date(2023, 1, 13), "10:00", "17:00")), true, "10:00–17:00 UK time (GMT)",
			[]string{"Day 1: Thursday 12 January 2023 10:00–17:00 UK time (GMT)", "Day 2: Friday 13 January 2023 10:00–17:00 UK time (GMT)"}},
		{"across the October change", mk(day(t, date(2022, 10, 28), "09:30", "16:30"), day(t, date(2022, 10, 31), "09:30", "16:30")), false, "09:30–16:30 UK time (BST)",
			[]string{"Day 1: Friday 28 October 2022 09:30–16:30 UK time (BST)", "Day 2: Monday 31 October 2022 09:30–16:30 UK time (GMT)"}},
		{"different hours", mk(day(t, date(2022, 6, 9), "10:00", "17:00"), day(t, date(2022, 6, 10), "09:00", "13:00")), false, "10:00–17:00 UK time (BST)", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newDateView(tt.e, testNow)
			if v.SameTimes != tt.sameTimes {
				t.Errorf("got SameTimes %v, want %v", v.SameTimes, tt.sameTimes)
			}
			if v.Times != tt.times {
				t.Errorf("got Times %q, want %q", v.Times, tt.times)
			}
			for i, want := range tt.days {
				if got := v.Days[i].Label + " " + v.Days[i].Times; got != want {
					t.Errorf("day %d: got %q, want %q", i+1, got, want)
				}
			}
			if v.Provider != "Zoom" || strings.Contains(strings.Join([]string{v.Venue.Name, v.Times, v.Format}, " "), "pw-123") {
				t.Errorf("got provider %q, want Zoom and no passcode", v.Provider)
			}
		})
	}
}

func TestAgendaKind(t *testing.T) {
	e := catalog.Event{TimeZone: "Europe/London", Format: catalog.Online, Days: []catalog.Day{day(t, catalog.Date{Year: 2022, Month: 6, Day: 10}, "10:00", "17:00",
		item(t, catalog.Break, "11:00", "11:15", "Tea break"),
		item(t, catalog.Teaching, "11:15", "12:00", "The IPAF"),
		item(t, catalog.Registration, "09:30", "", "Registration"),
	)}}
	got := newDateView(e, testNow).Days[0].Agenda
	want := []agendaView{
		{Times: "11:00–11:15", Kind: "", Title: "Tea break", Quiet: true},
		{Times: "11:15–12:00", Kind: "Teaching", Title: "The IPAF"},
		{Times: "09:30", Kind: "", Title: "Registration"},
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("item %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}
