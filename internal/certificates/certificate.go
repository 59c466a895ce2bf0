package certificates

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"plenary/internal/audit"
	"plenary/internal/catalog"
	"plenary/internal/database"
	"plenary/internal/messaging"
)

// State is where a certificate stands.
type State string

// The states of a certificate. A valid one may be revoked or replaced;
// neither comes back.
const (
	Valid    State = "valid"
	Revoked  State = "revoked"
	Replaced State = "replaced" // by a reissue with a corrected name
)

// Label is the state in words, for pages.
func (s State) Label() string {
	switch s {
	case Valid:
		return "Valid"
	case Revoked:
		return "Revoked"
	case Replaced:
		return "Replaced by a reissue"
	}
	return string(s)
}

// Errors of the certificates' calls.
var (
	// ErrNotFound: no certificate has this code (or ID), or the booking has none.
	ErrNotFound = errors.New("certificates: not found")
	// ErrNoRegister: nothing says who completed a date (no Completions
	// was given), so nothing can be issued from it.
	ErrNoRegister = errors.New("certificates: no register says who completed the date")
	// ErrNotValid: the certificate was revoked or replaced, so it cannot
	// be reissued or revoked again.
	ErrNotValid = errors.New("certificates: the certificate is no longer valid")
)

// FormError is a refused reissue or revocation, keyed by field ("name",
// "reason"), in words for the person who typed it.
type FormError map[string]string

func (e FormError) Error() string {
	parts := make([]string, 0, len(e))
	for k, v := range e {
		parts = append(parts, k+": "+v)
	}
	return "certificates: " + strings.Join(parts, "; ")
}

// Certificate is one certificate as issued: every printed field as it was
// printed, so the verification page shows what the PDF says and the PDF
// can be made again, byte for byte, from the row.
type Certificate struct {
	ID        int64
	Code      string // ten characters of codeAlphabet, stored without the hyphen
	BookingID int64
	EventID   int64
	Email     string // where it is sent; not printed

	// Printed.
	Name        string
	CourseTitle string
	Dates       string // the date(s) in the event's zone, e.g. "Monday 6 – Friday 10 March 2023"
	CPDMinutes  int
	Provider    string

	IssuedAt time.Time // UTC
	IssuedBy string    // the actor, in words

	State         State
	RevokedAt     time.Time // zero unless revoked
	RevokedReason string    // for staff only: never on the public page
	ReplacedBy    int64     // the reissue's ID, when replaced
	ReplacedCode  string    // the reissue's code, when replaced
}

// DisplayCode is the code as printed and typed: two groups of five,
// "ABCDE-FGHJK".
func (c Certificate) DisplayCode() string { return DisplayCode(c.Code) }

// Hours is the CPD time in hours, as printed: "6", "6.5", "6.75"
// (rounded to the hundredth of an hour).
func (c Certificate) Hours() string { return FormatHours(c.CPDMinutes) }

// codeAlphabet has no 0/O or 1/I: 32 signs, five bits each, so a code of
// ten is 50 random bits — unguessable behind the verification page's rate
// limit — and still short enough to type from paper.
const codeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

const codeLen = 10

// newCode returns a fresh random code.
func newCode() (string, error) {
	b := make([]byte, codeLen)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = codeAlphabet[b[i]&31]
	}
	return string(b), nil
}

// DisplayCode groups a stored code for people: "ABCDE-FGHJK".
func DisplayCode(code string) string {
	if len(code) != codeLen {
		return code
	}
	return code[:5] + "-" + code[5:]
}

// NormalizeCode reads a code as a person typed it: case, spaces and
// hyphens do not matter. ok is false when it cannot be a code at all.
func NormalizeCode(s string) (code string, ok bool) {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == '-' || r == ' ' || r == '\t':
		case r < utf8.RuneSelf && strings.IndexByte(codeAlphabet, byte(r)) >= 0:
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	if b.Len() != codeLen {
		return "", false
	}
	return b.String(), true
}

// Events finds a date and its course; *catalog.Store has it.
type Events interface {
	Event(ctx context.Context, id int64) (catalog.Course, catalog.Event, error)
}

// Outbox queues e-mail in the caller's transaction; *messaging.Outbox
// has it.
type Outbox interface {
	Enqueue(ctx context.Context, tx *sql.Tx, m messaging.Message) (id int64, created bool, err error)
}

