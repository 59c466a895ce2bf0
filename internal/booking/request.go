package booking

import (
	"net/mail"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"plenary/internal/catalog"
)

// Request is what a person submits on the booking form.
type Request struct {
	EventID            int64
	Name               string
	Email              string
	Organisation       string
	Role               string
	RegistrationNumber string
	AccessNeeds        string
	FeeTier            string
	PONumber           string
	SystemChecked      bool
	Answers            map[string]string // by question key; form fields answer_<key>
}

// FormError maps form field names ("name", "email", "answer_<key>", …) to
// a message for that field. Nothing is saved when it is returned.
type FormError map[string]string

func (e FormError) Error() string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e[k]
	}
	return "booking: " + strings.Join(parts, "; ")
}

// AnswerField is the form field name for a question's answer.
func AnswerField(key string) string { return "answer_" + key }

// Field limits, in characters.
const (
	maxName        = 120
	maxEmail       = 254
	maxShortField  = 160
	maxRegNumber   = 40
	maxAnswer      = 500
	maxAccessNeeds = 2000
)

// Dates an answer may hold: nobody trained before 1900, and a date after
// the event's last day cannot have happened by the time it is used.
var earliestAnswerDate = catalog.Date{Year: 1900, Month: time.January, Day: 1}

// check trims the request's fields, fills the fee tier when there is only
// one, and returns every problem.
//
// Every text follows catalog.CheckText's rules: no control characters (a
// NUL cannot be stored on PostgreSQL; an escape would reach a coordinator's
// terminal), no invisible direction or format characters, and no line
// break except in access needs. Names must show a letter. Display names
// that an address header cannot carry as they are (quotes, commas, angle
// brackets) are fine: the mail code quotes them.
func (r *Request) check(c *catalog.Course, e *catalog.Event) FormError {
	return r.checkAs(c, e, participantVoice)
}

// voice is how the form's errors address the one filling it in: the
// participant about themselves, or a staff member about the person.
type voice struct{ your, Your, you, youHave string }

var (
	participantVoice = voice{your: "your", Your: "Your", you: "you", youHave: "you have"}
	staffVoice       = voice{your: "their", Your: "Their", you: "them", youHave: "the person has"}
)

