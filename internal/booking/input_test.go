package booking_test

import (
	"errors"
	"strings"
	"testing"

	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/database/dbtest"
)

// withQuestions gives the course a date, a text and a yes/no question, and
// the demo's rule that refuses a booking without a training date.
func withQuestions(c *catalog.Course) {
	c.Questions = []catalog.Question{
		{Key: "training_completed", Label: "When did you complete the training?", Kind: catalog.DateAnswer},
		{Key: "setting", Label: "Where do you practise?", Kind: catalog.TextAnswer},
		{Key: "nhs", Label: "Do you work in the NHS?", Kind: catalog.YesNo},
	}
	c.Rules = []catalog.Rule{{Outcome: catalog.Refuse, Message: "This course is for people who have completed the training.",
		Conditions: []catalog.Condition{{Question: "training_completed", Op: catalog.OpMissing}}}}
}

func (f *fixture) answered(name string) booking.Request {
	r := f.request(name)
	r.Answers = map[string]string{"training_completed": "2021-09-30", "setting": "NHS trust", "nhs": "yes"}
	return r
}

// TestBookRefusesHostileInput sends hostile and impossible input through
// booking.Service: each gets a message at its own field, and nothing is
// stored, on SQLite and on PostgreSQL alike (a NUL used to be stored by
// one and fail with a 500 on the other).
func TestBookRefusesHostileInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 5, withQuestions)
	last := f.event.Days[len(f.event.Days)-1].Date
	tests := []struct {
		name  string
		edit  func(r *booking.Request)
		field string
		msg   string
	}{
		{"NUL in the name", func(r *booking.Request) { r.Name = "Ann\x00Archer" }, "name", "control character"},
		{"escape sequence in the name", func(r *booking.Request) { r.Name = "\x1b[2J\x1b[31mAnn" }, "name", "control character"},
		{"C1 CSI in the role", func(r *booking.Request) { r.Role = "GP\u009b2J" }, "role", "control character"},
		{"tab in the organisation", func(r *booking.Request) { r.Organisation = "North\tClinic" }, "organisation", "control character"},
		{"line break in the name", func(r *booking.Request) { r.Name = "Ann\r\nBcc: x@example.org" }, "name", "on one line"},
		{"line separator in the name", func(r *booking.Request) { r.Name = "Ann\u2028Archer" }, "name", "on one line"},
		{"direction override in the name", func(r *booking.Request) { r.Name = "Ann \u202egpj.exe" }, "name", "invisible character"},
		{"zero-width spaces for a name", func(r *booking.Request) { r.Name = "\u200b\u200b" }, "name", "invisible character"},
		{"a name of Hangul fillers", func(r *booking.Request) { r.Name = "\u3164\u3164" }, "name", "at least one letter"},
		{"a name of punctuation", func(r *booking.Request) { r.Name = "..." }, "name", "at least one letter"},
		{"an organisation of braille blanks", func(r *booking.Request) { r.Organisation = "\u2800\u2800" }, "organisation", "at least one letter"},
		{"a registration number of fillers", func(r *booking.Request) { r.RegistrationNumber = "\u3164" }, "registration_number", "letters or digits"},
		{"NUL in the purchase order", func(r *booking.Request) { r.PONumber = "PO\x00" }, "po_number", "control character"},
		{"NUL in access needs", func(r *booking.Request) { r.AccessNeeds = "Captions\x00" }, "access_needs", "control character"},
		{"escape in access needs", func(r *booking.Request) { r.AccessNeeds = "Captions\n\x1b]0;title\x07" }, "access_needs", "control character"},
		{"lone carriage return in access needs", func(r *booking.Request) { r.AccessNeeds = "Captions\rRamp" }, "access_needs", "control character"},
		{"override in access needs", func(r *booking.Request) { r.AccessNeeds = "Ramp \u2066please\u2069" }, "access_needs", "invisible character"},
		{"NUL in a text answer", func(r *booking.Request) { r.Answers["setting"] = "NHS\x00" }, "answer_setting", "control character"},
		{"line break in a text answer", func(r *booking.Request) { r.Answers["setting"] = "NHS\ntrust" }, "answer_setting", "on one line"},
		{"NUL in a yes/no answer", func(r *booking.Request) { r.Answers["nhs"] = "yes\x00" }, "answer_nhs", "control character"},
		{"year 9999", func(r *booking.Request) { r.Answers["training_completed"] = "9999-01-01" }, "answer_training_completed", "after the course ends"},
		{"the day after the course", func(r *booking.Request) { r.Answers["training_completed"] = last.AddDays(1).String() }, "answer_training_completed", "after the course ends"},
		{"before 1900", func(r *booking.Request) { r.Answers["training_completed"] = "1899-12-31" }, "answer_training_completed", "from 1 January 1900"},
		{"year 0001", func(r *booking.Request) { r.Answers["training_completed"] = "0001-01-01" }, "answer_training_completed", "from 1 January 1900"},
		{"30 February", func(r *booking.Request) { r.Answers["training_completed"] = "2021-02-30" }, "answer_training_completed", "Enter a date"},
		{"NUL in a date", func(r *booking.Request) { r.Answers["training_completed"] = "2021-09-30\x00" }, "answer_training_completed", "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := f.answered("Ann Archer")
			tt.edit(&req)
			_, err := f.svc.Book(ctx, req, participant)
			var ferr booking.FormError
			if !errors.As(err, &ferr) {
				t.Fatalf("got %v, want a FormError", err)
			}
			if !strings.Contains(ferr[tt.field], tt.msg) {
				t.Errorf("got %v, want %s: …%s…", ferr, tt.field, tt.msg)
			}
		})
	}
	if list, err := f.svc.List(ctx, f.event.ID); err != nil || len(list) != 0 {
		t.Fatalf("after refused input: %d bookings stored (%v), want none", len(list), err)
	}
	// The last day itself is a date that can be true.
	req := f.answered("Ann Archer")
	req.Answers["training_completed"] = last.String()
	if _, err := f.svc.Book(ctx, req, participant); err != nil {
		t.Fatalf("a date on the course's last day: %v", err)
	}
}

