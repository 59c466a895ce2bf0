package catalog_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
)

func TestCheckText(t *testing.T) {
	tests := []struct {
		s         string
		multiLine bool
		want      catalog.TextFault
		r         rune
	}{
		{"Zoë \"Z\" O'Neil, MSc <test>", false, catalog.TextOK, 0},
		{"محمد\u200cعلی", false, catalog.TextOK, 0},   // the non-joiner shapes Persian
		{"👩\u200d⚕️ nurse", false, catalog.TextOK, 0}, // the joiner builds emoji
		{"line one\r\nline two\n\tindented", true, catalog.TextOK, 0},
		{"a\x00b", false, catalog.TextControl, 0},
		{"a\x00b", true, catalog.TextControl, 0},
		{"\x1b[31mred", false, catalog.TextControl, 0x1b},
		{"\u009b31mred", false, catalog.TextControl, 0x9b}, // the one-character CSI
		{"tab\there", false, catalog.TextControl, '\t'},
		{"over\rwrite", true, catalog.TextControl, '\r'},
		{"two\nlines", false, catalog.TextLineBreak, '\n'},
		{"two\u2028lines", false, catalog.TextLineBreak, '\u2028'},
		{"two\u2028lines", true, catalog.TextHidden, '\u2028'},
		{"invoice\u202efdp.exe", false, catalog.TextHidden, '\u202e'},
		{"\u2066isolate\u2069", false, catalog.TextHidden, '\u2066'},
		{"zero\u200bwidth", false, catalog.TextHidden, '\u200b'},
		{"soft\u00adhyphen", true, catalog.TextHidden, '\u00ad'},
		{"bad \xff byte", false, catalog.TextNotUTF8, 0},
	}
	for _, tt := range tests {
		f, r := catalog.CheckText(tt.s, tt.multiLine)
		if f != tt.want || (f != catalog.TextNotUTF8 && tt.r != 0 && r != tt.r) {
			t.Errorf("CheckText(%q, %v): got %d %U, want %d %U", tt.s, tt.multiLine, f, r, tt.want, tt.r)
		}
	}
}

func TestHasVisibleLetter(t *testing.T) {
	for s, want := range map[string]bool{
		"Ann":                      true,
		"李":                        true,
		"Zoë":                      true,
		"":                         false,
		"   ":                      false,
		"\u3164":                   false, // HANGUL FILLER, a "letter" that shows nothing
		"\u3164\u3164 \u115f":      false,
		"\u2800\u2800":             false, // braille blanks
		"42":                       false,
		"-- .":                     false,
		"\u200d\u200c\u00a0\u3000": false,
	} {
		if got := catalog.HasVisibleLetter(s); got != want {
			t.Errorf("HasVisibleLetter(%q): got %v, want %v", s, got, want)
		}
	}
	for s, want := range map[string]bool{"42": true, "~": true, "\u3164": false, "\u2800 \u00a0": false, "": false} {
		if got := catalog.HasVisible(s); got != want {
			t.Errorf("HasVisible(%q): got %v, want %v", s, got, want)
		}
	}
}

