package catalog

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Outcome is what an eligibility rule decides about a booking.
type Outcome string

// Rule outcomes, from least to most severe.
const (
	Accept Outcome = "accept" // book as usual (a rule of this kind only adds a note)
	Review Outcome = "review" // book into "pending review" for a coordinator to approve
	Refuse Outcome = "refuse" // do not book; tell the person why
)

// Outcomes lists every outcome, from least to most severe.
var Outcomes = []Outcome{Accept, Review, Refuse}

// severity orders outcomes: refuse > review > accept.
func (o Outcome) severity() int { return slices.Index(Outcomes, o) }

// Rule is one eligibility rule of a course: when all its conditions hold,
// its outcome applies. Message is the reason shown to the person for a
// refuse or review rule (required for refuse, optional for review), or the
// note attached to the confirmation for an accept rule. It is plain text.
type Rule struct {
	Conditions []Condition // all must hold
	Outcome    Outcome
	Message    string
}

// Op is the test a condition applies to one answer.
type Op string

// Condition operators. The first four look at any answer (yes/no only at
// yes_no questions); the date comparisons need a date question and a Date
// to compare with.
const (
	OpMissing    Op = "missing"      // no answer, or only spaces
	OpPresent    Op = "present"      // any answer
	OpYes        Op = "yes"          // yes_no question answered yes
	OpNo         Op = "no"           // yes_no question answered no
	OpBefore     Op = "before"       // answer < date
	OpAfter      Op = "after"        // answer > date
	OpOnOrBefore Op = "on_or_before" // answer <= date
	OpOnOrAfter  Op = "on_or_after"  // answer >= date
)

// Ops lists every operator.
var Ops = []Op{OpMissing, OpPresent, OpYes, OpNo, OpBefore, OpAfter, OpOnOrBefore, OpOnOrAfter}

// IsDateComparison reports whether op compares a date answer with a date.
func (op Op) IsDateComparison() bool {
	return op == OpBefore || op == OpAfter || op == OpOnOrBefore || op == OpOnOrAfter
}

// Condition is one test on one answer, written in a course file as
// "training_completed is missing" or
// "training_completed before event - 6 months".
type Condition struct {
	Question string // the question's key
	Op       Op
	Date     DateRef // what a date comparison compares with; zero for the other operators
}

// DateBase is the day a DateRef counts from.
type DateBase string

// Date bases.
const (
	BaseEvent DateBase = "event" // the event's first day, in its zone
	BaseToday DateBase = "today" // the day the booking is made
)

// Unit is the unit of a DateRef's offset.
type Unit string

// Offset units.
const (
	UnitDays   Unit = "days"
	UnitMonths Unit = "months"
)

// Offset limits: ten years either way is more than any rule needs.
const (
	maxOffsetDays   = 3660
	maxOffsetMonths = 120
)

// DateRef is a day relative to the event or to today: "event",
// "event - 6 months", "today + 14 days". Offset is signed; Unit is "" when
// Offset is 0.
type DateRef struct {
	Base   DateBase
	Offset int
	Unit   Unit
}

// IsZero reports whether r is unset.
func (r DateRef) IsZero() bool { return r == DateRef{} }

// Resolve returns the day r names for an event whose first day is
// eventDay, booked on today.
func (r DateRef) Resolve(eventDay, today Date) Date {
	d := eventDay
	if r.Base == BaseToday {
		d = today
	}
	if r.Unit == UnitMonths {
		return d.AddMonths(r.Offset)
	}
	return d.AddDays(r.Offset)
}

// String writes r as a course file does: "event", "event - 6 months",
// "today + 1 day".
func (r DateRef) String() string {
	if r.Offset == 0 {
		return string(r.Base)
	}
	sign, n := "+", r.Offset
	if n < 0 {
		sign, n = "-", -n
	}
	unit := string(r.Unit)
	if n == 1 {
		unit = strings.TrimSuffix(unit, "s")
	}
	return fmt.Sprintf("%s %s %d %s", r.Base, sign, n, unit)
}