// TestBookKeepsNamesAsTyped books with a display name that an address
// header cannot carry as it is, and others only a strict check would
// refuse: each is stored exactly as typed and named on its e-mail.
func TestBookKeepsNamesAsTyped(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 10, withQuestions)
	for i, name := range []string{
		`Zoë "Z" O'Neil, MSc <test>`,
		"محمد\u200cعلی", // Persian with a zero-width non-joiner
		"Siobhán Ní Bhriain",
		"李小龍",
	} {
		req := f.answered(name)
		req.Email = strings.Repeat("a", i+1) + "@example.org"
		req.AccessNeeds = "Captions, please.\r\n\tAnd a ramp."
		res, err := f.svc.Book(ctx, req, participant)
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		m, err := f.svc.ByToken(ctx, res.Token)
		if err != nil {
			t.Fatal(err)
		}
		if m.Booking.Name != name || m.Booking.AccessNeeds != "Captions, please.\n\tAnd a ramp." {
			t.Errorf("stored name %q, access needs %q; want %q as typed", m.Booking.Name, m.Booking.AccessNeeds, name)
		}
		f.out.mu.Lock()
		last := f.out.msgs[len(f.out.msgs)-1]
		f.out.mu.Unlock()
		if last.ToName != name || last.ToEmail != req.Email {
			t.Errorf("e-mail to %q <%s>, want %q", last.ToName, last.ToEmail, name)
		}
	}
}

