package catalog_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"plenary/internal/catalog"
)

// minimalFile is a small valid course file; bad cases change one thing in it.
// Its line numbers are given on the right.
const minimalFile = `---
slug: demo
title: A course
status: published
events:
  - ref: first
    format: online
    days:
      - date: 2030-01-10
        time: 10:00-17:00
        agenda:
          - "09:30 registration: Registration"
          - "10:00-17:00 teaching: All day"
---

## About

Text.
`

// Lines of minimalFile:
//
//	1 ---            6   - ref: first       11 agenda:
//	2 slug           7   format: online     12 "09:30 registration…"
//	3 title          8   days:              13 "10:00-17:00 teaching…"
//	4 status         9   - date             14 ---
//	5 events        10   time               16 ## About

// editMinimal returns minimalFile with old replaced by new, failing if old is absent.
func editMinimal(t testing.TB, old, new string) string {
	t.Helper()
	if !strings.Contains(minimalFile, old) {
		t.Fatalf("test bug: %q not in minimalFile", old)
	}
	return strings.Replace(minimalFile, old, new, 1)
}

func TestParseCourseFileMinimal(t *testing.T) {
	c, err := catalog.ParseCourseFile("demo.md", []byte(minimalFile))
	if err != nil {
		t.Fatalf("ParseCourseFile: %v", err)
	}
	if c.Slug != "demo" || c.Title != "A course" || c.Status != catalog.Published {
		t.Errorf("got slug %q title %q status %q, want demo, A course, published", c.Slug, c.Title, c.Status)
	}
	if c.JoiningLeadDays != 1 {
		t.Errorf("got joining_lead_days %d, want the default 1", c.JoiningLeadDays)
	}
	if !c.Waitlist || c.OfferHoldHours != 0 || c.BookingClosesHours != 0 || c.Rules != nil || c.CancellationTerms != "" {
		t.Errorf("got waitlist %v, hold %d, closes %d, rules %v, terms %q; want the defaults true, 0, 0, none, none",
			c.Waitlist, c.OfferHoldHours, c.BookingClosesHours, c.Rules, c.CancellationTerms)
	}
	if c.About != "Text." {
		t.Errorf("got About %q, want %q", c.About, "Text.")
	}
	if c.Fees != nil || !c.Free() {
		t.Errorf("got fees %v, want none (a free course)", c.Fees)
	}
	e := c.Events[0]
	if e.TimeZone != "Europe/London" || e.Status != catalog.Scheduled || e.Capacity != 0 {
		t.Errorf("got zone %q status %q capacity %d, want Europe/London, scheduled, 0", e.TimeZone, e.Status, e.Capacity)
	}
	want := catalog.Day{
		Date:  catalog.Date{Year: 2030, Month: time.January, Day: 10},
		Start: fileClock(t, "10:00"),
		End:   fileClock(t, "17:00"),
		Agenda: []catalog.AgendaItem{
			{Kind: catalog.Registration, Start: fileClock(t, "09:30"), Title: "Registration"},
			{Kind: catalog.Teaching, Start: fileClock(t, "10:00"), End: fileClock(t, "17:00"), Title: "All day"},
		},
	}
	if !reflect.DeepEqual(e.Days[0], want) {
		t.Errorf("got day %+v, want %+v", e.Days[0], want)
	}
	if got := e.StartsAt.Format(time.RFC3339); got != "2030-01-10T10:00:00Z" {
		t.Errorf("got StartsAt %s, want 2030-01-10T10:00:00Z (GMT in January)", got)
	}
}

func fileClock(t *testing.T, s string) catalog.Clock {
	t.Helper()
	c, err := catalog.ParseClock(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestParseCourseFileVariants checks spellings that mean the same as
// minimalFile.
func TestParseCourseFileVariants(t *testing.T) {
	base, err := catalog.ParseCourseFile("demo.md", []byte(minimalFile))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		file string
	}{
		{"unquoted agenda lines", strings.ReplaceAll(strings.ReplaceAll(minimalFile, `- "`, `- `), `"`+"\n", "\n")},
		{"en dash and spaces in times", editMinimal(t, `"10:00-17:00 teaching`, `"10:00 – 17:00 teaching`)},
		{"en dash in day time", editMinimal(t, "time: 10:00-17:00", "time: 10:00–17:00")},
		{"CRLF line ends", strings.ReplaceAll(minimalFile, "\n", "\r\n")},
		{"byte order mark", "\uFEFF" + minimalFile},
		{"heading case and trailing hashes", editMinimal(t, "## About", "## ABOUT ##")},
		{"spaces after the --- lines", strings.ReplaceAll(minimalFile, "---\n", "--- \n")},
		{"explicit defaults", editMinimal(t, "    format: online\n", "    format: online\n    time_zone: Europe/London\n    status: scheduled\n    capacity: 0\n")},
		{"joining_lead_days left empty", editMinimal(t, "status: published\n", "status: published\njoining_lead_days:\n")},
		{"empty lists", editMinimal(t, "status: published\n", "status: published\ntopics: []\nfees:\nquestions: []\n")},
		{"flow style", editMinimal(t, "status: published\n", "status: 'published'\n")},
		{"blank lines around the text", editMinimal(t, "Text.\n", "\n\nText.\n\n\n")},
		{"booking defaults written out", editMinimal(t, "status: published\n", "status: published\nbooking:\n  waitlist: true\n  offer_hold_hours: 0\n  closes_hours_before: 0\n")},
		{"booking left empty", editMinimal(t, "status: published\n", "status: published\nbooking:\n")},
		{"booking keys left empty", editMinimal(t, "status: published\n", "status: published\nbooking:\n  waitlist:\n  offer_hold_hours:\n")},
		{"no rules", editMinimal(t, "status: published\n", "status: published\nrules: []\n")},
		{"empty cancellation terms", minimalFile + "\n## Cancellation terms\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := catalog.ParseCourseFile("demo.md", []byte(tt.file))
			if err != nil {
				t.Fatalf("ParseCourseFile: %v", err)
			}
			if !reflect.DeepEqual(c, base) {
				t.Errorf("got %+v, want %+v", c, base)
			}
		})
	}
}

