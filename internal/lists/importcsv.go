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
	New              int // new, sent the confirmation e-mail (ImportConfirm)
	Held             int // new, confirmed on consent already held
	Unconfirmed      int // ImportHeld rows without source or date: sent the confirmation e-mail
	Waiting          int // already waiting for confirmation: nothing sent
	AlreadyConfirmed int
	Refused          int // withdrawn or suppressed: never subscribed again by an import
	Bad              []BadRow
}

// Changes is how many subscriptions the import adds.
func (r ImportReport) Changes() int { return r.New + r.Held + r.Unconfirmed }

// maxImportNote bounds a consent source's length.
const maxImportNote = 200

// checkNote refuses a source that is too long or holds control characters.
func checkNote(s string) bool {
	return utf8.ValidString(s) && utf8.RuneCountInString(s) <= maxImportNote && strings.IndexFunc(s, unicode.IsControl) < 0
}

// checkDate reads a date of consent: YYYY-MM-DD, not after today.
func checkDate(s string, now time.Time) (string, string) {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		return "", "the date of consent is not a date like 2025-03-31"
	}
	if d.After(now) {
		return "", "the date of consent is in the future"
	}
	return d.Format("2006-01-02"), ""
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
		Topic: opts.Topic, Source: FromImport, Wording: CourseWording.Version}
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

// PreviewImport counts what RunImport would do now, changing nothing.
func (s *Service) PreviewImport(ctx context.Context, imp *Import) (ImportReport, error) {
	var rep ImportReport
	err := database.InTx(ctx, s.opts.DB, func(tx *sql.Tx) error {
		var err error
		rep, err = s.importRows(ctx, tx, imp, false)
		return err
	})
	return rep, err
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
		if rep, err = s.importRows(ctx, tx, imp, true); err != nil {
			return err
		}
		after := map[string]any{"mode": imp.Options.Mode, "target": imp.request.targetKey(), "new": rep.New, "held": rep.Held,
			"unconfirmed": rep.Unconfirmed, "waiting": rep.Waiting, "already_confirmed": rep.AlreadyConfirmed,
			"refused": rep.Refused, "bad_rows": len(rep.Bad), "source": imp.Options.Source, "date": imp.Options.Date}
		return audit.Record(ctx, tx, s.now(), actor, "list.import", "list", imp.Options.CourseID, nil, after, "")
	})
	return rep, err
}

// importRows classifies each row against the subscriptions in tx and,
// with run, makes the new ones.
func (s *Service) importRows(ctx context.Context, tx *sql.Tx, imp *Import, run bool) (ImportReport, error) {
	rep := ImportReport{Bad: imp.Bad}
	now := s.now()
	req := imp.request
	target, what := req.targetKey(), req.what()
	var course any
	if req.Scope == ScopeCourse {
		course = req.CourseID
	}
	for _, row := range imp.Rows {
		key := emailKey(row.Email)
		var status string
		err := tx.QueryRowContext(ctx, `SELECT status FROM list_subscriptions WHERE email_key = $1 AND target_key = $2`,
			key, target).Scan(&status)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return rep, fmt.Errorf("lists: import: %w", err)
		case Status(status) == Confirmed:
			rep.AlreadyConfirmed++
			continue
		case Status(status) == Requested:
			rep.Waiting++
			continue
		default:
			rep.Refused++
			continue
		}
		held := imp.held(row)
		switch {
		case held:
			rep.Held++
		case imp.Options.Mode == ImportHeld:
			rep.Unconfirmed++
		default:
			rep.New++
		}
		if !run {
			continue
		}
		status = string(Requested)
		var confirmed any
		if held {
			status, confirmed = string(Confirmed), now
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO list_subscriptions (email, email_key, name, scope, course_id, topic,
				target_key, status, requested_at, confirmed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			row.Email, key, row.Name, string(req.Scope), course, req.Topic, target, status, now, confirmed).Scan(&id); err != nil {
			return rep, fmt.Errorf("lists: import: line %d: %w", row.Line, err)
		}
		e := Evidence{SubscriptionID: id, Email: row.Email, What: what, Source: FromImport, Step: stepRequested, At: now,
			SourceNote: row.Source, ConsentedOn: row.ConsentedOn}
		if err := addEvidence(ctx, tx, e); err != nil {
			return rep, err
		}
		if held {
			e.Step = stepConfirmed
			if err := addEvidence(ctx, tx, e); err != nil {
				return rep, err
			}
			continue
		}
		if err := s.queueConfirmation(ctx, tx, id, row.Email, row.Name, what, now); err != nil {
			return rep, err
		}
	}
	return rep, nil
}