// TestBlankAnswerARefuseRuleNeeds checks that a question a refuse rule
// needs is required (the form reads Question.Required) and that leaving it
// blank is an error beside it carrying the rule's message, not a refusal
// of the whole booking; and that a rule needing the answer only sometimes
// points at the question only then.
func TestBlankAnswerARefuseRuleNeeds(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	f := newFixture(t, db, 5, func(c *catalog.Course) {
		withQuestions(c)
		c.Questions = append(c.Questions, catalog.Question{Key: "pin", Label: "NMC PIN", Kind: catalog.TextAnswer})
		c.Rules = append(c.Rules, catalog.Rule{Outcome: catalog.Refuse, Message: "NHS nurses give their NMC PIN.",
			Conditions: []catalog.Condition{{Question: "nhs", Op: catalog.OpYes}, {Question: "pin", Op: catalog.OpMissing}}})
	})
	stored, err := catalog.NewStore(db, catalog.Hooks{}).CourseBySlug(ctx, f.course.Slug)
	if err != nil {
		t.Fatal(err)
	}
	required := map[string]bool{}
	for _, q := range stored.Questions {
		required[q.Key] = q.Required
	}
	if !required["training_completed"] || required["pin"] || required["setting"] {
		t.Errorf("stored questions' Required: got %v, want only training_completed", required)
	}

	req := f.answered("Ann Archer")
	delete(req.Answers, "training_completed")
	req.Answers["pin"] = "12A3456B"
	_, err = f.svc.Book(ctx, req, participant)
	var ferr booking.FormError
	if !errors.As(err, &ferr) || ferr["answer_training_completed"] != "This course is for people who have completed the training." {
		t.Fatalf("blank training date: got %v, want the rule's message beside answer_training_completed", err)
	}

	req = f.answered("Ann Archer")
	_, err = f.svc.Book(ctx, req, participant) // nhs yes, no PIN
	if !errors.As(err, &ferr) || ferr["answer_pin"] != "NHS nurses give their NMC PIN." || len(ferr) != 1 {
		t.Fatalf("NHS without a PIN: got %v, want the rule's message beside answer_pin", err)
	}
	req.Answers["nhs"] = "no"
	if _, err := f.svc.Book(ctx, req, participant); err != nil {
		t.Fatalf("not NHS, no PIN: got %v, want booked", err)
	}
}

// TestBlankAnswerOfACourseStoredBeforeTheRuleMadeItRequired checks the
// booking itself, not only the stored flag: a course whose question is
// not marked required still gets the error beside the question.
func TestBlankAnswerOfACourseStoredBeforeTheRuleMadeItRequired(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	f := newFixture(t, db, 5, withQuestions)
	if _, err := db.ExecContext(ctx, `UPDATE eligibility_questions SET required = $1`, false); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE courses SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	req := f.answered("Ann Archer")
	req.Answers["training_completed"] = "   "
	_, err := f.svc.Book(ctx, req, participant)
	var ferr booking.FormError
	if !errors.As(err, &ferr) || ferr["answer_training_completed"] != "This course is for people who have completed the training." {
		t.Fatalf("got %v, want the rule's message beside answer_training_completed", err)
	}
}

// TestRefusalForOtherReasonsIsNotAFieldError keeps whole-booking refusals
// for rules that do not test a blank answer.
func TestRefusalForOtherReasonsIsNotAFieldError(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 5, func(c *catalog.Course) {
		withQuestions(c)
		c.Rules = append(c.Rules, catalog.Rule{Outcome: catalog.Refuse, Message: "Your training is too recent.",
			Conditions: []catalog.Condition{{Question: "training_completed", Op: catalog.OpAfter, Date: catalog.DateRef{Base: catalog.BaseEvent, Offset: -1, Unit: catalog.UnitMonths}}}})
	})
	req := f.answered("Ann Archer")
	req.Answers["training_completed"] = f.event.Days[0].Date.String()
	_, err := f.svc.Book(ctx, req, participant)
	var refused *booking.RefusedError
	if !errors.As(err, &refused) || len(refused.Reasons) != 1 || refused.Reasons[0] != "Your training is too recent." {
		t.Fatalf("got %v, want a RefusedError with the rule's reason", err)
	}
}