func TestParseCourseFileValues(t *testing.T) {
	file := editMinimal(t, "status: published\n", `status: published
summary: |
  Two lines
  of summary.
topics: [DIT, CPD]
joining_lead_days: 0
fees:
  - name: Standard
    amount: "120.00"
  - name: Reduced
    amount: 95
    currency: EUR
  - name: Bursary
    amount: "0.05"
questions:
  - key: done
    label: Done?
    kind: yes_no
    required: true
    help: "  Say yes.  "
`)
	file = strings.Replace(file, "## About\n\nText.\n", `## About

About text.

### A sub-heading

More.

`+"```"+`
## not a heading
`+"```"+`

## who it is for

Everyone.

## Aims
## Prerequisites

None.

## How it runs

Online.
`, 1)
	c, err := catalog.ParseCourseFile("demo.md", []byte(file))
	if err != nil {
		t.Fatalf("ParseCourseFile: %v", err)
	}
	wantFees := []catalog.FeeTier{{"Standard", 12000, "GBP"}, {"Reduced", 9500, "EUR"}, {"Bursary", 5, "GBP"}}
	if !reflect.DeepEqual(c.Fees, wantFees) {
		t.Errorf("got fees %v, want %v", c.Fees, wantFees)
	}
	if c.Summary != "Two lines\nof summary." {
		t.Errorf("got summary %q, want it trimmed", c.Summary)
	}
	if !reflect.DeepEqual(c.Topics, []string{"DIT", "CPD"}) || c.JoiningLeadDays != 0 {
		t.Errorf("got topics %q and joining_lead_days %d, want [DIT CPD] and 0", c.Topics, c.JoiningLeadDays)
	}
	wantQ := []catalog.Question{{Key: "done", Label: "Done?", Kind: catalog.YesNo, Required: true, Help: "Say yes."}}
	if !reflect.DeepEqual(c.Questions, wantQ) {
		t.Errorf("got questions %+v, want %+v", c.Questions, wantQ)
	}
	wantAbout := "About text.\n\n### A sub-heading\n\nMore.\n\n```\n## not a heading\n```"
	for _, f := range []struct{ name, got, want string }{
		{"About", c.About, wantAbout},
		{"Audience", c.Audience, "Everyone."},
		{"Aims", c.Aims, ""},
		{"Prerequisites", c.Prerequisites, "None."},
		{"Delivery", c.Delivery, "Online."},
	} {
		if f.got != f.want {
			t.Errorf("got %s %q, want %q", f.name, f.got, f.want)
		}
	}
}

// rulesHead replaces minimalFile's status line (line 4) with a date
// question and the start of a rules list; the first rule starts on line 10.
const rulesHead = `status: published
questions:
  - key: done
    label: Done?
    kind: date
rules:
`

// rulesFile is a valid file with booking settings, rules in every form and
// cancellation terms.
const rulesFile = `---
slug: rules
title: Rules
booking:
  waitlist: false
  offer_hold_hours: 12
  closes_hours_before: 720
questions:
  - key: training_completed
    label: When?
    kind: date
  - key: nhs
    label: NHS?
    kind: yes_no
  - key: role
    label: Role
    kind: text
rules:
  - if: training_completed is missing
    then: refuse
    message: "  Only for the trained.  "
  - if:
    - training_completed   before event-6 months
    - nhs is yes
    then: accept
    note: >-
      Folded
      note.
  - if: [role is present, nhs is no, training_completed on or after today + 1 day]
    then: review
  - then: review
    if: [training_completed after event + 0 days]
    message: Dates look odd.
---

## Cancellation terms

Full refund up to 14 days before.
`

// badFile is a course file with one mistake and the message it must get.
type badFile struct {
	name string
	file string
	line int    // 0: the message has no line
	path string // the field named in the message, "" for none
	msg  string // a part of the message
}

