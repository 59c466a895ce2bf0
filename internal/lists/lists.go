package lists

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Scope is what a subscription is to.
type Scope string

// The scopes of a subscription.
const (
	ScopeCourse Scope = "course" // new dates of one course
	ScopeTopic  Scope = "topic"  // new courses and dates on a topic
	ScopeAll    Scope = "all"    // every new course
	// ScopePlaces is an e-mail when a place frees up on any upcoming
	// date of one course (see Service.Announce): not a waiting list.
	ScopePlaces Scope = "places"
)

// Status is where a subscription stands.
type Status string

// The states of a subscription.
const (
	Requested  Status = "requested"  // waiting for its confirmation
	Confirmed  Status = "confirmed"  // double opt-in done: gets list mail
	Withdrawn  Status = "withdrawn"  // unsubscribed
	Suppressed Status = "suppressed" // never mailed (staff, bounces)
)

// Source is where a subscription was asked for.
type Source string

// The sources of a subscription.
const (
	FromCoursePage Source = "course_page"
	FromBooking    Source = "booking"
	FromImport     Source = "import"
	FromStaff      Source = "staff"
)

// How a withdrawal came.
const (
	HowOneClick = "one_click" // a mail client's RFC 8058 POST
	HowLink     = "link"      // the unsubscribe page's button
	HowMailto   = "mailto"    // an e-mail to the List-Unsubscribe address, acted on by staff
	HowStaff    = "staff"
)

// Evidence steps.
const (
	stepRequested  = "requested"
	stepConfirmed  = "confirmed"
	stepWithdrawn  = "withdrawn"
	stepSuppressed = "suppressed"
)

// Times of the double opt-in.
const (
	// TokenLifetime is how long a confirmation link works.
	TokenLifetime = 7 * 24 * time.Hour
	// ForgetAfter is how long an unconfirmed request is kept by default
	// (Options.ForgetAfter).
	ForgetAfter = 30 * 24 * time.Hour
)

// Wording is the exact text a person was shown when they subscribed.
// Evidence records its version and the SHA-256 of Text; a version, once
// published, never changes its text (add a new one).
type Wording struct {
	Version string
	Text    string
}

// SHA256 is the hex SHA-256 of the wording's exact text.
func (w Wording) SHA256() string {
	sum := sha256.Sum256([]byte(w.Text))
	return hex.EncodeToString(sum[:])
}

// Wordings are every wording ever shown, by version: a page cached before
// a new version still posts one that is known.
var Wordings = map[string]Wording{
	"course-1": {Version: "course-1", Text: "E-mail me when this course has new dates (or, if I choose, new courses on a topic or any new course). " +
		"I will get one e-mail first to confirm; nothing else is sent until I do. " +
		"Every e-mail has a link to stop them in one click."},
	"booking-1": {Version: "booking-1", Text: "E-mail me about new dates of this course"},
	"course-2": {Version: "course-2", Text: "E-mail me when this course has new dates (or, if I choose, when a place frees up on one of its dates, " +
		"new courses on a topic or any new course). I will get one e-mail first to confirm; nothing else is sent until I do. " +
		"At most one such e-mail a day, and every one has a link to stop them in one click."},
	// What the confirmation page says above its button: for a subscription
	// made by an import that sends a confirmation, this is the wording the
	// person agrees to (the page shows it for every confirmation).
	"import-confirm-1": {Version: "import-confirm-1", Text: "Press the button to get these e-mails. " +
		"Every e-mail has a link to stop them in one click."},
	// The marker of consent an import records as held: the person was
	// shown no wording of Plenary's, and the evidence's source says where
	// the consent came from.
	"external-1": {Version: "external-1", Text: "Consent held outside Plenary; see the source"},
}

// ConfirmWording is the text the confirmation page shows above its
// button, recorded as the wording of a subscription an import asks to
// confirm.
var ConfirmWording = Wordings["import-confirm-1"]

// ExternalWording marks consent an import records as held outside
// Plenary.
var ExternalWording = Wordings["external-1"]

// BookingWording is the box at the end of the booking form.
var BookingWording = Wordings["booking-1"]

// CourseWording is the wording the course page shows now.
var CourseWording = Wordings["course-2"]

// Subscription is one address's subscription to one thing.
type Subscription struct {
	ID          int64
	Email, Name string
	Scope       Scope
	CourseID    int64  // ScopeCourse
	Topic       string // ScopeTopic
	Status      Status
	RequestedAt time.Time
	ConfirmedAt time.Time // zero until confirmed
	WithdrawnAt time.Time // zero unless withdrawn
}

