package catalog_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"plenary/internal/catalog"
)

func day(y int, m time.Month, d int) catalog.Date { return catalog.Date{Year: y, Month: m, Day: d} }

func cond(t *testing.T, s string) catalog.Condition {
	t.Helper()
	c, err := catalog.ParseCondition(s)
	if err != nil {
		t.Fatalf("ParseCondition(%q): %v", s, err)
	}
	return c
}

const (
	ditRefuse = "This course is for people who have completed the DIT training."
	ditNote   = "For you this refresher is required before you start supervised DIT practice."
)

// ditRules are the DIT refresher's rules, as the issue gives them.
func ditRules(t *testing.T) []catalog.Rule {
	return []catalog.Rule{
		{Conditions: []catalog.Condition{cond(t, "training_completed is missing")}, Outcome: catalog.Refuse, Message: ditRefuse},
		{Conditions: []catalog.Condition{
			cond(t, "training_completed before event - 6 months"),
			cond(t, "supervised_practice_started is missing"),
		}, Outcome: catalog.Accept, Message: ditNote},
	}
}

func TestAddMonths(t *testing.T) {
	tests := []struct {
		from catalog.Date
		n    int
		want catalog.Date
	}{
		{day(2022, time.June, 10), -6, day(2021, time.December, 10)},
		{day(2022, time.August, 31), -6, day(2022, time.February, 28)},
		{day(2024, time.August, 31), -6, day(2024, time.February, 29)}, // leap year
		{day(2024, time.August, 29), -6, day(2024, time.February, 29)},
		{day(2023, time.August, 30), -6, day(2023, time.February, 28)},
		{day(2022, time.March, 31), -1, day(2022, time.February, 28)},
		{day(2022, time.January, 31), 1, day(2022, time.February, 28)},
		{day(2022, time.October, 31), 4, day(2023, time.February, 28)},
		{day(2022, time.May, 31), -12, day(2021, time.May, 31)},
		{day(2022, time.January, 15), -13, day(2020, time.December, 15)},
		{day(2022, time.December, 15), 1, day(2023, time.January, 15)},
		{day(2022, time.March, 15), 0, day(2022, time.March, 15)},
		{day(2028, time.February, 29), 12, day(2029, time.February, 28)},
	}
	for _, tt := range tests {
		if got := tt.from.AddMonths(tt.n); got != tt.want {
			t.Errorf("%s.AddMonths(%d): got %s, want %s", tt.from, tt.n, got, tt.want)
		}
	}
}