// badFiles lists the bad cases; the fuzz test uses them as seeds too.
func badFiles(t testing.TB) []badFile {
	return []badFile{
		{"no front matter", "# A course\n", 1, "", "must start with a line of three hyphens"},
		{"empty file", "", 1, "", "must start with"},
		{"front matter not closed", strings.TrimSuffix(minimalFile[:strings.Index(minimalFile, "---\n\n##")], "\n"), 1, "", "no closing ---"},
		{"unknown key", editMinimal(t, "title:", "titel: x\ntitle:"), 3, "titel", "is not a known key"},
		{"unknown event key", editMinimal(t, "    format: online", "    format: online\n    venu: x"), 8, "events[0].venu", "is not a known key"},
		{"repeated key", editMinimal(t, "status: published", "status: published\nstatus: draft"), 5, "status", "appears twice (first on line 4)"},
		{"YAML syntax", editMinimal(t, "title: A course", "title: [A course"), 3, "", "not valid YAML"},
		{"tab indent", editMinimal(t, "    format: online", "\tformat: online"), 6, "", "not valid YAML"},
		{"alias", editMinimal(t, "title: A course", "title: &t A course\nsummary: *t"), 3, "", "anchors and aliases"},
		{"completion word", editMinimal(t, "status: published", "status: published\ncompletion: most-days"), 5, "completion", "must be all-days or a mapping"},
		{"completion percent zero", editMinimal(t, "status: published", "status: published\ncompletion: {minimum_percent: 0}"), 5, "completion.minimum_percent", "between 1 and 100"},
		{"completion percent too high", editMinimal(t, "status: published", "status: published\ncompletion: {minimum_percent: 120}"), 5, "completion.minimum_percent", "between 1 and 100"},
		{"completion unknown key", editMinimal(t, "status: published", "status: published\ncompletion: {percent: 80}"), 5, "completion.percent", "is not a known key"},
		{"feedback link not a web address", editMinimal(t, "status: published", "status: published\nfeedback_url: forms.example.org/f"), 5, "feedback_url", "starting with https://"},
		{"feedback link ftp", editMinimal(t, "status: published", "status: published\nfeedback_url: ftp://example.org/f"), 5, "feedback_url", "starting with https://"},
		{"feedback link a list", editMinimal(t, "status: published", "status: published\nfeedback_url: [a]"), 5, "feedback_url", "must be text"},
		{"bad status", editMinimal(t, "status: published", "status: live"), 4, "status", "must be draft or published"},
		{"missing title", editMinimal(t, "title: A course\n", ""), 0, "title", "is required"},
		{"title is a list", editMinimal(t, "title: A course", "title: [a, b]"), 3, "title", "must be text"},
		{"bad slug", editMinimal(t, "slug: demo", "slug: Demo Course"), 2, "slug", "lower-case"},
		{"topics not a list", editMinimal(t, "status: published", "status: published\ntopics: DIT"), 5, "topics", "must be a list"},
		{"joining days not a number", editMinimal(t, "status: published", "status: published\njoining_lead_days: one"), 5, "joining_lead_days", "whole number"},
		{"joining days out of range", editMinimal(t, "status: published", "status: published\njoining_lead_days: 99"), 5, "joining_lead_days", "between 0 and 30"},
		{"amount with one decimal", editMinimal(t, "status: published", "status: published\nfees:\n  - name: Standard\n    amount: \"12.5\""), 7, "fees[0].amount", "two decimals"},
		{"amount as float", editMinimal(t, "status: published", "status: published\nfees:\n  - name: Standard\n    amount: 1e3"), 7, "fees[0].amount", "two decimals"},
		{"negative amount", editMinimal(t, "status: published", "status: published\nfees:\n  - name: Standard\n    amount: \"-1.00\""), 7, "fees[0].amount", "two decimals"},
		{"amount missing", editMinimal(t, "status: published", "status: published\nfees:\n  - name: Standard"), 6, "fees[0].amount", "is required"},
		{"bad currency", editMinimal(t, "status: published", "status: published\nfees:\n  - name: Standard\n    amount: \"1.00\"\n    currency: pounds"), 8, "fees[0].currency", "three-letter code"},
		{"fee without name", editMinimal(t, "status: published", "status: published\nfees:\n  - amount: \"1.00\""), 6, "fees[0].name", "is required"},
		{"bad question kind", editMinimal(t, "status: published", "status: published\nquestions:\n  - key: a\n    label: A?\n    kind: number"), 8, "questions[0].kind", "must be text, date or yes_no"},
		{"required not a bool", editMinimal(t, "status: published", "status: published\nquestions:\n  - key: a\n    label: A?\n    kind: text\n    required: maybe"), 9, "questions[0].required", "true or false"},
		{"question not a mapping", editMinimal(t, "status: published", "status: published\nquestions:\n  - a question"), 6, "questions[0]", "must be a set of keys"},
		{"missing ref", editMinimal(t, "  - ref: first\n    format: online", "  - format: online"), 6, "events[0].ref", "is required"},
		{"bad ref", editMinimal(t, "ref: first", "ref: First Date"), 6, "events[0].ref", "lower-case"},
		{"bad time zone", editMinimal(t, "    format: online", "    format: online\n    time_zone: London"), 8, "events[0].time_zone", "IANA"},
		{"bad format", editMinimal(t, "format: online", "format: webinar"), 7, "events[0].format", "online, in_person or hybrid"},
		{"in person without venue", editMinimal(t, "format: online", "format: in_person"), 6, "events[0].venue.name", "is required for an event held in person"},
		{"capacity not a number", editMinimal(t, "    format: online", "    format: online\n    capacity: lots"), 8, "events[0].capacity", "whole number"},
		{"join url not https", editMinimal(t, "    format: online", "    format: online\n    meeting:\n      join_url: http://zoom.example/j/1"), 9, "events[0].meeting.join_url", "https://"},
		{"no days", editMinimal(t, "    days:\n      - date: 2030-01-10\n        time: 10:00-17:00\n        agenda:\n          - \"09:30 registration: Registration\"\n          - \"10:00-17:00 teaching: All day\"\n", ""), 6, "events[0].days", "at least one day"},
		{"bad date", editMinimal(t, "date: 2030-01-10", "date: 2030-13-10"), 9, "events[0].days[0].date", "not a day of the calendar"},
		{"day that does not exist", editMinimal(t, "date: 2030-01-10", "date: 2030-02-30"), 9, "events[0].days[0].date", "not a day of the calendar"},
		{"date with a time", editMinimal(t, "date: 2030-01-10", "date: 2030-01-10T10:00:00Z"), 9, "events[0].days[0].date", "YYYY-MM-DD"},
		{"missing date", editMinimal(t, "      - date: 2030-01-10\n        time:", "      - time:"), 9, "events[0].days[0].date", "is required"},
		{"bad day time", editMinimal(t, "time: 10:00-17:00", "time: 10-17"), 10, "events[0].days[0].time", "HH:MM-HH:MM"},
		{"day ends before it starts", editMinimal(t, "time: 10:00-17:00", "time: 17:00-10:00"), 10, "events[0].days[0].time", "must end after it starts"},
		{"missing day time", editMinimal(t, "        time: 10:00-17:00\n", ""), 9, "events[0].days[0].time", "needs a start and an end"},
		{"agenda without start", editMinimal(t, `"10:00-17:00 teaching: All day"`, `"teaching: All day"`), 13, "events[0].days[0].agenda[1]", "needs a start time"},
		{"agenda unknown kind", editMinimal(t, "teaching: All day", "workshop: All day"), 13, "events[0].days[0].agenda[1]", "kind must be one of"},
		{"agenda without kind", editMinimal(t, `"09:30 registration: Registration"`, `"09:30 Registration"`), 12, "events[0].days[0].agenda[0]", "must read"},
		{"agenda bad clock", editMinimal(t, `"09:30 registration`, `"9.30 registration`), 12, "events[0].days[0].agenda[0]", "HH:MM"},
		{"agenda ends before start", editMinimal(t, `"10:00-17:00 teaching`, `"10:00-09:00 teaching`), 13, "events[0].days[0].agenda[1]", "must end after it starts"},
		{"agenda out of order", editMinimal(t, `"10:00-17:00 teaching`, `"09:00-17:00 teaching`), 13, "events[0].days[0].agenda[1]", "starts before the item above it"},
		{"agenda without title", editMinimal(t, `teaching: All day"`, `teaching: "`), 13, "events[0].days[0].agenda[1]", "needs a title"},
		{"agenda as mapping", editMinimal(t, `- "10:00-17:00 teaching: All day"`, "- {a: 1, b: 2}"), 13, "events[0].days[0].agenda[1]", "must be one line"},
		{"agenda two lines", editMinimal(t, `"10:00-17:00 teaching: All day"`, `"10:00-17:00 teaching: All\nday"`), 13, "events[0].days[0].agenda[1]", "must be on one line"},
		{"booking not a mapping", editMinimal(t, "status: published", "status: published\nbooking: 48"), 5, "booking", "must be a set of keys"},
		{"unknown booking key", editMinimal(t, "status: published", "status: published\nbooking:\n  wait_list: true"), 6, "booking.wait_list", "is not a known key"},
		{"waitlist not a bool", editMinimal(t, "status: published", "status: published\nbooking:\n  waitlist: maybe"), 6, "booking.waitlist", "true or false"},
		{"offer hold too long", editMinimal(t, "status: published", "status: published\nbooking:\n  waitlist: true\n  offer_hold_hours: 200"), 7, "booking.offer_hold_hours", "between 0"},
		{"closes negative", editMinimal(t, "status: published", "status: published\nbooking:\n  closes_hours_before: -1"), 6, "booking.closes_hours_before", "between 0"},
		{"closes not a number", editMinimal(t, "status: published", "status: published\nbooking:\n  closes_hours_before: a day"), 6, "booking.closes_hours_before", "whole number"},
		{"rules not a list", editMinimal(t, "status: published\n", rulesHead+"  done is missing\n"), 10, "rules", "must be a list"},
		{"condition with a bad unit", editMinimal(t, "status: published\n", rulesHead+"  - if: [done before event - 6 weeks]\n    then: refuse\n    message: No.\n"), 10, "rules[0].if[0]", `"weeks" is not a unit`},
		{"condition without an operator", editMinimal(t, "status: published\n", rulesHead+"  - if:\n      - done is missing\n      - done\n    then: refuse\n    message: No.\n"), 12, "rules[0].if[1]", "is not a condition"},
		{"condition as a mapping", editMinimal(t, "status: published\n", rulesHead+"  - if:\n      - {done: missing}\n    then: refuse\n    message: No.\n"), 11, "rules[0].if[0]", "must be one condition"},
		{"condition on unknown question", editMinimal(t, "status: published\n", rulesHead+"  - then: refuse\n    message: No.\n    if: [done is present, nope is missing]\n"), 12, "rules[0].if[1]", `"nope" is not the key`},
		{"yes on a date question", editMinimal(t, "status: published\n", rulesHead+"  - if:\n      - done is yes\n    then: refuse\n    message: No.\n"), 11, "rules[0].if[0]", "need a yes_no question"},
		{"offset too large", editMinimal(t, "status: published\n", rulesHead+"  - if: [done after today + 4000 days]\n    then: refuse\n    message: No.\n"), 10, "rules[0].if[0]", "at most 3660 days"},
		{"rule without conditions", editMinimal(t, "status: published\n", rulesHead+"  - then: refuse\n    message: No.\n"), 10, "rules[0].if", "at least one condition"},
		{"refuse without message", editMinimal(t, "status: published\n", rulesHead+"  - if: [done is missing]\n    then: refuse\n"), 10, "rules[0].message", "is required for a refuse rule"},
		{"accept without note", editMinimal(t, "status: published\n", rulesHead+"  - if: [done is missing]\n    then: accept\n"), 10, "rules[0].note", "is required for an accept rule"},
		{"accept with message", editMinimal(t, "status: published\n", rulesHead+"  - if: [done is missing]\n    then: accept\n    message: Hi.\n"), 12, "rules[0].message", "an accept rule has a note:"},
		{"refuse with note", editMinimal(t, "status: published\n", rulesHead+"  - if: [done is missing]\n    then: refuse\n    note: No.\n"), 12, "rules[0].note", "a refuse rule has a message:"},
		{"message and note", editMinimal(t, "status: published\n", rulesHead+"  - if: [done is missing]\n    then: review\n    message: Wait.\n    note: Hi.\n"), 13, "rules[0].note", "not both"},
		{"unknown outcome", editMinimal(t, "status: published\n", rulesHead+"  - if: [done is missing]\n    then: deny\n    message: No.\n"), 11, "rules[0].then", "must be refuse, review or accept"},
		{"unknown rule key", editMinimal(t, "status: published\n", rulesHead+"  - if: [done is missing]\n    then: review\n    reason: Why.\n"), 12, "rules[0].reason", "is not a known key"},
		{"long cancellation terms", minimalFile + "\n## Cancellation terms\n\n" + strings.Repeat("x", 20001) + "\n", 20, "cancellation_terms", "longer than 20000"},
		{"unknown section", editMinimal(t, "## About", "## Outcomes"), 16, "", `unknown section "## Outcomes"`},
		{"text before the first section", editMinimal(t, "\n## About", "\nIntro.\n\n## About"), 16, "", "text before the first section"},
		{"level-1 heading", editMinimal(t, "## About", "# A course\n\n## About"), 16, "", "use ## for section headings"},
		{"repeated section", minimalFile + "\n## about\n\nAgain.\n", 20, "about", "appears twice (first on line 16)"},
		{"unclosed code block", minimalFile + "\n```\ncode\n", 20, "", "never closed"},
		{"long section", editMinimal(t, "Text.", strings.Repeat("x", 20001)), 16, "about", "longer than 20000"},
		{"document end marker", editMinimal(t, "title: A course\n", "title: A course\n...\nfoo: bar\n"), 5, "", "not valid YAML"},
		{"two YAML documents", editMinimal(t, "All day\"\n---\n", "All day\"\n--- x\n---\n"), 14, "", "single YAML document"},
		{"not UTF-8", editMinimal(t, "A course", "A \xff course"), 0, "", "not UTF-8"},
		{"too large", minimalFile + strings.Repeat("x", 1<<20), 0, "", "larger than"},
	}
}

