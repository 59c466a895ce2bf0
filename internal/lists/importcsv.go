package lists

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"plenary/internal/audit"
	"plenary/internal/database"
)

// Importing subscribers from a CSV file (the staff area's
// /admin/lists/import and `plenary lists import`): ReadImport checks the
// file, PreviewImport counts what a run would do, RunImport does it in
// one transaction. Two modes: ImportConfirm sends each new address the
// double opt-in e-mail; ImportHeld records consent the organisation
// already holds — with a source and a date of consent, per file or per
// row; a row without them becomes a waiting subscription sent the
// confirmation e-mail. An address withdrawn or suppressed is never
// subscribed again by an import, and running the same file twice changes
// nothing the second time.

// ImportMode is how an import treats new addresses.
type ImportMode string

// The import modes.
const (
	ImportConfirm ImportMode = "confirm" // send a confirmation e-mail
	ImportHeld    ImportMode = "held"    // consent already held
)

// The bounds of one import.
const (
	MaxImportBytes = 5 << 20
	MaxImportRows  = 20000
)

// ErrImportTooLarge is a file over MaxImportBytes or MaxImportRows.
var ErrImportTooLarge = fmt.Errorf("lists: import: the file is over %d MB or %d rows: split it and import each part",
	MaxImportBytes>>20, MaxImportRows)

// ImportOptions are what an import is of and how.
type ImportOptions struct {
	Mode ImportMode
	// What the file's addresses subscribe to: ScopeCourse (CourseID and
	// CourseTitle), ScopeTopic (Topic) or ScopeAll.
	Scope       Scope
	CourseID    int64
	CourseTitle string
	Topic       string
	// Source and Date are where the consent came from and its day
	// (YYYY-MM-DD), for every row without its own (ImportHeld).
	Source string
	Date   string
}

// ImportRow is one good row of the file.
type ImportRow struct {
	Line                int
	Email, Name         string
	Source, ConsentedOn string // ImportHeld: both, or the row needs a confirmation
}

// BadRow is a row of the file refused, with why.
type BadRow struct {
	Line   int
	Reason string
}

// Import is a file read and checked, ready to preview or run.
type Import struct {
	Options ImportOptions
	Rows    []ImportRow
	Bad     []BadRow
	Now     time.Time // for the check that a date of consent is not in the future
	request Request
}

// ImportReport counts what an import did, or would do.
type ImportReport struct {
	New         int // new, sent the confirmation e-mail (ImportConfirm)
	Held        int // confirmed on consent already held: new, or waiting for confirmation before
	Unconfirmed int // ImportHeld rows without source or date: sent the confirmation e-mail
	Waiting     int // already waiting for confirmation with a link that still works: nothing sent
	Resent      int // waiting with a link that expired: sent a fresh one
	// Capped are rows due a confirmation e-mail that the address cannot be
	// sent today: it has had PerAddressPerDay already. Nothing is made
	// or sent; importing the file again another day sends it.
	Capped           int
	AlreadyConfirmed int
	// Refused are addresses an import never subscribes: suppressed on any
	// list, withdrawn from this one, or (ImportHeld) withdrawn from any.
	Refused int
	Bad     []BadRow
}

// Changes is how many subscriptions the import adds, confirms or asks
// again.
func (r ImportReport) Changes() int { return r.New + r.Held + r.Unconfirmed + r.Resent }

// maxImportNote bounds a consent source's length.
const maxImportNote = 200

// checkNote refuses a source that is too long or holds control characters.
func checkNote(s string) bool {
	return utf8.ValidString(s) && utf8.RuneCountInString(s) <= maxImportNote && strings.IndexFunc(s, unicode.IsControl) < 0
}

// london is the zone whose calendar says what "today" is for a date of
// consent: the organisation's (UTC if the zone data is missing).
var london = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		return time.UTC
	}
	return loc
})