// IssuerOptions are what an Issuer needs.
type IssuerOptions struct {
	DB          *database.DB
	Events      Events
	Completions Completions
	Outbox      Outbox // nil: certificates are issued but not sent
	// BaseURL is the site's address, for the QR code and the link printed
	// on the certificate: {BaseURL}/verify/{code}.
	BaseURL string
	// Provider is the training provider's name, printed on each
	// certificate (PLENARY_PROVIDER_NAME, else the site name).
	Provider string
	Now      func() time.Time
}

// Issuer issues, reissues, revokes, sends and verifies certificates. It
// is the only door to the certificates table.
type Issuer struct {
	opts IssuerOptions
	// sendHook, in tests, runs in SendAll once it holds the date's lock.
	sendHook func()
}

// NewIssuer returns the certificates' issuer.
func NewIssuer(o IssuerOptions) *Issuer {
	if o.Now == nil {
		o.Now = time.Now
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	return &Issuer{opts: o}
}

func (s *Issuer) now() time.Time { return s.opts.Now().UTC().Truncate(time.Microsecond) }

// VerifyURL is where a certificate's code is checked: {base}/verify/{code}.
func (s *Issuer) VerifyURL(code string) string { return VerifyURL(s.opts.BaseURL, code) }

// VerifyURL is {base}/verify/{code}, the address in the QR code.
func VerifyURL(base, code string) string {
	return strings.TrimRight(base, "/") + "/verify/" + DisplayCode(code)
}

// auditView is what the audit log keeps of a certificate. It names the
// address so that a person's erasure finds the entry and blanks its
// personal fields (audit.People).
type auditView struct {
	Code       string `json:"code"`
	Booking    int64  `json:"booking"`
	Event      int64  `json:"event"`
	Name       string `json:"name"`
	Email      string `json:"email"`
	Course     string `json:"course"`
	Dates      string `json:"dates"`
	CPDMinutes int    `json:"cpd_minutes"`
	Provider   string `json:"provider"`
	State      State  `json:"state"`
	ReplacedBy string `json:"replaced_by,omitempty"`
	// BookedAs is the booking's name when staff typed the printed one
	// (IssueAs): the booking keeps its own. Under a "name" key, so that
	// an erasure blanks it with the other personal fields.
	BookedAs *bookedAs `json:"booked_as,omitempty"`
}

type bookedAs struct {
	Name string `json:"name"`
}

func (c Certificate) audit() auditView {
	return auditView{Code: c.Code, Booking: c.BookingID, Event: c.EventID, Name: c.Name, Email: c.Email, Course: c.CourseTitle,
		Dates: c.Dates, CPDMinutes: c.CPDMinutes, Provider: c.Provider, State: c.State, ReplacedBy: c.ReplacedCode}
}

// Issue issues the certificate for a completion, once per booking:
// issuing again returns the booking's certificate as it stands (created is
// false), whatever its state; a name is corrected with Reissue. The
// printed fields are taken now — the course title and dates from the
// catalogue, the name as the person asked for it on the booking — and
// never change afterwards. Audited as certificate.issue.
func (s *Issuer) Issue(ctx context.Context, comp Completion, actor audit.Actor) (c Certificate, created bool, err error) {
	course, ev, err := s.opts.Events.Event(ctx, comp.EventID)
	if err != nil {
		return Certificate{}, false, fmt.Errorf("certificates: issue for booking %d: %w", comp.BookingID, err)
	}
	err = database.InTx(ctx, s.opts.DB, func(tx *sql.Tx) error {
		c, created, err = s.issue(ctx, tx, course, ev, comp, actor)
		return err
	})
	if err != nil {
		return Certificate{}, false, fmt.Errorf("certificates: issue for booking %d: %w", comp.BookingID, err)
	}
	return c, created, nil
}

// issue is Issue inside tx.
func (s *Issuer) issue(ctx context.Context, tx *sql.Tx, course catalog.Course, ev catalog.Event, comp Completion,
	actor audit.Actor) (Certificate, bool, error) {
	return s.issueAs(ctx, tx, course, ev, comp, "", "", actor)
}

// issueAs is issue with printAs, when not empty, the name to print
// instead of the booking's (IssueAs), audited with reason.
func (s *Issuer) issueAs(ctx context.Context, tx *sql.Tx, course catalog.Course, ev catalog.Event, comp Completion,
	printAs, reason string, actor audit.Actor) (Certificate, bool, error) {
	if comp.EventID != ev.ID {
		return Certificate{}, false, fmt.Errorf("completion of event %d issued on event %d", comp.EventID, ev.ID)
	}
	if s.opts.DB.Dialect == database.Postgres {
		// Two coordinators issuing at once: the second waits for the
		// first and then finds its certificate. (SQLite's writers are
		// one at a time already.)
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM bookings WHERE id = $1 FOR UPDATE`, comp.BookingID).Scan(&id); err != nil {
			return Certificate{}, false, fmt.Errorf("booking %d: %w", comp.BookingID, err)
		}
	}
	if cur, err := current(ctx, tx, comp.BookingID); err == nil {
		return cur, false, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Certificate{}, false, err
	}
	name := strings.TrimSpace(comp.Name)
	if printAs != "" {
		name = printAs
	}
	if err := Printable(name); err != nil {
		return Certificate{}, false, err
	}
	c := Certificate{BookingID: comp.BookingID, EventID: ev.ID, Email: comp.Email, Name: name,
		CourseTitle: course.Title, Dates: ev.DateLabel(), CPDMinutes: comp.CPDMinutes, Provider: s.opts.Provider,
		IssuedAt: s.now(), IssuedBy: actor.String(), State: Valid}
	if err := insert(ctx, tx, &c); err != nil {
		return Certificate{}, false, err
	}
	after := c.audit()
	if name != strings.TrimSpace(comp.Name) {
		after.BookedAs = &bookedAs{Name: strings.TrimSpace(comp.Name)}
	}
	if err := audit.Record(ctx, tx, c.IssuedAt, actor, "certificate.issue", "certificate", c.ID, nil, after, reason); err != nil {
		return Certificate{}, false, err
	}
	return c, true, nil
}

// IssueAs issues the certificate of a booking that completed the date with
// the name as it should be printed, typed by staff — for a name the
// certificate's fonts cannot print (Chinese, Japanese, Korean, Indic,
// Arabic, Hebrew, Thai), in letters they can, such as a romanised form the
// person gave. The booking keeps its own name; the certificate (its PDF,
// /verify, its e-mail) carries the typed one. Audited as certificate.issue
// with the booking's name beside it (booked_as) and note as the reason.
// A name empty, too long or still not printable is a FormError on "name";
// so is a booking that is not (or no longer) among the date's
// completions. A booking that has a certificate keeps it (created is
// false): a correction is a Reissue. "Send all" and the thank-you later
// send it like any other.
func (s *Issuer) IssueAs(ctx context.Context, eventID, bookingID int64, name, note string, actor audit.Actor) (c Certificate, created bool, err error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return Certificate{}, false, FormError{"name": "Type the name as it should be printed."}
	case utf8.RuneCountInString(name) > 200:
		return Certificate{}, false, FormError{"name": "A name can have at most 200 characters."}
	}
	if err := Printable(name); err != nil {
		return Certificate{}, false, err
	}
	if s.opts.Completions == nil {
		return Certificate{}, false, ErrNoRegister
	}
	course, ev, err := s.opts.Events.Event(ctx, eventID)
	if err != nil {
		return Certificate{}, false, fmt.Errorf("certificates: issue for booking %d: %w", bookingID, err)
	}
	done, err := s.opts.Completions.Completed(ctx, eventID)
	if err != nil {
		return Certificate{}, false, fmt.Errorf("certificates: issue for booking %d: %w", bookingID, err)
	}
	i := slices.IndexFunc(done, func(c Completion) bool { return c.BookingID == bookingID })
	if i < 0 {
		return Certificate{}, false, FormError{"name": "This booking has not completed the date (the register says who has): nothing was issued."}
	}
	err = database.InTx(ctx, s.opts.DB, func(tx *sql.Tx) error {
		// The date's lock, as "send all" and the thank-you take it.
		if err := lockDate(ctx, tx, s.opts.DB.Dialect, eventID); err != nil {
			return err
		}
		c, created, err = s.issueAs(ctx, tx, course, ev, done[i], name, strings.TrimSpace(note), actor)
		return err
	})
	if err != nil {
		return Certificate{}, false, fmt.Errorf("certificates: issue for booking %d: %w", bookingID, err)
	}
	return c, created, nil
}

// Reissue replaces a valid certificate by a new one with the name
// corrected (and a new code); the old one becomes Replaced, pointing at
// the new, so the old PDF no longer verifies as valid. Every other printed
// field is carried over as it was. Audited as certificate.reissue, with
// reason. A name left empty is a FormError; a certificate revoked or
// already replaced is ErrNotValid.
func (s *Issuer) Reissue(ctx context.Context, code, name, reason string, actor audit.Actor) (Certificate, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return Certificate{}, FormError{"name": "Type the name as it should be printed."}
	case utf8.RuneCountInString(name) > 200:
		return Certificate{}, FormError{"name": "A name can have at most 200 characters."}
	}
	if err := Printable(name); err != nil {
		return Certificate{}, err
	}
	var out Certificate
	err := database.InTx(ctx, s.opts.DB, func(tx *sql.Tx) error {
		old, err := byCode(ctx, tx, code)
		if err != nil {
			return err
		}
		if old.State != Valid {
			return ErrNotValid
		}
		before := old.audit()
		// The partial unique index allows one current certificate per
		// booking: the old one steps aside before the new one goes in.
		// Only while it is still valid: of two reissues (or a reissue and
		// a revocation) at once, the second finds it changed.
		if err := updateValid(ctx, tx, `UPDATE certificates SET state = $1 WHERE id = $2 AND state = 'valid'`,
			string(Replaced), old.ID); err != nil {
			return err
		}
		c := old
		c.ID, c.Name, c.IssuedAt, c.IssuedBy, c.State = 0, name, s.now(), actor.String(), Valid
		if err := insert(ctx, tx, &c); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE certificates SET replaced_by = $1 WHERE id = $2`, c.ID, old.ID); err != nil {
			return err
		}
		old.State, old.ReplacedBy, old.ReplacedCode = Replaced, c.ID, c.Code
		if err := audit.Record(ctx, tx, c.IssuedAt, actor, "certificate.reissue", "certificate", old.ID, before, old.audit(), reason); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, c.IssuedAt, actor, "certificate.issue", "certificate", c.ID, nil, c.audit(), reason); err != nil {
			return err
		}
		out = c
		return nil
	})
	if err != nil {
		return Certificate{}, fmt.Errorf("certificates: reissue %s: %w", DisplayCode(code), err)
	}
	return out, nil
}

