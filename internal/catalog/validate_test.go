package catalog_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name     string
		change   func(c *catalog.Course)
		wantPath string // "" for a valid course
	}{
		{"valid", func(c *catalog.Course) {}, ""},
		{"slug with spaces", func(c *catalog.Course) { c.Slug = "dit refresher" }, "slug"},
		{"title on two lines", func(c *catalog.Course) { c.Title = "DIT\nrefresher" }, "title"},
		{"repeated fee name", func(c *catalog.Course) {
			c.Fees = append(c.Fees, catalog.FeeTier{Name: "standard", Amount: 1, Currency: "GBP"})
		}, "fees[1].name"},
		{"negative fee", func(c *catalog.Course) { c.Fees[0].Amount = -1 }, "fees[0].amount"},
		{"unknown zone", func(c *catalog.Course) { c.Events[0].TimeZone = "Europe/Atlantis" }, "events[0].time_zone"},
		{"in person without venue", func(c *catalog.Course) { c.Events[0].Format = catalog.InPerson }, "events[0].venue.name"},
		{"plain http join link", func(c *catalog.Course) { c.Events[0].Meeting.JoinURL = "http://zoom.example/j/1" }, "events[0].meeting.join_url"},
		{"day ends before it starts", func(c *catalog.Course) { c.Events[0].Days[0].End = c.Events[0].Days[0].Start }, "events[0].days[0].time"},
		{"agenda out of order", func(c *catalog.Course) {
			a := c.Events[0].Days[0].Agenda
			a[0], a[1] = a[1], a[0]
		}, "events[0].days[0].agenda[1]"},
		{"repeated question key", func(c *catalog.Course) {
			q := catalog.Question{Key: "role", Label: "Role", Kind: catalog.TextAnswer}
			c.Questions = []catalog.Question{q, q}
		}, "questions[1].key"},
		{"repeated ref", func(c *catalog.Course) { c.Events = append(c.Events, c.Events[0]) }, "events[1].ref"},
		{"offer hold over a week", func(c *catalog.Course) { c.OfferHoldHours = 169 }, "booking.offer_hold_hours"},
		{"negative offer hold", func(c *catalog.Course) { c.OfferHoldHours = -1 }, "booking.offer_hold_hours"},
		{"bookings close too early", func(c *catalog.Course) { c.BookingClosesHours = 721 }, "booking.closes_hours_before"},
		{"long cancellation terms", func(c *catalog.Course) { c.CancellationTerms = strings.Repeat("x", 20001) }, "cancellation_terms"},
		{"valid rules", withRules(catalog.Rule{Outcome: catalog.Review, Conditions: []catalog.Condition{
			{Question: "started", Op: catalog.OpOnOrAfter, Date: catalog.DateRef{Base: catalog.BaseToday, Offset: -120, Unit: catalog.UnitMonths}},
			{Question: "nhs", Op: catalog.OpNo}, {Question: "role", Op: catalog.OpPresent},
		}}), ""},
		{"rule on unknown question", withRules(catalog.Rule{Outcome: catalog.Review, Conditions: []catalog.Condition{
			{Question: "nhs", Op: catalog.OpYes}, {Question: "nope", Op: catalog.OpMissing},
		}}), "rules[0].if[1]"},
		{"date comparison on a yes_no question", withRules(catalog.Rule{Outcome: catalog.Review, Conditions: []catalog.Condition{
			{Question: "nhs", Op: catalog.OpBefore, Date: catalog.DateRef{Base: catalog.BaseEvent}},
		}}), "rules[0].if[0]"},
		{"yes on a text question", withRules(catalog.Rule{Outcome: catalog.Review, Conditions: []catalog.Condition{{Question: "role", Op: catalog.OpYes}}}), "rules[0].if[0]"},
		{"no on a date question", withRules(catalog.Rule{Outcome: catalog.Review, Conditions: []catalog.Condition{{Question: "started", Op: catalog.OpNo}}}), "rules[0].if[0]"},
		{"offset too large", withRules(catalog.Rule{Outcome: catalog.Review, Conditions: []catalog.Condition{
			{Question: "started", Op: catalog.OpAfter, Date: catalog.DateRef{Base: catalog.BaseEvent, Offset: 121, Unit: catalog.UnitMonths}},
		}}), "rules[0].if[0]"},
		{"offset in weeks", withRules(catalog.Rule{Outcome: catalog.Review, Conditions: []catalog.Condition{
			{Question: "started", Op: catalog.OpAfter, Date: catalog.DateRef{Base: catalog.BaseEvent, Offset: 2, Unit: "weeks"}},
		}}), "rules[0].if[0]"},
		{"comparison without a base", withRules(catalog.Rule{Outcome: catalog.Review, Conditions: []catalog.Condition{
			{Question: "started", Op: catalog.OpAfter},
		}}), "rules[0].if[0]"},
		{"unknown operator", withRules(catalog.Rule{Outcome: catalog.Review, Conditions: []catalog.Condition{{Question: "role", Op: "contains"}}}), "rules[0].if[0]"},
		{"refuse without a message", withRules(catalog.Rule{Outcome: catalog.Refuse, Message: " ", Conditions: []catalog.Condition{{Question: "nhs", Op: catalog.OpNo}}}), "rules[0].message"},
		{"accept without a note", withRules(catalog.Rule{Outcome: catalog.Accept, Conditions: []catalog.Condition{{Question: "nhs", Op: catalog.OpNo}}}), "rules[0].note"},
		{"unknown outcome", withRules(catalog.Rule{Outcome: "maybe", Message: "x", Conditions: []catalog.Condition{{Question: "nhs", Op: catalog.OpNo}}}), "rules[0].then"},
		{"rule without conditions", withRules(catalog.Rule{Outcome: catalog.Refuse, Message: "No."}), "rules[0].if"},
	}
	for _, tt := range tests {
		c := catalogtest.NewCourse(time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC))
		tt.change(&c)
		err := c.Validate()
		if tt.wantPath == "" {
			if err != nil {
				t.Errorf("%s: got %v, want valid", tt.name, err)
			}
			continue
		}
		var v catalog.ValidationError
		if !errors.As(err, &v) {
			t.Errorf("%s: got %v, want a ValidationError", tt.name, err)
			continue
		}
		found := false
		for _, fe := range v {
			found = found || fe.Path == tt.wantPath
		}
		if !found {
			t.Errorf("%s: got %v, want a problem at %s", tt.name, err, tt.wantPath)
		}
		if !strings.HasPrefix(err.Error(), "catalog: invalid course: ") {
			t.Errorf("%s: message %q lacks the package prefix", tt.name, err)
		}
	}
}

// withRules gives the course a question of each kind and the rules.
func withRules(rules ...catalog.Rule) func(c *catalog.Course) {
	return func(c *catalog.Course) {
		c.Questions = []catalog.Question{
			{Key: "role", Label: "Role", Kind: catalog.TextAnswer},
			{Key: "started", Label: "Started", Kind: catalog.DateAnswer},
			{Key: "nhs", Label: "NHS?", Kind: catalog.YesNo},
		}
		c.Rules = rules
	}
}
