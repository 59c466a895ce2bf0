package catalog_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database/dbtest"
)

var ctx = context.Background()

func clock(h, m int) catalog.Clock { return catalog.Clock{Minutes: h*60 + m, Valid: true} }

func TestSaveAndLoad(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	s := catalog.NewStore(db, catalog.Hooks{})
	now := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	c := catalogtest.NewCourse(now)
	c.Questions = []catalog.Question{{Key: "training_completed", Label: "When did you finish?", Kind: catalog.DateAnswer, Help: "Roughly is fine"}}
	c.Topics = []string{"DIT", "Psychotherapy"}
	res, err := s.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(now))
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Created || !reflect.DeepEqual(res[0].EventsAdded, []string{"first"}) {
		t.Fatalf("first save: got %+v, want created with event first", res[0])
	}
	if c.ID == 0 || c.Events[0].ID == 0 || c.Events[0].Version != 1 {
		t.Fatalf("IDs not set: course %d, event %d, version %d", c.ID, c.Events[0].ID, c.Events[0].Version)
	}
	got, err := s.CourseBySlug(ctx, c.Slug)
	if err != nil {
		t.Fatal(err)
	}
	// Stored times come back in UTC; compare instants, then the rest.
	if !got.UpdatedAt.Equal(now) || !got.Events[0].StartsAt.Equal(c.Events[0].StartsAt) {
		t.Fatalf("times: got updated %v start %v, want %v and %v", got.UpdatedAt, got.Events[0].StartsAt, now, c.Events[0].StartsAt)
	}
	got.CreatedAt, got.UpdatedAt = c.CreatedAt, c.UpdatedAt
	for i := range got.Events {
		got.Events[i].CreatedAt, got.Events[i].UpdatedAt = c.Events[i].CreatedAt, c.Events[i].UpdatedAt
		got.Events[i].StartsAt, got.Events[i].EndsAt = c.Events[i].StartsAt, c.Events[i].EndsAt
	}
	if !reflect.DeepEqual(got, c) {
		t.Fatalf("loaded course differs from saved:\n got %+v\nwant %+v", got, c)
	}
}

func TestSaveAgainChangesNothing(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	s := catalog.NewStore(db, catalog.Hooks{})
	t0 := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	c := catalogtest.NewCourse(t0)
	if _, err := s.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	again := catalogtest.NewCourse(t0)
	res, err := s.Save(ctx, []*catalog.Course{&again}, catalogtest.Options(t0.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Changed || res[0].Created || len(res[0].EventsUnchanged) != 1 {
		t.Fatalf("second identical save: got %+v, want nothing changed", res[0])
	}
	got, _ := s.CourseBySlug(ctx, c.Slug)
	if !got.UpdatedAt.Equal(t0) || got.Events[0].Version != 1 {
		t.Fatalf("after identical save: updated %v version %d, want %v and 1", got.UpdatedAt, got.Events[0].Version, t0)
	}
}

func TestSaveEventChanges(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		change      func(e *catalog.Event)
		wantVersion int
		wantFields  []catalog.Field
		wantStatus  catalog.EventStatus
	}{
		{"capacity only", func(e *catalog.Event) { e.Capacity = 40 }, 1, nil, catalog.Scheduled},
		{"moved a day", func(e *catalog.Event) { e.Days[0].Date = e.Days[0].Date.AddDays(1) }, 2, []catalog.Field{catalog.FieldDays}, catalog.Changed},
		{"later start", func(e *catalog.Event) { e.Days[0].Start = clock(11, 0) }, 2, []catalog.Field{catalog.FieldDayTimes}, catalog.Changed},
		{"new link", func(e *catalog.Event) { e.Meeting.JoinURL = "https://zoom.example/j/999" }, 2, []catalog.Field{catalog.FieldMeetingURL}, catalog.Scheduled},
		{"in person", func(e *catalog.Event) { e.Format = catalog.InPerson; e.Venue.Name = "Hall" }, 2, []catalog.Field{catalog.FieldFormat, catalog.FieldVenueName}, catalog.Changed},
		{"cancelled", func(e *catalog.Event) { e.Status = catalog.Cancelled }, 2, []catalog.Field{catalog.FieldStatus}, catalog.Cancelled},
		{"agenda", func(e *catalog.Event) { e.Days[0].Agenda[1].Title = "Other teaching" }, 2, []catalog.Field{catalog.FieldAgenda}, catalog.Changed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := dbtest.New(t)
			s := catalog.NewStore(db, catalog.Hooks{})
			c := catalogtest.NewCourse(t0)
			if _, err := s.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(t0)); err != nil {
				t.Fatal(err)
			}
			next := catalogtest.NewCourse(t0)
			tt.change(&next.Events[0])
			res, err := s.Save(ctx, []*catalog.Course{&next}, catalogtest.Options(t0.Add(time.Hour)))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := s.CourseBySlug(ctx, c.Slug)
			e := got.Events[0]
			if e.Version != tt.wantVersion || e.Status != tt.wantStatus {
				t.Errorf("got version %d status %s, want %d %s", e.Version, e.Status, tt.wantVersion, tt.wantStatus)
			}
			var fields []catalog.Field
			for _, ch := range res[0].EventsChanged {
				for _, f := range ch.Changes {
					fields = append(fields, f.Field)
					if f.Private != (f.Field == catalog.FieldMeetingURL) {
						t.Errorf("%s: Private %v", f.Field, f.Private)
					}
				}
			}
			if !reflect.DeepEqual(fields, tt.wantFields) {
				t.Errorf("changed fields: got %v, want %v", fields, tt.wantFields)
			}
			if !got.UpdatedAt.Equal(t0.Add(time.Hour)) {
				t.Errorf("course updated_at: got %v, want the second save's time", got.UpdatedAt)
			}
		})
	}
}