// Revoke withdraws a valid certificate for a reason (kept for staff; the
// public page shows only that and when it was revoked). Audited as
// certificate.revoke with the reason.
func (s *Issuer) Revoke(ctx context.Context, code, reason string, actor audit.Actor) (Certificate, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return Certificate{}, FormError{"reason": "Say why the certificate is revoked."}
	case utf8.RuneCountInString(reason) > 1000:
		return Certificate{}, FormError{"reason": "A reason can have at most 1000 characters."}
	}
	var out Certificate
	err := database.InTx(ctx, s.opts.DB, func(tx *sql.Tx) error {
		c, err := byCode(ctx, tx, code)
		if err != nil {
			return err
		}
		if c.State != Valid {
			return ErrNotValid
		}
		before := c.audit()
		c.State, c.RevokedAt, c.RevokedReason = Revoked, s.now(), reason
		if err := updateValid(ctx, tx, `UPDATE certificates SET state = $1, revoked_at = $2, revoked_reason = $3 WHERE id = $4 AND state = 'valid'`,
			string(c.State), c.RevokedAt, c.RevokedReason, c.ID); err != nil {
			return err
		}
		out = c
		return audit.Record(ctx, tx, c.RevokedAt, actor, "certificate.revoke", "certificate", c.ID, before, c.audit(), reason)
	})
	if err != nil {
		return Certificate{}, fmt.Errorf("certificates: revoke %s: %w", DisplayCode(code), err)
	}
	return out, nil
}