func TestParseCourseFileRules(t *testing.T) {
	c, err := catalog.ParseCourseFile("rules.md", []byte(rulesFile))
	if err != nil {
		t.Fatalf("ParseCourseFile: %v", err)
	}
	if c.Waitlist || c.OfferHoldHours != 12 || c.BookingClosesHours != 720 {
		t.Errorf("got waitlist %v hold %d closes %d, want false 12 720", c.Waitlist, c.OfferHoldHours, c.BookingClosesHours)
	}
	if want := "Full refund up to 14 days before."; c.CancellationTerms != want {
		t.Errorf("got cancellation terms %q, want %q", c.CancellationTerms, want)
	}
	event := catalog.DateRef{Base: catalog.BaseEvent}
	want := []catalog.Rule{
		{Conditions: []catalog.Condition{{Question: "training_completed", Op: catalog.OpMissing}}, Outcome: catalog.Refuse, Message: "Only for the trained."},
		{Conditions: []catalog.Condition{
			{Question: "training_completed", Op: catalog.OpBefore, Date: catalog.DateRef{Base: catalog.BaseEvent, Offset: -6, Unit: catalog.UnitMonths}},
			{Question: "nhs", Op: catalog.OpYes},
		}, Outcome: catalog.Accept, Message: "Folded note."},
		{Conditions: []catalog.Condition{
			{Question: "role", Op: catalog.OpPresent},
			{Question: "nhs", Op: catalog.OpNo},
			{Question: "training_completed", Op: catalog.OpOnOrAfter, Date: catalog.DateRef{Base: catalog.BaseToday, Offset: 1, Unit: catalog.UnitDays}},
		}, Outcome: catalog.Review},
		{Conditions: []catalog.Condition{{Question: "training_completed", Op: catalog.OpAfter, Date: event}}, Outcome: catalog.Review, Message: "Dates look odd."},
	}
	if !reflect.DeepEqual(c.Rules, want) {
		t.Errorf("got rules\n%+v\nwant\n%+v", c.Rules, want)
	}
	checkFileRoundTrip(t, c)
	out := string(catalog.FormatCourseFile(c))
	for _, line := range []string{
		"  - if: [training_completed is missing]\n    then: refuse\n    message: Only for the trained.\n",
		"  - if: [training_completed before event - 6 months, nhs is yes]\n    then: accept\n    note: Folded note.\n",
		"  - if: [training_completed after event]\n    then: review\n    message: Dates look odd.\n",
		"booking:\n  waitlist: false\n  offer_hold_hours: 12\n  closes_hours_before: 720\n",
		"\n## Cancellation terms\n\nFull refund up to 14 days before.\n",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("formatted file lacks %q:\n%s", line, out)
		}
	}
}