func TestSaveKeepsEventsMissingFromCourse(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	s := catalog.NewStore(db, catalog.Hooks{})
	t0 := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	c := catalogtest.NewCourse(t0)
	if _, err := s.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	next := catalogtest.NewCourse(t0)
	next.Events = nil
	res, err := s.Save(ctx, []*catalog.Course{&next}, catalogtest.Options(t0))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res[0].EventsKept, []string{"first"}) {
		t.Fatalf("EventsKept: got %v, want [first]", res[0].EventsKept)
	}
	got, _ := s.CourseBySlug(ctx, c.Slug)
	if len(got.Events) != 1 {
		t.Fatalf("events after save without them: got %d, want 1", len(got.Events))
	}
}

func TestSaveInvalidWritesNothing(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	s := catalog.NewStore(db, catalog.Hooks{})
	c := catalogtest.NewCourse(time.Now())
	c.Events[0].Days[0].End = clock(9, 0)
	c.Fees[0].Currency = "pounds"
	_, err := s.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(time.Now()))
	var verr catalog.ValidationError
	if !errors.As(err, &verr) || len(verr) != 2 {
		t.Fatalf("got %v, want a ValidationError with 2 problems", err)
	}
	if n, _ := s.CountCourses(ctx); n != 0 {
		t.Fatalf("courses after a failed save: %d, want 0", n)
	}
}

func TestListings(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	s := catalog.NewStore(db, catalog.Hooks{})
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	save := func(slug, title string, days int, format catalog.Format, status catalog.Status, topics ...string) {
		t.Helper()
		c := catalogtest.NewCourse(now)
		c.Slug, c.Title, c.Status, c.Topics = slug, title, status, topics
		c.Events[0].Days[0].Date = catalog.DateOf(now.AddDate(0, 0, days))
		c.Events[0].Format = format
		if format != catalog.Online {
			c.Events[0].Venue.Name = "Hall"
		}
		if _, err := s.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(now)); err != nil {
			t.Fatal(err)
		}
	}
	save("later", "Later", 30, catalog.Online, catalog.Published, "DIT")
	save("sooner", "Sooner", 10, catalog.InPerson, catalog.Published, "Supervision")
	save("past-b", "B past", -10, catalog.Online, catalog.Published, "DIT")
	save("past-a", "A past", -20, catalog.Hybrid, catalog.Published)
	save("draft", "Draft", 5, catalog.Online, catalog.Draft, "DIT")

	slugs := func(f catalog.Filter) []string {
		t.Helper()
		ls, err := s.Listings(ctx, f, now)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, l := range ls {
			out = append(out, l.Course.Slug)
		}
		return out
	}
	tests := []struct {
		name   string
		filter catalog.Filter
		want   []string
	}{
		{"all published, upcoming first", catalog.Filter{}, []string{"sooner", "later", "past-a", "past-b"}},
		{"topic any case", catalog.Filter{Topic: "dit"}, []string{"later", "past-b"}},
		{"online upcoming", catalog.Filter{Format: catalog.Online}, []string{"later"}},
		{"in person upcoming", catalog.Filter{Format: catalog.InPerson}, []string{"sooner"}},
		{"unknown topic", catalog.Filter{Topic: "nope"}, nil},
		{"drafts too", catalog.Filter{Drafts: true, Topic: "DIT"}, []string{"draft", "later", "past-b"}},
	}
	for _, tt := range tests {
		if got := slugs(tt.filter); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
	topics, err := s.Topics(ctx)
	if err != nil || !reflect.DeepEqual(topics, []string{"DIT", "Supervision"}) {
		t.Errorf("Topics: got %v, %v; want [DIT Supervision]", topics, err)
	}
}