// opWords are the operators as a course file writes them.
var opWords = map[Op]string{
	OpMissing:    "is missing",
	OpPresent:    "is present",
	OpYes:        "is yes",
	OpNo:         "is no",
	OpBefore:     "before",
	OpAfter:      "after",
	OpOnOrBefore: "on or before",
	OpOnOrAfter:  "on or after",
}

// String writes c as a course file does:
// "supervised_practice_started is missing",
// "training_completed before event - 6 months".
func (c Condition) String() string {
	words, ok := opWords[c.Op]
	if !ok {
		words = string(c.Op)
	}
	s := c.Question + " " + words
	if c.Op.IsDateComparison() {
		s += " " + c.Date.String()
	}
	return s
}

// conditionHelp is the grammar of a condition, for messages.
const conditionHelp = `a condition reads "KEY is missing", "KEY is present", "KEY is yes", "KEY is no", or "KEY before|after|on or before|on or after event|today [+|- N days|months]"`

var dateRefRE = regexp.MustCompile(`^([a-z]+)(?:\s*([+-])\s*([0-9]{1,6})\s*([a-z]+))?$`)

// ParseCondition reads one condition as a course file writes it (see
// Condition.String). It checks only the form; Validate checks that the
// question exists and has the right kind, and the offset's size.
func ParseCondition(s string) (Condition, error) {
	f := strings.Fields(s)
	if len(f) < 2 {
		return Condition{}, fmt.Errorf("%q is not a condition: %s", s, conditionHelp)
	}
	c := Condition{Question: f[0]}
	rest := f[1:]
	if rest[0] == "is" {
		if len(rest) != 2 {
			return Condition{}, fmt.Errorf(`%q: after "is" write one of missing, present, yes or no`, s)
		}
		switch op := Op(rest[1]); op {
		case OpMissing, OpPresent, OpYes, OpNo:
			c.Op = op
			return c, nil
		}
		return Condition{}, fmt.Errorf(`%q: after "is" write one of missing, present, yes or no, not %q`, s, rest[1])
	}
	switch {
	case rest[0] == "before" || rest[0] == "after":
		c.Op, rest = Op(rest[0]), rest[1:]
	case len(rest) >= 3 && rest[0] == "on" && rest[1] == "or" && (rest[2] == "before" || rest[2] == "after"):
		c.Op, rest = Op("on_or_"+rest[2]), rest[3:]
	default:
		return Condition{}, fmt.Errorf("%q is not a condition: %s", s, conditionHelp)
	}
	if len(rest) == 0 {
		return Condition{}, fmt.Errorf(`%q: say what date to compare with: event or today, e.g. "event - 6 months"`, s)
	}
	ref := strings.Join(rest, " ")
	m := dateRefRE.FindStringSubmatch(ref)
	if m == nil {
		return Condition{}, fmt.Errorf(`%q: %q is not a date to compare with; write event or today, optionally with + or - N days or months, e.g. "event - 6 months"`, s, ref)
	}
	switch base := DateBase(m[1]); base {
	case BaseEvent, BaseToday:
		c.Date.Base = base
	default:
		return Condition{}, fmt.Errorf(`%q: compare with event or today, not %q`, s, m[1])
	}
	if m[2] == "" {
		return c, nil
	}
	n, _ := strconv.Atoi(m[3]) // at most six digits: cannot fail
	if m[2] == "-" {
		n = -n
	}
	switch m[4] {
	case "day", "days":
		c.Date.Unit = UnitDays
	case "month", "months":
		c.Date.Unit = UnitMonths
	default:
		return Condition{}, fmt.Errorf(`%q: %q is not a unit; use days or months`, s, m[4])
	}
	c.Date.Offset = n
	if n == 0 {
		c.Date.Unit = ""
	}
	return c, nil
}

// Decision is the result of Evaluate.
type Decision struct {
	Outcome Outcome
	// Reasons are the messages of the matching rules of the outcome's
	// kind: the refuse rules when refused, the review rules (those with a
	// message) when sent to review, none when accepted.
	Reasons []string
	// Notes are the notes of the matching accept rules, to attach to the
	// confirmation; none when refused, since nothing is confirmed.
	Notes []string
}