// updateValid runs an UPDATE of one certificate that holds only while it
// is valid: no row changed means another change got there first
// (ErrNotValid).
func updateValid(ctx context.Context, tx *sql.Tx, query string, args ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotValid
	}
	return nil
}

// ByCode finds a certificate by its code, as typed (see NormalizeCode);
// an unknown or malformed code is ErrNotFound.
func (s *Issuer) ByCode(ctx context.Context, code string) (Certificate, error) {
	return byCode(ctx, s.opts.DB, code)
}

// ForBooking is the booking's current certificate (valid or revoked;
// never a replaced one), or ErrNotFound.
func (s *Issuer) ForBooking(ctx context.Context, bookingID int64) (Certificate, error) {
	return current(ctx, s.opts.DB, bookingID)
}

// ForEvent lists every certificate of a date, replaced ones included,
// by booking and then issue.
func (s *Issuer) ForEvent(ctx context.Context, eventID int64) ([]Certificate, error) {
	rows, err := s.opts.DB.QueryContext(ctx, selectCertificate+` WHERE c.event_id = $1 ORDER BY c.booking_id, c.id`, eventID)
	if err != nil {
		return nil, fmt.Errorf("certificates: of event %d: %w", eventID, err)
	}
	defer rows.Close()
	var out []Certificate
	for rows.Next() {
		c, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("certificates: of event %d: %w", eventID, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// insert stores c with a fresh code, setting its ID and Code.
func insert(ctx context.Context, tx *sql.Tx, c *Certificate) error {
	for range 5 {
		code, err := newCode()
		if err != nil {
			return err
		}
		var taken int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM certificates WHERE code = $1`, code).Scan(&taken); err != nil {
			return err
		}
		if taken > 0 {
			continue
		}
		c.Code = code
		return tx.QueryRowContext(ctx, `
			INSERT INTO certificates (code, booking_id, event_id, email, name, course_title, dates, cpd_minutes, provider,
				issued_at, issued_by, state)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			c.Code, c.BookingID, c.EventID, c.Email, c.Name, c.CourseTitle, c.Dates, c.CPDMinutes, c.Provider,
			c.IssuedAt, c.IssuedBy, string(c.State)).Scan(&c.ID)
	}
	return errors.New("no free code after five tries")
}

const selectCertificate = `
	SELECT c.id, c.code, c.booking_id, c.event_id, c.email, c.name, c.course_title, c.dates, c.cpd_minutes, c.provider,
		c.issued_at, c.issued_by, c.state, c.revoked_at, c.revoked_reason, COALESCE(c.replaced_by, 0), COALESCE(r.code, '')
	FROM certificates c LEFT JOIN certificates r ON r.id = c.replaced_by`

func scan(row interface{ Scan(...any) error }) (Certificate, error) {
	var c Certificate
	var state string
	var revoked sql.NullTime
	err := row.Scan(&c.ID, &c.Code, &c.BookingID, &c.EventID, &c.Email, &c.Name, &c.CourseTitle, &c.Dates, &c.CPDMinutes,
		&c.Provider, &c.IssuedAt, &c.IssuedBy, &state, &revoked, &c.RevokedReason, &c.ReplacedBy, &c.ReplacedCode)
	if errors.Is(err, sql.ErrNoRows) {
		return Certificate{}, ErrNotFound
	}
	c.State, c.IssuedAt = State(state), c.IssuedAt.UTC()
	if revoked.Valid {
		c.RevokedAt = revoked.Time.UTC()
	}
	return c, err
}

func byCode(ctx context.Context, q database.Querier, typed string) (Certificate, error) {
	code, ok := NormalizeCode(typed)
	if !ok {
		return Certificate{}, ErrNotFound
	}
	return scan(q.QueryRowContext(ctx, selectCertificate+` WHERE c.code = $1`, code))
}

func current(ctx context.Context, q database.Querier, bookingID int64) (Certificate, error) {
	return scan(q.QueryRowContext(ctx, selectCertificate+` WHERE c.booking_id = $1 AND c.state <> 'replaced'`, bookingID))
}

// Line is one person on a date's certificates: a completion with the
// booking's current certificate, or a certificate whose booking no
// longer counts as completed (the register changed after it was issued).
type Line struct {
	BookingID   int64
	Name, Email string
	Completed   bool
	CPDMinutes  int
	Certificate *Certificate // the current one (valid or revoked); nil before issue
	Replaced    []Certificate
	// Unprintable, for a completion not yet issued, are the letters of
	// its name the certificate's fonts cannot print ("王 小 明"): staff
	// issue it with IssueAs. Empty when the name prints.
	Unprintable string
}

// ForDate lists who completed the date and the certificates of its
// bookings, for the staff page: completions first, in the register's
// order, then certificates of bookings that are not (or no longer) among
// them.
func (s *Issuer) ForDate(ctx context.Context, eventID int64) ([]Line, error) {
	var done []Completion
	if s.opts.Completions != nil {
		var err error
		if done, err = s.opts.Completions.Completed(ctx, eventID); err != nil {
			return nil, fmt.Errorf("certificates: for event %d: %w", eventID, err)
		}
	}
	all, err := s.ForEvent(ctx, eventID)
	if err != nil {
		return nil, err
	}
	var out []Line
	at := map[int64]int{}
	for _, c := range done {
		at[c.BookingID] = len(out)
		out = append(out, Line{BookingID: c.BookingID, Name: c.Name, Email: c.Email, Completed: true, CPDMinutes: c.CPDMinutes})
	}
	for _, c := range all {
		i, ok := at[c.BookingID]
		if !ok {
			i = len(out)
			at[c.BookingID] = i
			out = append(out, Line{BookingID: c.BookingID, Name: c.Name, Email: c.Email, CPDMinutes: c.CPDMinutes})
		}
		if c.State == Replaced {
			out[i].Replaced = append(out[i].Replaced, c)
		} else {
			cur := c
			out[i].Certificate = &cur
		}
	}
	for i := range out {
		if out[i].Completed && out[i].Certificate == nil {
			out[i].Unprintable = UnprintableLetters(out[i].Name)
		}
	}
	return out, nil
}
