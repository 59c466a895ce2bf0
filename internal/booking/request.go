package booking

import (
	"net/mail"
	"sort"
	"strconv"
	"strings"
	"unicode"
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

// check trims the request's fields, fills the fee tier when there is only
// one, and returns every problem.
func (r *Request) check(c catalog.Course, e catalog.Event) FormError {
	errs := FormError{}
	trim := func(p *string) { *p = strings.TrimSpace(*p) }
	for _, p := range []*string{&r.Name, &r.Email, &r.Organisation, &r.Role, &r.RegistrationNumber, &r.FeeTier, &r.PONumber} {
		trim(p)
	}
	r.AccessNeeds = strings.TrimSpace(r.AccessNeeds)

	oneLine := func(field, value, label string, max int, required bool) {
		switch {
		case value == "" && required:
			errs[field] = "Enter your " + label + "."
		case !utf8.ValidString(value):
			errs[field] = "Your " + label + " contains characters we cannot read."
		case utf8.RuneCountInString(value) > max:
			errs[field] = "Your " + label + " is too long: use at most " + strconv.Itoa(max) + " characters."
		case strings.IndexFunc(value, unicode.IsControl) >= 0:
			errs[field] = "Your " + label + " must be on one line."
		}
	}
	oneLine("name", r.Name, "name", maxName, true)
	oneLine("email", r.Email, "e-mail address", maxEmail, true)
	if _, ok := errs["email"]; !ok && !validEmail(r.Email) {
		errs["email"] = "Enter an e-mail address in the form name@example.org."
	}
	oneLine("organisation", r.Organisation, "organisation", maxShortField, true)
	oneLine("role", r.Role, "role or profession", maxShortField, true)
	oneLine("registration_number", r.RegistrationNumber, "registration number", maxRegNumber, false)
	oneLine("po_number", r.PONumber, "purchase order number", 60, false)
	if !utf8.ValidString(r.AccessNeeds) || utf8.RuneCountInString(r.AccessNeeds) > maxAccessNeeds {
		errs["access_needs"] = "Describe your access needs in at most " + strconv.Itoa(maxAccessNeeds) + " characters."
	}

	answers := map[string]string{}
	for _, q := range c.Questions {
		field := AnswerField(q.Key)
		v := strings.TrimSpace(r.Answers[q.Key])
		switch {
		case v == "":
			if q.Required {
				errs[field] = "Answer this question."
			}
			continue
		case !utf8.ValidString(v) || utf8.RuneCountInString(v) > maxAnswer:
			errs[field] = "Use at most " + strconv.Itoa(maxAnswer) + " characters."
			continue
		}
		switch q.Kind {
		case catalog.DateAnswer:
			if _, err := catalog.ParseDate(v); err != nil {
				errs[field] = "Enter a date such as 2024-03-15."
				continue
			}
		case catalog.YesNo:
			v = strings.ToLower(v)
			if v != "yes" && v != "no" {
				errs[field] = "Choose yes or no."
				continue
			}
		}
		answers[q.Key] = v
	}
	r.Answers = answers

	switch {
	case len(c.Fees) == 1:
		r.FeeTier = c.Fees[0].Name
	case len(c.Fees) > 1:
		if _, ok := feeTier(c, r.FeeTier); !ok {
			errs["fee_tier"] = "Choose the fee that applies to you."
		}
	default:
		r.FeeTier = ""
	}
	if e.Format == catalog.Online && !r.SystemChecked {
		errs["system_checked"] = "Confirm that you have checked your computer, camera and microphone."
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func feeTier(c catalog.Course, name string) (catalog.FeeTier, bool) {
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