// checkAs is check with the errors worded in voice v: the same rules for
// the public form and the staff area's forms.
func (r *Request) checkAs(c *catalog.Course, e *catalog.Event, v voice) FormError {
	// Two parts, each in a frame of its own: a booking request waiting for
	// its batch keeps the deepest stack it reached (see BookEvent).
	errs := FormError{}
	r.checkPerson(errs, v)
	r.checkAnswers(errs, c, e, v)
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// checkText checks one field's text into errs and reports whether it is
// fine (a field with an error already is not).
func checkText(errs FormError, v voice, field, value, label string, max int, multiLine bool) bool {
	if _, done := errs[field]; done {
		return false
	}
	if e := textProblem(value, max, multiLine); e != "" {
		errs[field] = v.Your + " " + label + " " + e
		return false
	}
	return true
}

// checkPerson is checkAs for the person's own fields, into errs.
func (r *Request) checkPerson(errs FormError, v voice) {
	trim := func(p *string) { *p = strings.TrimSpace(*p) }
	for _, p := range []*string{&r.Name, &r.Email, &r.Organisation, &r.Role, &r.RegistrationNumber, &r.FeeTier, &r.PONumber} {
		trim(p)
	}
	// A browser sends a textarea's lines with CRLF.
	r.AccessNeeds = strings.TrimSpace(strings.ReplaceAll(r.AccessNeeds, "\r\n", "\n"))

	text := func(field, value, label string, max int, multiLine bool) bool {
		return checkText(errs, v, field, value, label, max, multiLine)
	}
	oneLine := func(field, value, label string, max int, required bool) {
		if value == "" {
			if required {
				errs[field] = "Enter " + v.your + " " + label + "."
			}
			return
		}
		text(field, value, label, max, false)
	}
	// named checks a field that names someone or something: it must show
	// a letter, not only blanks, fillers or punctuation.
	named := func(field, value, label string) {
		if _, bad := errs[field]; !bad && value != "" && !catalog.HasVisibleLetter(value) {
			errs[field] = v.Your + " " + label + " must contain at least one letter."
		}
	}
	oneLine("name", r.Name, "name", maxName, true)
	named("name", r.Name, "name")
	oneLine("email", r.Email, "e-mail address", maxEmail, true)
	if _, ok := errs["email"]; !ok && !validEmail(r.Email) {
		errs["email"] = "Enter an e-mail address in the form name@example.org."
	}
	oneLine("organisation", r.Organisation, "organisation", maxShortField, true)
	named("organisation", r.Organisation, "organisation")
	oneLine("role", r.Role, "role or profession", maxShortField, true)
	named("role", r.Role, "role or profession")
	oneLine("registration_number", r.RegistrationNumber, "registration number", maxRegNumber, false)
	if _, bad := errs["registration_number"]; !bad && r.RegistrationNumber != "" && !catalog.HasVisible(r.RegistrationNumber) {
		errs["registration_number"] = v.Your + " registration number must contain letters or digits."
	}
	oneLine("po_number", r.PONumber, "purchase order number", 60, false)
	if r.AccessNeeds != "" {
		text("access_needs", r.AccessNeeds, "description of "+v.your+" access needs", maxAccessNeeds, true)
	}
}

// checkAnswers is checkAs for the answers to course c's questions, the
// fee and, for an online date e, the system check, into errs.
func (r *Request) checkAnswers(errs FormError, c *catalog.Course, e *catalog.Event, voice voice) {
	required := c.MissingRefusals()
	answers := map[string]string{}
	for _, q := range c.Questions {
		field := AnswerField(q.Key)
		a := strings.TrimSpace(r.Answers[q.Key])
		if a == "" {
			// A question a refuse rule needs is required even when the
			// stored course predates that rule: its message says why.
			if msg, ok := required[q.Key]; ok && msg != "" {
				errs[field] = msg
			} else if q.Required || ok {
				errs[field] = "Answer this question."
			}
			continue
		}
		if !checkText(errs, voice, field, a, "answer", maxAnswer, false) {
			continue
		}
		switch q.Kind {
		case catalog.DateAnswer:
			d, err := catalog.ParseDate(a)
			if err != nil {
				errs[field] = "Enter a date such as 2024-03-15."
				continue
			}
			if msg := checkAnswerDate(d, e); msg != "" {
				errs[field] = msg
				continue
			}
			a = d.String()
		case catalog.YesNo:
			a = strings.ToLower(a)
			if a != "yes" && a != "no" {
				errs[field] = "Choose yes or no."
				continue
			}
		}
		answers[q.Key] = a
	}
	r.Answers = answers

	switch {
	case len(c.Fees) == 1:
		r.FeeTier = c.Fees[0].Name
	case len(c.Fees) > 1:
		if _, ok := feeTier(c, r.FeeTier); !ok {
			errs["fee_tier"] = "Choose the fee that applies to " + voice.you + "."
		}
	default:
		r.FeeTier = ""
	}
	if e.Format == catalog.Online && !r.SystemChecked {
		errs["system_checked"] = "Confirm that " + voice.youHave + " checked " + voice.your + " computer, camera and microphone."
	}
}

// checkAnswerDate says what is wrong with a date answered for event e, or
// "" when it could be true: from 1 January 1900 up to the event's last day.
func checkAnswerDate(d catalog.Date, e *catalog.Event) string {
	if d.Before(earliestAnswerDate) {
		return "Check the year: enter a date from 1 January 1900 on."
	}
	if len(e.Days) == 0 {
		return ""
	}
	last := e.Days[len(e.Days)-1].Date
	if last.Before(d) {
		return "This date is after the course ends (" + last.In(time.UTC).Format("2 January 2006") +
			"), so it cannot have happened by then: check the date, and the year."
	}
	return ""
}

func feeTier(c *catalog.Course, name string) (catalog.FeeTier, bool) {
	for _, f := range c.Fees {
		if f.Name == name {
			return f, true
		}
	}
	return catalog.FeeTier{}, false
}

// validEmail accepts a bare address (no display name) with a dotted
// domain: what a person types, not every form RFC 5322 allows.
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && strings.Contains(s[at+1:], ".") && !strings.HasSuffix(s, ".")
}

// textProblem says what is wrong with a typed text under
// catalog.CheckText's rules and a length cap of max characters, as the
// end of a sentence whose subject the caller writes ("Your name ", "The
// note "); "" when it is fine.
func textProblem(v string, max int, multiLine bool) string {
	switch f, _ := catalog.CheckText(v, multiLine); {
	case f == catalog.TextNotUTF8:
		return "contains characters we cannot read."
	case utf8.RuneCountInString(v) > max:
		return "is too long: use at most " + strconv.Itoa(max) + " characters."
	case f == catalog.TextLineBreak:
		return "must be on one line."
	case f == catalog.TextControl:
		return "contains a control character (such as an escape or a null byte). Type it again without it."
	case f == catalog.TextHidden:
		return "contains an invisible character that changes how text reads (such as a direction override or a zero-width space). Type it again without it."
	}
	return ""
}