// Evaluate applies a course's eligibility rules to one person's answers
// (by question key) for an event whose first day is eventDay, booked on
// today.
//
// Every rule is checked. A rule matches when all its conditions hold. The
// most severe outcome among the matching rules wins: refuse over review
// over accept. When no rule matches the outcome is accept. An accept rule
// therefore never overrides a refuse or review rule: it only adds its note.
// Repeated messages are given once, in rule order.
//
// Conditions: an answer is missing when absent or only spaces. "is yes" and
// "is no" match "yes" and "no" in any case. A date comparison matches only
// a YYYY-MM-DD answer: a missing answer or one that does not parse never
// matches (the booking form validates dates before calling Evaluate, so
// in practice this only makes a bad answer harmless).
func Evaluate(rules []Rule, answers map[string]string, eventDay, today Date) Decision {
	d := Decision{Outcome: Accept}
	var matched []Rule
	for _, r := range rules {
		if r.matches(answers, eventDay, today) {
			matched = append(matched, r)
			if r.Outcome.severity() > d.Outcome.severity() {
				d.Outcome = r.Outcome
			}
		}
	}
	for _, r := range matched {
		switch {
		case r.Message == "":
		case r.Outcome == d.Outcome && d.Outcome != Accept:
			d.Reasons = appendNew(d.Reasons, r.Message)
		case r.Outcome == Accept && d.Outcome != Refuse:
			d.Notes = appendNew(d.Notes, r.Message)
		}
	}
	return d
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func (r Rule) matches(answers map[string]string, eventDay, today Date) bool {
	for _, c := range r.Conditions {
		if !c.holds(strings.TrimSpace(answers[c.Question]), eventDay, today) {
			return false
		}
	}
	return true
}

func (c Condition) holds(answer string, eventDay, today Date) bool {
	switch c.Op {
	case OpMissing:
		return answer == ""
	case OpPresent:
		return answer != ""
	case OpYes:
		return strings.EqualFold(answer, "yes")
	case OpNo:
		return strings.EqualFold(answer, "no")
	}
	if !c.Op.IsDateComparison() || answer == "" {
		return false
	}
	a, err := ParseDate(answer)
	if err != nil {
		return false
	}
	ref := c.Date.Resolve(eventDay, today)
	switch c.Op {
	case OpBefore:
		return a.Before(ref)
	case OpAfter:
		return ref.Before(a)
	case OpOnOrBefore:
		return !ref.Before(a)
	default: // OpOnOrAfter
		return !a.Before(ref)
	}
}

// Limits on rules.
const (
	maxRules         = 50
	maxConditions    = 10
	maxRuleMessage   = 1000
	ruleOutcomeNames = "refuse, review or accept"
)

// validateRules checks c.Rules against c.Questions.
func (c Course) validateRules(add func(path, format string, args ...any)) {
	if len(c.Rules) > maxRules {
		add("rules", "has more than %d rules", maxRules)
	}
	kinds := map[string]QuestionKind{}
	for _, q := range c.Questions {
		kinds[q.Key] = q.Kind
	}
	for i, r := range c.Rules {
		p := fmt.Sprintf("rules[%d]", i)
		msgPath := p + ".message"
		if r.Outcome == Accept {
			msgPath = p + ".note"
		}
		switch r.Outcome {
		case Refuse:
			if strings.TrimSpace(r.Message) == "" {
				add(msgPath, "is required for a refuse rule: tell the person why they cannot book")
			}
		case Review:
		case Accept:
			if strings.TrimSpace(r.Message) == "" {
				add(msgPath, "is required for an accept rule: without a note the rule has no effect (no rule matching means accept)")
			}
		default:
			add(p+".then", "must be %s", ruleOutcomeNames)
		}
		if len(r.Message) > maxRuleMessage {
			add(msgPath, "is longer than %d characters", maxRuleMessage)
		} else if msg := textProblem(r.Message, true); msg != "" {
			add(msgPath, "%s", msg)
		}
		switch {
		case len(r.Conditions) == 0:
			add(p+".if", "needs at least one condition")
		case len(r.Conditions) > maxConditions:
			add(p+".if", "has more than %d conditions", maxConditions)
		}
		for j, cond := range r.Conditions {
			cond.validate(fmt.Sprintf("%s.if[%d]", p, j), kinds, add)
		}
	}
}

func (c Condition) validate(p string, kinds map[string]QuestionKind, add func(path, format string, args ...any)) {
	kind, known := kinds[c.Question]
	if !known {
		add(p, "%q is not the key of one of this course's questions", c.Question)
	}
	switch {
	case !slices.Contains(Ops, c.Op):
		add(p, "%q is not an operator; %s", c.Op, conditionHelp)
		return
	case (c.Op == OpYes || c.Op == OpNo) && known && kind != YesNo:
		add(p, "%q is a %s question; is yes and is no need a yes_no question", c.Question, kind)
	case c.Op.IsDateComparison() && known && kind != DateAnswer:
		add(p, "%q is a %s question; before and after need a date question", c.Question, kind)
	}
	if !c.Op.IsDateComparison() {
		if !c.Date.IsZero() {
			add(p, "%s takes no date", opWords[c.Op])
		}
		return
	}
	r := c.Date
	if r.Base != BaseEvent && r.Base != BaseToday {
		add(p, "must compare with event or today")
	}
	switch {
	case r.Offset == 0 && r.Unit != "":
		add(p, "an offset of 0 has no unit")
	case r.Offset != 0 && r.Unit == UnitDays && (r.Offset > maxOffsetDays || r.Offset < -maxOffsetDays):
		add(p, "the offset must be at most %d days", maxOffsetDays)
	case r.Offset != 0 && r.Unit == UnitMonths && (r.Offset > maxOffsetMonths || r.Offset < -maxOffsetMonths):
		add(p, "the offset must be at most %d months (10 years)", maxOffsetMonths)
	case r.Offset != 0 && r.Unit != UnitDays && r.Unit != UnitMonths:
		add(p, "the offset's unit must be days or months")
	}
}

// equalRules reports whether two rule lists are the same.
func equalRules(a, b []Rule) bool {
	return slices.EqualFunc(a, b, func(x, y Rule) bool {
		return x.Outcome == y.Outcome && x.Message == y.Message && slices.Equal(x.Conditions, y.Conditions)
	})
}

// MissingRefusals returns, by question key, the message of each refuse
// rule that refuses a booking whenever that one question is left blank (a
// rule whose every condition is "KEY is missing" for the same KEY). Such a
// question is required: Normalize marks it so, and the booking form asks
// for it with the rule's message beside it.
func (c Course) MissingRefusals() map[string]string {
	out := map[string]string{}
	for _, r := range c.Rules {
		if r.Outcome != Refuse || len(r.Conditions) == 0 {
			continue
		}
		key := r.Conditions[0].Question
		only := true
		for _, cond := range r.Conditions {
			if cond.Op != OpMissing || cond.Question != key {
				only = false
			}
		}
		if _, seen := out[key]; only && !seen {
			out[key] = r.Message
		}
	}
	return out
}

// BlankRefusals returns, by question key, the message of each refuse rule
// that matches the answers and tests a question left blank ("KEY is
// missing"): answering it may let the booking through, so the refusal
// belongs beside that question. Rules that refuse for other reasons are
// left to Evaluate's reasons.
func BlankRefusals(rules []Rule, answers map[string]string, eventDay, today Date) map[string]string {
	out := map[string]string{}
	for _, r := range rules {
		if r.Outcome != Refuse || !r.matches(answers, eventDay, today) {
			continue
		}
		for _, cond := range r.Conditions {
			if _, seen := out[cond.Question]; cond.Op == OpMissing && !seen {
				out[cond.Question] = r.Message
			}
		}
	}
	return out
}