// checkDate reads a date of consent: YYYY-MM-DD, not after today in
// Europe/London.
func checkDate(s string, now time.Time) (string, string) {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		return "", "the date of consent is not a date like 2025-03-31"
	}
	day := d.Format("2006-01-02")
	if day > now.In(london()).Format("2006-01-02") {
		return "", "the date of consent is in the future"
	}
	return day, ""
}

// ReadImport reads a CSV file: a header row naming an email column and,
// optionally, name, consent_source and consent_date (any case, any
// order). Options it cannot use are a FormError ("mode", "scope",
// "source", "date", "file"); a file too large is ErrImportTooLarge. Rows
// it cannot use are listed in Bad with their line numbers.
func ReadImport(r io.Reader, opts ImportOptions, now time.Time) (*Import, error) {
	ferr := FormError{}
	if opts.Mode != ImportConfirm && opts.Mode != ImportHeld {
		ferr["mode"] = "Choose how to treat new addresses."
	}
	opts.Source, opts.Date = strings.TrimSpace(opts.Source), strings.TrimSpace(opts.Date)
	if !checkNote(opts.Source) {
		ferr["source"] = fmt.Sprintf("Describe the source in at most %d characters, on one line.", maxImportNote)
	}
	if opts.Date != "" {
		d, why := checkDate(opts.Date, now)
		if why != "" {
			ferr["date"] = "Enter a date like 2025-03-31, not in the future."
		}
		opts.Date = d
	}
	// The request every row is checked as (its address swapped in).
	req := Request{Email: "check@example.org", Scope: opts.Scope, CourseID: opts.CourseID, CourseTitle: opts.CourseTitle,
		Topic: opts.Topic, Source: FromImport, Wording: ConfirmWording.Version}
	req, err := req.clean()
	var rerr FormError
	if errors.As(err, &rerr) {
		for k, v := range rerr {
			ferr[k] = v
		}
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return nil, fmt.Errorf("lists: import: %w", err)
	}
	if len(data) > MaxImportBytes {
		return nil, ErrImportTooLarge
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a spreadsheet's byte-order mark
	imp := &Import{Options: opts, Now: now, request: req}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		ferr["file"] = "The file is empty or not CSV: its first line must name the columns, email first or anywhere."
		return nil, ferr
	}
	cols := map[string]int{}
	for i, h := range header {
		cols[strings.ToLower(strings.TrimSpace(h))] = i
	}
	emailCol, ok := cols["email"]
	if !ok {
		ferr["file"] = "The first line must name the columns, with one called email (and, if you like, name, consent_source, consent_date)."
	}
	if len(ferr) > 0 {
		return nil, ferr
	}
	cell := func(rec []string, name string) string {
		if i, ok := cols[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) && perr.Line > perr.StartLine {
			// A quoted field ran over lines: every line after it may
			// have been swallowed, so no row of the file can be trusted.
			ferr["file"] = fmt.Sprintf("line %d: a quote opened here is never closed (the file runs on to line %d as one field); "+
				"nothing was imported. Fix the quote, or remove it, and import the file again.", perr.StartLine, perr.Line)
			return nil, ferr
		}
		if errors.As(err, &perr) {
			imp.Bad = append(imp.Bad, BadRow{Line: perr.StartLine, Reason: "not readable as CSV: " + perr.Err.Error()})
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("lists: import: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(imp.Rows)+len(imp.Bad) >= MaxImportRows {
			return nil, ErrImportTooLarge
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		row := ImportRow{Line: line, Email: cell(rec, "email"), Name: cell(rec, "name"),
			Source: cell(rec, "consent_source"), ConsentedOn: cell(rec, "consent_date")}
		if emailCol >= len(rec) {
			imp.Bad = append(imp.Bad, BadRow{line, "no e-mail address"})
			continue
		}
		check := req
		check.Email, check.Name = row.Email, row.Name
		if _, err := check.clean(); err != nil {
			var fe FormError
			errors.As(err, &fe)
			switch {
			case row.Email == "":
				imp.Bad = append(imp.Bad, BadRow{line, "no e-mail address"})
			case fe["email"] != "":
				imp.Bad = append(imp.Bad, BadRow{line, fmt.Sprintf("%q is not an e-mail address", row.Email)})
			default:
				imp.Bad = append(imp.Bad, BadRow{line, fmt.Sprintf("the name is longer than %d characters or has control characters", maxName)})
			}
			continue
		}
		row.Name = strings.Join(strings.Fields(row.Name), " ")
		if first, dup := seen[emailKey(row.Email)]; dup {
			imp.Bad = append(imp.Bad, BadRow{line, fmt.Sprintf("the same address as line %d", first)})
			continue
		}
		if !checkNote(row.Source) {
			imp.Bad = append(imp.Bad, BadRow{line, fmt.Sprintf("the consent source is longer than %d characters or has control characters", maxImportNote)})
			continue
		}
		if row.ConsentedOn != "" {
			d, why := checkDate(row.ConsentedOn, now)
			if why != "" {
				imp.Bad = append(imp.Bad, BadRow{line, why})
				continue
			}
			row.ConsentedOn = d
		}
		if row.Source == "" {
			row.Source = opts.Source
		}
		if row.ConsentedOn == "" {
			row.ConsentedOn = opts.Date
		}
		seen[emailKey(row.Email)] = line
		imp.Rows = append(imp.Rows, row)
	}
	return imp, nil
}

// held says whether row is recorded as consent already held.
func (imp *Import) held(row ImportRow) bool {
	return imp.Options.Mode == ImportHeld && row.Source != "" && row.ConsentedOn != ""
}

// PreviewImport counts what RunImport would do now, changing nothing. It
// only reads, outside any write transaction: a preview never holds up
// the site's writers.
func (s *Service) PreviewImport(ctx context.Context, imp *Import) (ImportReport, error) {
	return s.importRows(ctx, s.opts.DB, nil, imp)
}

// RunImport imports the file in one transaction, all or nothing, and
// records it in the audit log (list.import, with the counts).
func (s *Service) RunImport(ctx context.Context, actor audit.Actor, imp *Import) (ImportReport, error) {
	if !s.Enabled() {
		return ImportReport{}, ErrNotConfigured
	}
	if _, err := s.key(ctx); err != nil {
		return ImportReport{}, err
	}
	var rep ImportReport
	err := database.InTx(ctx, s.opts.DB, func(tx *sql.Tx) error {
		var err error
		if rep, err = s.importRows(ctx, tx, tx, imp); err != nil {
			return err
		}
		after := map[string]any{"mode": imp.Options.Mode, "target": imp.request.targetKey(), "new": rep.New, "held": rep.Held,
			"unconfirmed": rep.Unconfirmed, "waiting": rep.Waiting, "resent": rep.Resent, "capped": rep.Capped,
			"already_confirmed": rep.AlreadyConfirmed, "refused": rep.Refused, "bad_rows": len(rep.Bad),
			"source": imp.Options.Source, "date": imp.Options.Date}
		return audit.Record(ctx, tx, s.now(), actor, "list.import", "list", imp.Options.CourseID, nil, after, "")
	})
	return rep, err
}

// addressState is what an address already has, for an import's row.
type addressState struct {
	id         int64  // the subscription to the import's target, 0 when none
	status     Status // its status
	expired    bool   // it waits with a link that no longer works
	suppressed bool   // suppressed on any list
	withdrawn  bool   // withdrawn from any list
}

func readAddress(ctx context.Context, q database.Querier, key, target string, now time.Time) (addressState, error) {
	var st addressState
	rows, err := q.QueryContext(ctx, `SELECT id, target_key, status, token_expires_at FROM list_subscriptions WHERE email_key = $1`, key)
	if err != nil {
		return st, fmt.Errorf("lists: import: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id      int64
			t, s    string
			expires sql.NullTime
		)
		if err := rows.Scan(&id, &t, &s, &expires); err != nil {
			return st, fmt.Errorf("lists: import: %w", err)
		}
		st.suppressed = st.suppressed || Status(s) == Suppressed
		st.withdrawn = st.withdrawn || Status(s) == Withdrawn
		if t == target {
			st.id, st.status = id, Status(s)
			st.expired = !expires.Valid || !now.Before(expires.Time)
		}
	}
	return st, rows.Err()
}

// importRows classifies each row against the subscriptions q sees and,
// given tx (RunImport), acts on it in tx; without tx (PreviewImport) it
// only counts.
func (s *Service) importRows(ctx context.Context, q database.Querier, tx *sql.Tx, imp *Import) (ImportReport, error) {
	rep := ImportReport{Bad: imp.Bad}
	now := s.now()
	req := imp.request
	target, what := req.targetKey(), req.what()
	var course any
	if req.Scope == ScopeCourse {
		course = req.CourseID
	}
	held := ExternalWording
	for _, row := range imp.Rows {
		key := emailKey(row.Email)
		st, err := readAddress(ctx, q, key, target, now)
		if err != nil {
			return rep, err
		}
		switch {
		case st.status == Confirmed:
			rep.AlreadyConfirmed++
			continue
		case st.suppressed || st.status == Withdrawn || (imp.Options.Mode == ImportHeld && st.withdrawn):
			rep.Refused++
			continue
		}
		if imp.held(row) {
			// Consent held, with its source and date: a new subscription,
			// or a waiting one, is confirmed on it.
			if tx == nil {
				rep.Held++
				continue
			}
			id := st.id
			if id == 0 {
				err = tx.QueryRowContext(ctx, `INSERT INTO list_subscriptions (email, email_key, name, scope, course_id, topic,
						target_key, status, requested_at, confirmed_at)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
					ON CONFLICT (email_key, target_key) DO NOTHING RETURNING id`,
					row.Email, key, row.Name, string(req.Scope), course, req.Topic, target, string(Confirmed), now).Scan(&id)
			} else {
				err = tx.QueryRowContext(ctx, `UPDATE list_subscriptions SET status = $1, confirmed_at = $2, withdrawn_at = NULL,
						token_hash = NULL, token_expires_at = NULL
					WHERE id = $3 AND status = $4 RETURNING id`, string(Confirmed), now, id, string(Requested)).Scan(&id)
			}
			if errors.Is(err, sql.ErrNoRows) {
				rep.Waiting++ // made or changed at the same moment by another request
				continue
			}
			if err != nil {
				return rep, fmt.Errorf("lists: import: line %d: %w", row.Line, err)
			}
			e := Evidence{SubscriptionID: id, Email: row.Email, What: what, WordingVersion: held.Version, WordingSHA256: held.SHA256(),
				Source: FromImport, Step: stepRequested, At: now, SourceNote: row.Source, ConsentedOn: row.ConsentedOn}
			if err := addEvidence(ctx, tx, e); err != nil {
				return rep, err
			}
			e.Step = stepConfirmed
			if err := addEvidence(ctx, tx, e); err != nil {
				return rep, err
			}
			rep.Held++
			continue
		}
		if st.status == Requested && !st.expired {
			rep.Waiting++ // its link still works: nothing is sent again
			continue
		}
		// A confirmation e-mail: a new subscription, or a fresh link for
		// one whose link expired, through Subscribe's own path.
		var outcome askOutcome
		if tx == nil {
			capped, err := s.capped(ctx, q, key, now)
			if err != nil {
				return rep, err
			}
			if capped {
				outcome = askCapped
			}
		} else {
			r := req
			r.Email, r.Name = row.Email, row.Name
			if outcome, err = s.askConfirmation(ctx, tx, ask{r: r, note: row.Source, consentedOn: row.ConsentedOn}, now); err != nil {
				return rep, fmt.Errorf("lists: import: line %d: %w", row.Line, err)
			}
		}
		switch {
		case outcome == askCapped:
			rep.Capped++
		case outcome == askRaced || outcome == askUnchanged:
			rep.Waiting++ // made or changed at the same moment by another request
		case st.status == Requested:
			rep.Resent++
		case imp.Options.Mode == ImportHeld:
			rep.Unconfirmed++
		default:
			rep.New++
		}
	}
	return rep, nil
}