// TestValidateHostileText puts hostile text in every kind of text field
// of a course: each is refused at its own field, saying what is wrong.
func TestValidateHostileText(t *testing.T) {
	const nul, esc, rlo, filler = "\x00", "\x1b[2J", "\u202e", "\u3164"
	tests := []struct {
		name   string
		change func(c *catalog.Course)
		path   string
		msg    string
	}{
		{"NUL in title", func(c *catalog.Course) { c.Title = "A" + nul }, "title", "control character U+0000"},
		{"escape in title", func(c *catalog.Course) { c.Title = esc + "A" }, "title", "control character U+001B"},
		{"invisible title", func(c *catalog.Course) { c.Title = filler + filler }, "title", "nothing visible"},
		{"direction override in summary", func(c *catalog.Course) { c.Summary = "Fine " + rlo + "txet" }, "summary", "invisible character U+202E"},
		{"NUL in about", func(c *catalog.Course) { c.About = "Para.\n\nMore" + nul }, "about", "U+0000"},
		{"escape in cancellation terms", func(c *catalog.Course) { c.CancellationTerms = esc }, "cancellation_terms", "U+001B"},
		{"NUL in topic", func(c *catalog.Course) { c.Topics = []string{"DIT" + nul} }, "topics[0]", "U+0000"},
		{"fee name of zero-width spaces", func(c *catalog.Course) { c.Fees[0].Name = "\u200b\u200b" }, "fees[0].name", "U+200B"},
		{"question label with escape", func(c *catalog.Course) {
			c.Questions = []catalog.Question{{Key: "q", Label: "When?" + esc, Kind: catalog.DateAnswer}}
		}, "questions[0].label", "U+001B"},
		{"question help with NUL", func(c *catalog.Course) {
			c.Questions = []catalog.Question{{Key: "q", Label: "When?", Kind: catalog.DateAnswer, Help: "x" + nul}}
		}, "questions[0].help", "U+0000"},
		{"rule message with override", withRules(catalog.Rule{Outcome: catalog.Refuse, Message: "No" + rlo,
			Conditions: []catalog.Condition{{Question: "nhs", Op: catalog.OpNo}}}), "rules[0].message", "U+202E"},
		{"venue name with NUL", func(c *catalog.Course) {
			c.Events[0].Format, c.Events[0].Venue.Name = catalog.InPerson, "Hall"+nul
		}, "events[0].venue.name", "U+0000"},
		{"venue address with escape", func(c *catalog.Course) { c.Events[0].Venue.Address = "1 Road\n" + esc }, "events[0].venue.address", "U+001B"},
		{"directions with NUL", func(c *catalog.Course) { c.Events[0].Venue.Directions = nul }, "events[0].venue.directions", "U+0000"},
		{"passcode with NUL", func(c *catalog.Course) { c.Events[0].Meeting.Passcode = "x" + nul }, "events[0].meeting.passcode", "U+0000"},
		{"meeting ID on two lines", func(c *catalog.Course) { c.Events[0].Meeting.ID = "1\n2" }, "events[0].meeting.id", "one line"},
		{"join link with escape", func(c *catalog.Course) { c.Events[0].Meeting.JoinURL = "https://zoom.example/j/1" + esc }, "events[0].meeting.join_url", "U+001B"},
		{"agenda title with override", func(c *catalog.Course) { c.Events[0].Days[0].Agenda[1].Title = rlo + "Teaching" }, "events[0].days[0].agenda[1]", "U+202E"},
		{"invisible agenda title", func(c *catalog.Course) { c.Events[0].Days[0].Agenda[1].Title = filler }, "events[0].days[0].agenda[1]", "nothing visible"},
		{"agenda item after the day ends", func(c *catalog.Course) {
			c.Events[0].Days[0].Agenda = append(c.Events[0].Days[0].Agenda, catalog.AgendaItem{Kind: catalog.Plenary,
				Start: catalog.Clock{Minutes: 17*60 + 30, Valid: true}, Title: "Drinks"})
		}, "events[0].days[0].agenda[2]", "starts at 17:30, when the day (10:00-17:00) has ended"},
		{"agenda item ending after the day", func(c *catalog.Course) {
			c.Events[0].Days[0].Agenda[1].End = catalog.Clock{Minutes: 18 * 60, Valid: true}
		}, "events[0].days[0].agenda[1]", "ends at 18:00, after the day (10:00-17:00) ends"},
		{"teaching before the day starts", func(c *catalog.Course) {
			c.Events[0].Days[0].Agenda[0].Kind = catalog.Teaching
		}, "events[0].days[0].agenda[0]", "starts at 09:30, before the day (10:00-17:00) starts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := catalogtest.NewCourse(time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC))
			tt.change(&c)
			var v catalog.ValidationError
			if err := c.Validate(); !errors.As(err, &v) {
				t.Fatalf("got %v, want a ValidationError", err)
			}
			for _, fe := range v {
				if fe.Path == tt.path && strings.Contains(fe.Message, tt.msg) {
					return
				}
			}
			t.Errorf("got %v, want %s: …%s…", v, tt.path, tt.msg)
		})
	}
}

// TestParseCourseFileHostile runs hostile values through the course-file
// parser: each is refused with its file line and field, and no refused
// file gets as far as a course (so `import -n` and the import agree).
func TestParseCourseFileHostile(t *testing.T) {
	for _, tt := range hostileFiles(t) {
		t.Run(tt.name, func(t *testing.T) {
			_, err := catalog.ParseCourseFile("bad.md", []byte(tt.file))
			var fe *catalog.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want a *catalog.FileError", err)
			}
			want := fmt.Sprintf("bad.md:%d: %s: ", tt.line, tt.path)
			for _, l := range fe.Lines() {
				if strings.HasPrefix(l, want) && strings.Contains(l, tt.msg) {
					if strings.ContainsAny(l, "\x00\x1b\u009b\u202e") {
						t.Errorf("the message repeats the character raw: %q", l)
					}
					return
				}
			}
			t.Errorf("got\n%v\nwant a line starting %q containing %q", err, want, tt.msg)
		})
	}
}