func TestEventByID(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	s := catalog.NewStore(db, catalog.Hooks{})
	c := catalogtest.Course(t, db, nil)
	gotC, gotE, err := s.Event(ctx, c.Events[0].ID)
	if err != nil || gotC.Slug != c.Slug || gotE.Ref != "first" {
		t.Fatalf("Event: got %q %q %v, want %q first", gotC.Slug, gotE.Ref, err, c.Slug)
	}
	if _, _, err := s.Event(ctx, c.Events[0].ID+100); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("unknown event: got %v, want ErrNotFound", err)
	}
	if _, err := s.CourseBySlug(ctx, "nope"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("unknown slug: got %v, want ErrNotFound", err)
	}
}

// withBookingRules gives a test course booking settings, cancellation terms
// and the DIT refresher's questions and rules.
func withBookingRules(t *testing.T, c *catalog.Course) {
	t.Helper()
	c.Waitlist, c.OfferHoldHours, c.BookingClosesHours = true, 48, 24
	c.CancellationTerms = "Full refund up to **14 days** before."
	c.Questions = []catalog.Question{
		{Key: "training_completed", Label: "When did you finish?", Kind: catalog.DateAnswer},
		{Key: "supervised_practice_started", Label: "When did you start?", Kind: catalog.DateAnswer},
		{Key: "nhs", Label: "NHS?", Kind: catalog.YesNo},
	}
	c.Rules = append(ditRules(t), catalog.Rule{
		Conditions: []catalog.Condition{cond(t, "nhs is no"), cond(t, "training_completed on or after today - 14 days")},
		Outcome:    catalog.Review,
	})
}