func TestParseCourseFileErrors(t *testing.T) {
	for _, tt := range badFiles(t) {
		t.Run(tt.name, func(t *testing.T) {
			_, err := catalog.ParseCourseFile("demo/bad.md", []byte(tt.file))
			if err == nil {
				t.Fatal("got no error, want one")
			}
			var fe *catalog.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("got %T %v, want a *catalog.FileError", err, err)
			}
			if fe.Name != "demo/bad.md" {
				t.Errorf("got name %q, want demo/bad.md", fe.Name)
			}
			want := "demo/bad.md: "
			if tt.line > 0 {
				want = fmt.Sprintf("demo/bad.md:%d: ", tt.line)
			}
			if tt.path != "" {
				want += tt.path + ": "
			}
			for _, l := range fe.Lines() {
				if strings.HasPrefix(l, want) && strings.Contains(l, tt.msg) {
					return
				}
			}
			t.Errorf("got\n%v\nwant a line starting %q containing %q", err, want, tt.msg)
		})
	}
}

// TestParseCourseFileEveryProblem checks that all problems are reported,
// each once, in file order, and that a value refused by the parser is not
// reported again by validation.
func TestParseCourseFileEveryProblem(t *testing.T) {
	file := editMinimal(t, "slug: demo", "slug: Bad Slug")
	file = strings.Replace(file, "format: online", "format: webinar", 1)
	file = strings.Replace(file, "date: 2030-01-10", "date: tomorrow", 1)
	file = strings.Replace(file, `"09:30 registration`, `"registration`, 1)
	file = strings.Replace(file, "## About", "## Outcomes", 1)
	_, err := catalog.ParseCourseFile("x.md", []byte(file))
	var fe *catalog.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("got %v, want a *catalog.FileError", err)
	}
	want := []string{
		"x.md:2: slug: ",
		"x.md:7: events[0].format: ",
		"x.md:9: events[0].days[0].date: ",
		"x.md:12: events[0].days[0].agenda[0]: needs a start time",
		`x.md:16: unknown section "## Outcomes"`,
	}
	got := fe.Lines()
	if len(got) != len(want) {
		t.Fatalf("got %d problems:\n%s\nwant %d", len(got), err, len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d: got %q, want it to start %q", i, got[i], want[i])
		}
	}
	if got := strings.Count(err.Error(), "\n"); got != len(want)-1 {
		t.Errorf("got %d newlines in Error(), want one problem per line", got)
	}
}