// hostileFiles are course files with hostile or impossible values; the
// fuzz test uses them as seeds too.
func hostileFiles(t testing.TB) []badFile {
	return []badFile{
		{"NUL escaped in the title", editMinimal(t, "title: A course", `title: "A\0course"`), 3, "title", "control character U+0000"},
		{"escape sequence in the title", editMinimal(t, "title: A course", `title: "\e[31mA course"`), 3, "title", "control character U+001B"},
		{"C1 CSI in the title", editMinimal(t, "title: A course", `title: "\x9b31mA course"`), 3, "title", "control character U+009B"},
		{"title of fillers", editMinimal(t, "title: A course", `title: "\u3164\u3164"`), 3, "title", "nothing visible"},
		{"direction override in a topic", editMinimal(t, "status: published", "status: published\ntopics: [\"ab\\u202Ecd\"]"), 5, "topics[0]", "invisible character U+202E"},
		{"NUL in the body", editMinimal(t, "Text.", "Te\x00xt."), 18, "about", "control character U+0000"},
		{"escape in the body", editMinimal(t, "Text.", "Text.\n\nMore \x1b]0;owned\x07 text."), 20, "about", "control character U+001B"},
		{"lone carriage return in the body", editMinimal(t, "Text.", "Text.\rOther"), 18, "about", "control character U+000D"},
		{"NUL in an agenda title", editMinimal(t, `teaching: All day"`, `teaching: All\0day"`), 13, "events[0].days[0].agenda[1]", "U+0000"},
		{"capacity with a fraction", editMinimal(t, "    format: online", "    format: online\n    capacity: 5.5"), 8, "events[0].capacity", "must be a whole number, not 5.5"},
		{"capacity in exponent form", editMinimal(t, "    format: online", "    format: online\n    capacity: 1e3"), 8, "events[0].capacity", "whole number"},
		{"capacity in hex", editMinimal(t, "    format: online", "    format: online\n    capacity: 0x10"), 8, "events[0].capacity", "whole number"},
		{"capacity with underscores", editMinimal(t, "    format: online", "    format: online\n    capacity: 1_000"), 8, "events[0].capacity", "whole number"},
		{"joining days with a fraction", editMinimal(t, "status: published", "status: published\njoining_lead_days: 1.5"), 5, "joining_lead_days", "whole number"},
		{"reminder days with a fraction", editMinimal(t, "status: published", "status: published\nreminder_days_before: 2.0"), 5, "reminder_days_before", "whole number"},
		{"offer hold with a fraction", editMinimal(t, "status: published", "status: published\nbooking:\n  offer_hold_hours: 0.5"), 6, "booking.offer_hold_hours", "whole number"},
		{"agenda item after the day", editMinimal(t, `"10:00-17:00 teaching`, `"10:00-17:30 teaching`), 13, "events[0].days[0].agenda[1]", "after the day (10:00-17:00) ends"},
		{"agenda teaching before the day", editMinimal(t, `"09:30 registration: Registration"`, `"09:30 teaching: Early"`), 12, "events[0].days[0].agenda[0]", "before the day (10:00-17:00) starts"},
	}
}

// TestRefuseRuleMakesQuestionRequired checks that a question a refuse rule
// refuses when blank is required, and that one only some bookings need
// (the rule has other conditions too) is not.
func TestRefuseRuleMakesQuestionRequired(t *testing.T) {
	c, err := catalog.ParseCourseFile("rules.md", []byte(rulesFile))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, q := range c.Questions {
		got[q.Key] = q.Required
	}
	if want := map[string]bool{"training_completed": true, "nhs": false, "role": false}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("required: got %v, want %v", got, want)
	}
	if m := c.MissingRefusals(); len(m) != 1 || m["training_completed"] != "Only for the trained." {
		t.Errorf("MissingRefusals: got %v", m)
	}
	// A rule with a second condition needs the answer only sometimes.
	c.Rules = []catalog.Rule{{Outcome: catalog.Refuse, Message: "Registered people give their number.",
		Conditions: []catalog.Condition{{Question: "nhs", Op: catalog.OpYes}, {Question: "role", Op: catalog.OpMissing}}}}
	c.Questions[2].Required = false
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Questions[2].Required {
		t.Error("role became required by a rule that needs it only when nhs is yes")
	}
	day := catalog.Date{Year: 2030, Month: time.January, Day: 10}
	blank := catalog.BlankRefusals(c.Rules, map[string]string{"nhs": "yes"}, day, day)
	if blank["role"] != "Registered people give their number." || len(blank) != 1 {
		t.Errorf("BlankRefusals: got %v", blank)
	}
	if blank := catalog.BlankRefusals(c.Rules, map[string]string{"nhs": "no"}, day, day); len(blank) != 0 {
		t.Errorf("BlankRefusals with nhs no: got %v, want none", blank)
	}
}