func TestSaveAndLoadBookingRules(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	s := catalog.NewStore(db, catalog.Hooks{})
	now := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	c := catalogtest.NewCourse(now)
	withBookingRules(t, &c)
	// A second course with other rules, loaded in the same queries.
	other := catalogtest.NewCourse(now)
	other.Slug = "other"
	other.Questions = []catalog.Question{{Key: "role", Label: "Role", Kind: catalog.TextAnswer}}
	other.Rules = []catalog.Rule{{Conditions: []catalog.Condition{cond(t, "role is missing")}, Outcome: catalog.Refuse, Message: "Say your role."}}
	if _, err := s.Save(ctx, []*catalog.Course{&other, &c}, catalog.SaveOptions{Actor: catalogtest.Actor, Now: now}); err != nil {
		t.Fatal(err)
	}
	ls, err := s.Listings(ctx, catalog.Filter{Drafts: true}, now)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]catalog.Course{}
	for _, l := range ls {
		got[l.Course.Slug] = l.Course
	}
	for _, want := range []catalog.Course{c, other} {
		g := got[want.Slug]
		if g.Waitlist != want.Waitlist || g.OfferHoldHours != want.OfferHoldHours || g.BookingClosesHours != want.BookingClosesHours ||
			g.CancellationTerms != want.CancellationTerms {
			t.Errorf("%s: got settings %v %d %d %q, want %v %d %d %q", want.Slug, g.Waitlist, g.OfferHoldHours, g.BookingClosesHours,
				g.CancellationTerms, want.Waitlist, want.OfferHoldHours, want.BookingClosesHours, want.CancellationTerms)
		}
		if !reflect.DeepEqual(g.Rules, want.Rules) {
			t.Errorf("%s: got rules %+v, want %+v", want.Slug, g.Rules, want.Rules)
		}
	}

	again := catalogtest.NewCourse(now)
	withBookingRules(t, &again)
	res, err := s.Save(ctx, []*catalog.Course{&again}, catalogtest.Options(now.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Changed {
		t.Errorf("saving the same rules again: got %+v, want nothing changed", res[0])
	}
}

func TestSaveBookingRuleChanges(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		change func(c *catalog.Course)
	}{
		{"waitlist off", func(c *catalog.Course) { c.Waitlist = false }},
		{"offer hold", func(c *catalog.Course) { c.OfferHoldHours = 24 }},
		{"closes", func(c *catalog.Course) { c.BookingClosesHours = 0 }},
		{"cancellation terms", func(c *catalog.Course) { c.CancellationTerms = "No refunds." }},
		{"rule message", func(c *catalog.Course) { c.Rules[0].Message = "Only for DIT practitioners." }},
		{"rule outcome", func(c *catalog.Course) { c.Rules[2].Outcome = catalog.Refuse; c.Rules[2].Message = "No." }},
		{"condition offset", func(c *catalog.Course) { c.Rules[1].Conditions[0].Date.Offset = -12 }},
		{"condition removed", func(c *catalog.Course) { c.Rules[1].Conditions = c.Rules[1].Conditions[:1] }},
		{"rules reordered", func(c *catalog.Course) { c.Rules[0], c.Rules[1] = c.Rules[1], c.Rules[0] }},
		{"rules removed", func(c *catalog.Course) { c.Rules = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := dbtest.New(t)
			s := catalog.NewStore(db, catalog.Hooks{})
			c := catalogtest.NewCourse(t0)
			withBookingRules(t, &c)
			if _, err := s.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(t0)); err != nil {
				t.Fatal(err)
			}
			next := catalogtest.NewCourse(t0)
			withBookingRules(t, &next)
			tt.change(&next)
			res, err := s.Save(ctx, []*catalog.Course{&next}, catalogtest.Options(t0.Add(time.Hour)))
			if err != nil {
				t.Fatal(err)
			}
			if !res[0].Changed || len(res[0].EventsChanged) != 0 {
				t.Errorf("got %+v, want the course changed and no event changed", res[0])
			}
			got, err := s.CourseBySlug(ctx, next.Slug)
			if err != nil {
				t.Fatal(err)
			}
			if !got.UpdatedAt.Equal(t0.Add(time.Hour)) {
				t.Errorf("updated_at: got %v, want the second save's time", got.UpdatedAt)
			}
			if got.Waitlist != next.Waitlist || got.OfferHoldHours != next.OfferHoldHours ||
				got.BookingClosesHours != next.BookingClosesHours || got.CancellationTerms != next.CancellationTerms {
				t.Errorf("settings: got %+v, want %+v", got, next)
			}
			if !reflect.DeepEqual(got.Rules, next.Rules) {
				t.Errorf("rules: got %+v, want %+v", got.Rules, next.Rules)
			}
		})
	}
}

// TestLoadMarksQuestionsARefuseRuleNeeds: a course stored before a refuse
// rule made its question required (required = false in the table) still
// loads with the question required, so the form never calls it optional.
func TestLoadMarksQuestionsARefuseRuleNeeds(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	s := catalog.NewStore(db, catalog.Hooks{})
	now := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	c := catalogtest.NewCourse(now)
	c.Questions = []catalog.Question{
		{Key: "training_completed", Label: "When did you finish?", Kind: catalog.DateAnswer},
		{Key: "supervisor", Label: "Your supervisor (optional)", Kind: catalog.TextAnswer},
	}
	c.Rules = []catalog.Rule{{Outcome: catalog.Refuse, Message: "This course is for people who finished the training.",
		Conditions: []catalog.Condition{{Question: "training_completed", Op: catalog.OpMissing}}}}
	if _, err := s.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(now)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE eligibility_questions SET required = $1 WHERE course_id = $2`, false, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE courses SET version = version + 1 WHERE id = $1`, c.ID); err != nil {
		t.Fatal(err)
	}
	got, err := s.CourseBySlug(ctx, c.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Questions[0].Required || got.Questions[1].Required {
		t.Fatalf("required flags: got %v, %v; want true (a refuse rule needs it), false",
			got.Questions[0].Required, got.Questions[1].Required)
	}
}