// Evidence is one step of a subscription's consent, as recorded.
type Evidence struct {
	ID             int64
	SubscriptionID int64
	Email          string
	What           string
	WordingVersion string
	WordingSHA256  string
	Source         Source
	Step           string // requested, confirmed, withdrawn
	How            string // for a withdrawal
	At             time.Time
	// SourceNote and ConsentedOn are an import's, with consent already
	// held: where it came from in the importer's words, and its day
	// (YYYY-MM-DD).
	SourceNote  string
	ConsentedOn string
}

// Request is a person asking to subscribe.
type Request struct {
	Email, Name string
	Scope       Scope
	// CourseID and CourseTitle name the course for ScopeCourse.
	CourseID    int64
	CourseTitle string
	Topic       string // ScopeTopic
	Source      Source
	// Wording is the version of the wording shown (see Wordings).
	Wording string
}

// Errors of the lists.
var (
	// ErrNotConfigured is lists used without PLENARY_LIST_SECRET.
	ErrNotConfigured = errors.New("lists: no PLENARY_LIST_SECRET: lists are off")
	// ErrLinkInvalid is a confirmation link unknown or already used, or an
	// unsubscribe link whose signature does not hold.
	ErrLinkInvalid = errors.New("lists: link not valid")
	// ErrLinkExpired is a confirmation link older than TokenLifetime.
	ErrLinkExpired = errors.New("lists: link expired")
)

// FormError is a subscribe form refused, by field: "email", "name",
// "scope", "wording".
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
	return "lists: " + strings.Join(parts, "; ")
}

const (
	maxName  = 120
	maxEmail = 254
	maxTopic = 80
)

// clean checks r and returns it tidied (spaces trimmed, the name's runs of
// white space made one).
func (r Request) clean() (Request, error) {
	ferr := FormError{}
	r.Email = strings.TrimSpace(r.Email)
	r.Name = strings.Join(strings.FieldsFunc(r.Name, func(c rune) bool { return unicode.IsSpace(c) }), " ")
	switch a, err := mail.ParseAddress(r.Email); {
	case r.Email == "":
		ferr["email"] = "Enter your e-mail address."
	case err != nil || !utf8.ValidString(r.Email) || a.Address != r.Email || strings.ContainsAny(r.Email, "<>, ") || utf8.RuneCountInString(r.Email) > maxEmail:
		ferr["email"] = "Enter an e-mail address like name@example.org."
	}
	if utf8.RuneCountInString(r.Name) > maxName || strings.IndexFunc(r.Name, unicode.IsControl) >= 0 || !utf8.ValidString(r.Name) {
		ferr["name"] = fmt.Sprintf("Enter a name of at most %d characters.", maxName)
	}
	switch r.Scope {
	case ScopeCourse, ScopePlaces:
		if r.CourseID <= 0 || !utf8.ValidString(r.CourseTitle) {
			ferr["scope"] = "Choose what to hear about."
		}
	case ScopeTopic:
		r.Topic = strings.TrimSpace(r.Topic)
		if r.Topic == "" || !utf8.ValidString(r.Topic) || utf8.RuneCountInString(r.Topic) > maxTopic || strings.IndexFunc(r.Topic, unicode.IsControl) >= 0 {
			ferr["scope"] = "Choose what to hear about."
		}
	case ScopeAll:
	default:
		ferr["scope"] = "Choose what to hear about."
	}
	switch r.Source {
	case FromCoursePage, FromBooking, FromImport, FromStaff:
	default:
		ferr["scope"] = "Choose what to hear about."
	}
	if _, ok := Wordings[r.Wording]; !ok {
		ferr["wording"] = "This form is out of date: reload the page and try again."
	}
	if len(ferr) > 0 {
		return r, ferr
	}
	return r, nil
}

// targetKey is the subscription's unique name beside its address.
func (r Request) targetKey() string {
	switch r.Scope {
	case ScopeCourse:
		return fmt.Sprintf("course/%d", r.CourseID)
	case ScopePlaces:
		return fmt.Sprintf("places/%d", r.CourseID)
	case ScopeTopic:
		return "topic/" + strings.ToLower(r.Topic)
	}
	return "all"
}

// what says in words what was subscribed to, for the evidence and e-mails.
func (r Request) what() string {
	switch r.Scope {
	case ScopeCourse:
		return fmt.Sprintf("new dates of %s (course %d)", r.CourseTitle, r.CourseID)
	case ScopePlaces:
		return fmt.Sprintf("places freeing up on dates of %s (course %d)", r.CourseTitle, r.CourseID)
	case ScopeTopic:
		return "new courses on " + r.Topic
	}
	return "all new courses"
}

// emailKey folds an address for uniqueness: the same on both engines.
func emailKey(email string) string { return strings.ToLower(email) }