func TestEvaluateDITRefresher(t *testing.T) {
	rules := ditRules(t)
	june := day(2022, time.June, 10) // six months before: 2021-12-10
	aug := day(2022, time.August, 31)
	augLeap := day(2024, time.August, 31)
	today := day(2022, time.May, 1)
	refused := catalog.Decision{Outcome: catalog.Refuse, Reasons: []string{ditRefuse}}
	noted := catalog.Decision{Outcome: catalog.Accept, Notes: []string{ditNote}}
	plain := catalog.Decision{Outcome: catalog.Accept}
	tests := []struct {
		name    string
		event   catalog.Date
		answers map[string]string
		want    catalog.Decision
	}{
		{"no answers at all", june, nil, refused},
		{"training date left blank", june, map[string]string{"training_completed": "  "}, refused},
		{"blank training, practice started", june, map[string]string{"training_completed": "", "supervised_practice_started": "2022-01-01"}, refused},
		{"exactly six months before", june, map[string]string{"training_completed": "2021-12-10"}, plain},
		{"six months and a day before", june, map[string]string{"training_completed": "2021-12-09"}, noted},
		{"a day less than six months", june, map[string]string{"training_completed": "2021-12-11"}, plain},
		{"years before", june, map[string]string{"training_completed": "2015-03-02"}, noted},
		{"a week before the event", june, map[string]string{"training_completed": "2022-06-03"}, plain},
		{"after the event (typed wrongly)", june, map[string]string{"training_completed": "2023-01-01"}, plain},
		{"long ago but practice started", june, map[string]string{"training_completed": "2020-01-01", "supervised_practice_started": "2020-05-01"}, plain},
		{"long ago, practice blank", june, map[string]string{"training_completed": "2020-01-01", "supervised_practice_started": " "}, noted},
		{"answers trimmed", june, map[string]string{"training_completed": " 2021-12-09 "}, noted},
		{"unparsable date never matches a comparison", june, map[string]string{"training_completed": "last spring"}, plain},
		{"31 August: 28 February is exactly six months", aug, map[string]string{"training_completed": "2022-02-28"}, plain},
		{"31 August: 27 February is more", aug, map[string]string{"training_completed": "2022-02-27"}, noted},
		{"31 August: 1 March is less", aug, map[string]string{"training_completed": "2022-03-01"}, plain},
		{"31 August leap year: 29 February is exactly", augLeap, map[string]string{"training_completed": "2024-02-29"}, plain},
		{"31 August leap year: 28 February is more", augLeap, map[string]string{"training_completed": "2024-02-28"}, noted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := catalog.Evaluate(rules, tt.answers, tt.event, today)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestEvaluateSeverityAndMessages(t *testing.T) {
	rule := func(outcome catalog.Outcome, msg string, conds ...string) catalog.Rule {
		r := catalog.Rule{Outcome: outcome, Message: msg}
		for _, c := range conds {
			r.Conditions = append(r.Conditions, cond(t, c))
		}
		return r
	}
	rules := []catalog.Rule{
		rule(catalog.Accept, "Bring your IPAF.", "role is present"),
		rule(catalog.Review, "A coordinator checks bookings from outside the NHS.", "nhs is no"),
		rule(catalog.Review, "", "nhs is missing"),
		rule(catalog.Refuse, "You must be practising.", "practising is no"),
		rule(catalog.Refuse, "You must be practising.", "practising is missing"),
		rule(catalog.Accept, "Bring your IPAF.", "nhs is yes"),
		rule(catalog.Accept, "Supervision starts soon.", "supervision on or after today", "supervision on or before today + 14 days"),
		rule(catalog.Refuse, "Too early.", "booked_for after event"),
	}
	today := day(2026, time.March, 2)
	event := day(2026, time.April, 1)
	tests := []struct {
		name    string
		answers map[string]string
		want    catalog.Decision
	}{
		{"no rule matches", map[string]string{"practising": "yes", "nhs": "YES"},
			catalog.Decision{Outcome: catalog.Accept, Notes: []string{"Bring your IPAF."}}},
		{"notes collected once, in rule order", map[string]string{"practising": "yes", "nhs": "yes", "role": "x", "supervision": "2026-03-16"},
			catalog.Decision{Outcome: catalog.Accept, Notes: []string{"Bring your IPAF.", "Supervision starts soon."}}},
		{"today + 14 days is inclusive", map[string]string{"practising": "yes", "nhs": "yes", "supervision": "2026-03-17"},
			catalog.Decision{Outcome: catalog.Accept, Notes: []string{"Bring your IPAF."}}},
		{"today is inclusive", map[string]string{"practising": "yes", "nhs": "yes", "supervision": "2026-03-02"},
			catalog.Decision{Outcome: catalog.Accept, Notes: []string{"Bring your IPAF.", "Supervision starts soon."}}},
		{"review keeps notes", map[string]string{"practising": "Yes", "nhs": "no", "role": "x"},
			catalog.Decision{Outcome: catalog.Review, Reasons: []string{"A coordinator checks bookings from outside the NHS."}, Notes: []string{"Bring your IPAF."}}},
		{"review without a message", map[string]string{"practising": "yes"},
			catalog.Decision{Outcome: catalog.Review}},
		{"refuse beats review and accept, drops notes", map[string]string{"practising": "no", "nhs": "no", "role": "x"},
			catalog.Decision{Outcome: catalog.Refuse, Reasons: []string{"You must be practising."}}},
		{"refuse reasons once each", map[string]string{"nhs": "yes", "booked_for": "2026-04-02"},
			catalog.Decision{Outcome: catalog.Refuse, Reasons: []string{"You must be practising.", "Too early."}}},
		{"after event is strict", map[string]string{"practising": "yes", "nhs": "yes", "booked_for": "2026-04-01"},
			catalog.Decision{Outcome: catalog.Accept, Notes: []string{"Bring your IPAF."}}},
		{"yes/no ignores other words", map[string]string{"practising": "y", "nhs": "yes"},
			catalog.Decision{Outcome: catalog.Accept, Notes: []string{"Bring your IPAF."}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := catalog.Evaluate(rules, tt.answers, event, today)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	if got := catalog.Evaluate(nil, nil, event, today); !reflect.DeepEqual(got, catalog.Decision{Outcome: catalog.Accept}) {
		t.Errorf("no rules: got %+v, want accept", got)
	}
}

func TestParseCondition(t *testing.T) {
	tests := []struct {
		in    string
		want  catalog.Condition
		canon string // "" when in is canonical
	}{
		{"training_completed is missing", catalog.Condition{Question: "training_completed", Op: catalog.OpMissing}, ""},
		{"x is present", catalog.Condition{Question: "x", Op: catalog.OpPresent}, ""},
		{"x  is   yes", catalog.Condition{Question: "x", Op: catalog.OpYes}, "x is yes"},
		{"x is no", catalog.Condition{Question: "x", Op: catalog.OpNo}, ""},
		{"x before event", catalog.Condition{Question: "x", Op: catalog.OpBefore, Date: catalog.DateRef{Base: catalog.BaseEvent}}, ""},
		{"x after today", catalog.Condition{Question: "x", Op: catalog.OpAfter, Date: catalog.DateRef{Base: catalog.BaseToday}}, ""},
		{"x before event - 6 months", catalog.Condition{Question: "x", Op: catalog.OpBefore, Date: catalog.DateRef{Base: catalog.BaseEvent, Offset: -6, Unit: catalog.UnitMonths}}, ""},
		{"x on or after today + 14 days", catalog.Condition{Question: "x", Op: catalog.OpOnOrAfter, Date: catalog.DateRef{Base: catalog.BaseToday, Offset: 14, Unit: catalog.UnitDays}}, ""},
		{"x on or before event-1 month", catalog.Condition{Question: "x", Op: catalog.OpOnOrBefore, Date: catalog.DateRef{Base: catalog.BaseEvent, Offset: -1, Unit: catalog.UnitMonths}}, "x on or before event - 1 month"},
		{"x after event +1 days", catalog.Condition{Question: "x", Op: catalog.OpAfter, Date: catalog.DateRef{Base: catalog.BaseEvent, Offset: 1, Unit: catalog.UnitDays}}, "x after event + 1 day"},
		{"x after event + 0 months", catalog.Condition{Question: "x", Op: catalog.OpAfter, Date: catalog.DateRef{Base: catalog.BaseEvent}}, "x after event"},
	}
	for _, tt := range tests {
		got, err := catalog.ParseCondition(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseCondition(%q): got %+v, %v; want %+v", tt.in, got, err, tt.want)
			continue
		}
		canon := tt.canon
		if canon == "" {
			canon = tt.in
		}
		if s := got.String(); s != canon {
			t.Errorf("String of %q: got %q, want %q", tt.in, s, canon)
		}
	}
	bad := []struct{ in, msg string }{
		{"", "not a condition"},
		{"x", "not a condition"},
		{"x is", "after \"is\""},
		{"x is maybe", "not \"maybe\""},
		{"x is not missing", "after \"is\""},
		{"x equals 3", "not a condition"},
		{"x before", "say what date"},
		{"x before tomorrow", "event or today"},
		{"x before 2022-01-01", "not a date to compare with"},
		{"x before event - 6 weeks", `"weeks" is not a unit`},
		{"x before event - six months", "not a date to compare with"},
		{"x before event - 6", "not a date to compare with"},
		{"x on before event", "not a condition"},
	}
	for _, tt := range bad {
		_, err := catalog.ParseCondition(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParseCondition(%q): got %v, want an error containing %q", tt.in, err, tt.msg)
		}
	}
}