// TestSaveCompletionRule stores the course's completion rule, and a
// change to it alone is a change of the course.
func TestSaveCompletionRule(t *testing.T) {
	db := dbtest.New(t)
	c := catalogtest.Course(t, db, func(c *catalog.Course) { c.CompletionPercent = 80 })
	store := catalog.NewStore(db, catalog.Hooks{})
	got, err := store.CourseBySlug(ctx, c.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if got.CompletionPercent != 80 {
		t.Fatalf("got %d per cent, want 80", got.CompletionPercent)
	}
	got.CompletionPercent = 0
	res, err := store.Save(ctx, []*catalog.Course{&got}, catalogtest.Options(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Changed {
		t.Error("changing only the completion rule was not a change")
	}
	if again, _ := store.CourseBySlug(ctx, c.Slug); again.CompletionPercent != 0 {
		t.Errorf("got %d per cent after the change, want 0 (every day)", again.CompletionPercent)
	}
}

// TestSaveFeedbackURL stores the course's feedback link, and a change to
// it alone is a change of the course.
func TestSaveFeedbackURL(t *testing.T) {
	db := dbtest.New(t)
	const link = "https://forms.example.org/feedback?course=dit&src=mail#top"
	c := catalogtest.Course(t, db, func(c *catalog.Course) { c.FeedbackURL = link })
	store := catalog.NewStore(db, catalog.Hooks{})
	got, err := store.CourseBySlug(ctx, c.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if got.FeedbackURL != link {
		t.Fatalf("got feedback link %q, want %q", got.FeedbackURL, link)
	}
	got.FeedbackURL = ""
	res, err := store.Save(ctx, []*catalog.Course{&got}, catalogtest.Options(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Changed {
		t.Error("changing only the feedback link was not a change")
	}
	if again, _ := store.CourseBySlug(ctx, c.Slug); again.FeedbackURL != "" {
		t.Errorf("got %q after removing it, want none", again.FeedbackURL)
	}
}

// TestOneCourseReadsAsMany: a course read alone (CourseBySlug, CourseByID,
// Event: its children by its ID, through prepared statements) is the same
// as when read among others (Listings: its children through a sub-query),
// and the same again read in a transaction (no prepared statements).
func TestOneCourseReadsAsMany(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	s := catalog.NewStore(db, catalog.Hooks{})
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, slug := range []string{"one", "two"} {
		c := catalogtest.NewCourse(now)
		c.Slug = slug
		c.Questions = []catalog.Question{{Key: "y", Label: "Y", Kind: catalog.YesNo}}
		c.Rules = []catalog.Rule{{Conditions: []catalog.Condition{{Question: "y", Op: catalog.OpYes}}, Outcome: catalog.Review}}
		if _, err := s.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(now)); err != nil {
			t.Fatal(err)
		}
	}
	ls, err := s.Listings(ctx, catalog.Filter{Drafts: true}, now)
	if err != nil || len(ls) != 2 {
		t.Fatalf("listings: %d, %v", len(ls), err)
	}
	for _, l := range ls {
		want := l.Course
		if len(want.Events) == 0 || len(want.Events[0].Days) == 0 || len(want.Events[0].Days[0].Agenda) == 0 ||
			len(want.Topics) == 0 || len(want.Fees) == 0 || len(want.Questions) == 0 || len(want.Rules) == 0 {
			t.Fatalf("%s: the fixture should hold events, days, agenda, topics, fees, questions and rules: %+v", want.Slug, want)
		}
		for i := 0; i < 2; i++ { // the second read reuses the prepared statements
			bySlug, err := s.CourseBySlug(ctx, want.Slug)
			if err != nil || !reflect.DeepEqual(bySlug, want) {
				t.Fatalf("CourseBySlug(%s) = %+v, %v;\nwant %+v", want.Slug, bySlug, err, want)
			}
			byID, err := s.CourseByID(ctx, want.ID)
			if err != nil || !reflect.DeepEqual(byID, want) {
				t.Fatalf("CourseByID(%d) differs: %v", want.ID, err)
			}
			c, e, err := s.Event(ctx, want.Events[0].ID)
			if err != nil || !reflect.DeepEqual(c, want) || !reflect.DeepEqual(e, want.Events[0]) {
				t.Fatalf("Event(%d) differs: %v", want.Events[0].ID, err)
			}
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		inTx, err := s.WithTx(tx).CourseBySlug(ctx, want.Slug)
		tx.Rollback()
		if err != nil || !reflect.DeepEqual(inTx, want) {
			t.Fatalf("CourseBySlug in a transaction differs: %v", err)
		}
	}
}