// TestFormatCourseFileGolden checks that the canonical example formats to
// itself, byte for byte.
func TestFormatCourseFileGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/coursefile/*.md")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			c, err := catalog.ParseCourseFile(name, data)
			if err != nil {
				t.Fatalf("ParseCourseFile: %v", err)
			}
			if got := catalog.FormatCourseFile(c); string(got) != string(data) {
				t.Errorf("got\n%s\nwant the file itself:\n%s", got, data)
			}
			checkFileRoundTrip(t, c)
		})
	}
}

// checkFileRoundTrip formats c, parses it back and formats again: the course
// must come back equal and the second format must be a fixed point.
func checkFileRoundTrip(t *testing.T, c catalog.Course) {
	t.Helper()
	out := catalog.FormatCourseFile(c)
	back, err := catalog.ParseCourseFile("formatted.md", out)
	if err != nil {
		t.Fatalf("formatted file does not parse: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(back, c) {
		t.Errorf("round trip: got %+v, want %+v\nfile:\n%s", back, c, out)
	}
	if again := catalog.FormatCourseFile(back); string(again) != string(out) {
		t.Errorf("format is not a fixed point: got\n%s\nwant\n%s", again, out)
	}
}

// TestFormatCourseFileRoundTrip builds courses with awkward values and
// checks they survive a round trip.
func TestFormatCourseFileRoundTrip(t *testing.T) {
	day := catalog.Day{
		Date: catalog.Date{Year: 2031, Month: time.July, Day: 4}, Start: fileClock(t, "00:00"), End: fileClock(t, "23:59"),
		Agenda: []catalog.AgendaItem{
			{Kind: catalog.Other, Start: fileClock(t, "00:00"), Title: `Note: "quotes", colons: and # hashes`},
			{Kind: catalog.Teaching, Start: fileClock(t, "10:00"), End: fileClock(t, "11:00"), Title: "10:00-11:00 teaching: nested"},
			{Kind: catalog.Break, Start: fileClock(t, "11:00"), End: fileClock(t, "11:15"), Title: "'single' – ünïcödé ☕"},
		},
	}
	tests := []struct {
		name string
		c    catalog.Course
	}{
		{"bare", catalog.Course{Slug: "a", Title: "A", Status: catalog.Draft}},
		{"values that look like other types", catalog.Course{
			Slug: "x-1", Title: "true", Summary: "123", Status: catalog.Published, JoiningLeadDays: 30,
			Topics: []string{"null", "2022-06-10", "- dash", "key: value", "#hash", "@at", "'"},
			Fees:   []catalog.FeeTier{{Name: "0.5", Amount: 99999999999999, Currency: "EUR"}, {Name: "Free", Amount: 0, Currency: "GBP"}},
			Questions: []catalog.Question{
				{Key: "q1", Label: "yes", Kind: catalog.TextAnswer, Help: "Line one\nline two\n  indented"},
				{Key: "q2", Label: "~", Kind: catalog.DateAnswer, Required: true},
			},
			Events: []catalog.Event{{
				Ref: "007", TimeZone: "America/New_York", Region: "northern-ireland", Format: catalog.Hybrid, Status: catalog.Cancelled, Capacity: 100000,
				Venue:   catalog.Venue{Name: "*Room*", Address: "1 Road\n\nTown  \nPostcode", Directions: "Lift: *no*\n- left at the: sign"},
				Meeting: catalog.Meeting{Provider: "Teams", JoinURL: "https://teams.example/l/x?a=b&c=d#frag", ID: "0123", Passcode: "01"},
				Days:    []catalog.Day{day, {Date: day.Date.AddDays(1), Start: fileClock(t, "09:00"), End: fileClock(t, "10:00")}},
			}},
		}},
		{"booking settings and rules", catalog.Course{
			Slug: "r", Title: "R", Status: catalog.Draft, Waitlist: true, OfferHoldHours: 168, BookingClosesHours: 1, ReminderDaysBefore: 60,
			CancellationTerms: "### Refunds\n\n- in full up to 14 days before;\n- after that, *transfer* your place.",
			Questions: []catalog.Question{
				{Key: "d", Label: "D", Kind: catalog.DateAnswer},
				{Key: "y", Label: "Y", Kind: catalog.YesNo},
			},
			Rules: []catalog.Rule{
				{Conditions: []catalog.Condition{{Question: "d", Op: catalog.OpMissing}}, Outcome: catalog.Refuse, Message: "Line one\nline two: with a colon, and \"quotes\""},
				{Conditions: []catalog.Condition{{Question: "y", Op: catalog.OpYes}}, Outcome: catalog.Review},
				{Conditions: []catalog.Condition{{Question: "y", Op: catalog.OpNo}}, Outcome: catalog.Accept, Message: "yes"},
				{Conditions: []catalog.Condition{
					{Question: "d", Op: catalog.OpOnOrBefore, Date: catalog.DateRef{Base: catalog.BaseToday, Offset: -3660, Unit: catalog.UnitDays}},
					{Question: "d", Op: catalog.OpOnOrAfter, Date: catalog.DateRef{Base: catalog.BaseEvent, Offset: 120, Unit: catalog.UnitMonths}},
					{Question: "d", Op: catalog.OpAfter, Date: catalog.DateRef{Base: catalog.BaseEvent, Offset: -1, Unit: catalog.UnitMonths}},
					{Question: "y", Op: catalog.OpPresent},
				}, Outcome: catalog.Refuse, Message: "#1 - [no]"},
			},
		}},
		{"completion by minutes", catalog.Course{Slug: "cpd", Title: "CPD", Status: catalog.Draft, CompletionPercent: 80}},
		{"completion on every day", catalog.Course{Slug: "cpd", Title: "CPD", Status: catalog.Draft, CompletionPercent: 0}},
		{"feedback link", catalog.Course{Slug: "fb", Title: "FB", Status: catalog.Draft,
			FeedbackURL: "https://forms.example.org/r/a?x=1&y=two:three%20four#q"}},
		{"feedback link over http", catalog.Course{Slug: "fb", Title: "FB", Status: catalog.Draft, FeedbackURL: "http://intranet.example/feedback"}},
		{"markdown texts", catalog.Course{
			Slug: "md", Title: "Markdown", Status: catalog.Draft,
			About:    "Para.\n\n### Sub\n\n~~~\n## code\n~~~\n\n    ## indented code",
			Audience: "- a\n- b",
			Aims:     "---\nnot front matter",
			Delivery: "Text with trailing spaces  \nand a break.",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			c.Normalize()
			if err := c.Validate(); err != nil {
				t.Fatalf("test course is invalid: %v", err)
			}
			checkFileRoundTrip(t, c)
		})
	}
}

// TestFormatCourseFileUnsafeSections checks that text that could not be
// read back as written (a ## heading or an open code block, possible in
// text entered on the web) is made safe rather than producing a file that
// does not import.
func TestFormatCourseFileUnsafeSections(t *testing.T) {
	c := catalog.Course{Slug: "a", Title: "A", Status: catalog.Draft,
		About:    "Intro.\n\n## Aims\n\n# Big",
		Delivery: "```\nopen code",
	}
	out := catalog.FormatCourseFile(c)
	back, err := catalog.ParseCourseFile("a.md", out)
	if err != nil {
		t.Fatalf("formatted file does not parse: %v\n%s", err, out)
	}
	if want := "Intro.\n\n### Aims\n\n### Big"; back.About != want {
		t.Errorf("got About %q, want %q", back.About, want)
	}
	if back.Aims != "" {
		t.Errorf("got Aims %q, want none", back.Aims)
	}
	if want := "```\nopen code\n```"; back.Delivery != want {
		t.Errorf("got Delivery %q, want %q", back.Delivery, want)
	}
}

func TestFormatAgendaItem(t *testing.T) {
	tests := []struct {
		a    catalog.AgendaItem
		want string
	}{
		{catalog.AgendaItem{Kind: catalog.Registration, Start: fileClock(t, "09:30"), Title: "Registration"}, "09:30 registration: Registration"},
		{catalog.AgendaItem{Kind: catalog.Teaching, Start: fileClock(t, "10:00"), End: fileClock(t, "11:30"), Title: "Establishing and negotiating the IPAF"}, "10:00-11:30 teaching: Establishing and negotiating the IPAF"},
	}
	for _, tt := range tests {
		if got := catalog.FormatAgendaItem(tt.a); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

// TestDocsExample checks that the complete example in the reference
// parses and is already in canonical form.
func TestDocsExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/course-files.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```markdown\n")
	example, _, ok2 := strings.Cut(rest, "\n```\n")
	if !ok || !ok2 {
		t.Fatal("no ```markdown example in docs/course-files.md")
	}
	example += "\n"
	c, err := catalog.ParseCourseFile("docs/course-files.md", []byte(example))
	if err != nil {
		t.Fatalf("the example does not parse: %v", err)
	}
	if got := catalog.FormatCourseFile(c); string(got) != example {
		t.Errorf("the example is not in canonical form: export gives\n%s", got)
	}
}

// TestParseCourseFileCompletion reads both forms of completion: and
// writes the percent form back as the docs show it.
func TestParseCourseFileCompletion(t *testing.T) {
	for _, tt := range []struct {
		line string
		want int
	}{{"", 0}, {"completion: all-days\n", 0}, {"completion:\n", 0}, {"completion: {minimum_percent: 80}\n", 80},
		{"completion:\n  minimum_percent: 75\n", 75}} {
		c, err := catalog.ParseCourseFile("c.md", []byte(editMinimal(t, "status: published\n", "status: published\n"+tt.line)))
		if err != nil {
			t.Fatalf("%q: %v", tt.line, err)
		}
		if c.CompletionPercent != tt.want {
			t.Errorf("%q: got %d per cent, want %d", tt.line, c.CompletionPercent, tt.want)
		}
	}
	c := catalog.Course{Slug: "cpd", Title: "CPD", Status: catalog.Draft, CompletionPercent: 80}
	c.Normalize()
	if out := string(catalog.FormatCourseFile(c)); !strings.Contains(out, "\ncompletion: {minimum_percent: 80}\n") {
		t.Errorf("got\n%s\nwant a line completion: {minimum_percent: 80}", out)
	}
}

// TestParseCourseFileFeedbackURL reads feedback_url, written after
// completion: as the docs show it, and validates it as a web address.
func TestParseCourseFileFeedbackURL(t *testing.T) {
	c, err := catalog.ParseCourseFile("c.md", []byte(editMinimal(t, "status: published\n",
		"status: published\nfeedback_url: https://forms.example.org/feedback\n")))
	if err != nil {
		t.Fatal(err)
	}
	if c.FeedbackURL != "https://forms.example.org/feedback" {
		t.Errorf("got %q", c.FeedbackURL)
	}
	c = catalog.Course{Slug: "cpd", Title: "CPD", Status: catalog.Draft, CompletionPercent: 80, FeedbackURL: "https://forms.example.org/f"}
	c.Normalize()
	if out := string(catalog.FormatCourseFile(c)); !strings.Contains(out, "\ncompletion: {minimum_percent: 80}\nfeedback_url: https://forms.example.org/f\n") {
		t.Errorf("got\n%s\nwant feedback_url after completion", out)
	}
	for _, bad := range []string{"https://", "https:///path", "javascript:alert(1)", "https://exa mple.org/", "mailto:a@example.org"} {
		c.FeedbackURL = bad
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "feedback_url") {
			t.Errorf("feedback link %q: got %v, want a problem on feedback_url", bad, err)
		}
	}
}
