package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"plenary/internal/database"
)

// Erased replaces a redacted value in an entry.
const Erased = "[erased]"

// personalKeys are the fields of an entry's before and after that name a
// person, whatever package recorded them: a redaction blanks them all.
var personalKeys = map[string]bool{
	"name": true, "email": true, "role": true, "registration_number": true,
	"access_needs": true, "answers": true, "to": true, "to_email": true, "to_name": true,
	"note": true, "notes": true,
}

// People is the audit log's part of a person's data (see package person):
// the entries that mention an address. The entries stay — the log is
// append-only and its history must still add up — with the person's
// details redacted.
type People struct{}

// Export returns the entries that mention email, oldest first.
func (People) Export(ctx context.Context, q database.Querier, email string) (any, error) {
	ids, err := mentioning(ctx, q, email)
	if err != nil {
		return nil, err
	}
	return entriesByID(ctx, q, ids)
}

// Erase redacts email (and the personal fields) from the entries that
// mention it, and returns how many it changed.
func (People) Erase(ctx context.Context, tx *sql.Tx, email string, _ time.Time) (int, error) {
	ids, err := mentioning(ctx, tx, email)
	if err != nil {
		return 0, err
	}
	return redactIDs(ctx, tx, ids, []string{email})
}

// Redact redacts the entries about object's ids: the personal fields of
// their before and after, and any value or reason that contains one of
// terms (a name, an address), whatever its case. It returns how many
// entries changed. The entries themselves stay.
func Redact(ctx context.Context, tx *sql.Tx, object string, ids []int64, terms []string) (int, error) {
	var entries []int64
	err := database.InBatches(ids, func(marks string, args []any) error {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM audit_log WHERE object = $1 AND object_id IN (`+shift(marks)+`)`,
			append([]any{object}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			entries = append(entries, id)
		}
		return rows.Err()
	})
	if err != nil {
		return 0, fmt.Errorf("audit: redact %s: %w", object, err)
	}
	return redactIDs(ctx, tx, entries, terms)
}

// shift renumbers InBatches' marks "$1, $2" to start at $2.
func shift(marks string) string {
	parts := strings.Split(marks, ", ")
	for i := range parts {
		parts[i] = fmt.Sprintf("$%d", i+2)
	}
	return strings.Join(parts, ", ")
}

// mentioning returns the IDs of the entries whose before, after or reason
// contain email, whatever its case (compared in Go: LOWER differs between
// the engines beyond ASCII).
func mentioning(ctx context.Context, q database.Querier, email string) ([]int64, error) {
	needle := strings.ToLower(strings.TrimSpace(email))
	if needle == "" {
		return nil, nil
	}
	at := strings.Index(needle, "@")
	// The LIKE narrows to entries holding the address's domain (any case
	// on SQLite; PostgreSQL's LIKE minds case, so it is lowered there as
	// well); Go decides.
	rows, err := q.QueryContext(ctx, `SELECT id, before_json, after_json, reason FROM audit_log
		WHERE LOWER(before_json) LIKE $1 OR LOWER(after_json) LIKE $1 OR LOWER(reason) LIKE $1 ORDER BY id`,
		"%"+likeEscape(needle[at+1:])+"%")
	if err != nil {
		return nil, fmt.Errorf("audit: entries mentioning an address: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		var b, a, r string
		if err := rows.Scan(&id, &b, &a, &r); err != nil {
			return nil, err
		}
		if containsFold(b, needle) || containsFold(a, needle) || containsFold(r, needle) {
			ids = append(ids, id)
		}
	}
	return ids, rows.Err()
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func containsFold(s, lowerNeedle string) bool {
	return lowerNeedle != "" && strings.Contains(strings.ToLower(s), lowerNeedle)
}

// entriesByID reads the entries with ids, oldest first.
func entriesByID(ctx context.Context, q database.Querier, ids []int64) ([]Entry, error) {
	out := []Entry{}
	err := database.InBatches(ids, func(marks string, args []any) error {
		rows, err := q.QueryContext(ctx, `SELECT id, at, actor_kind, actor_id, actor_name, action, object, object_id,
			before_json, after_json, reason FROM audit_log WHERE id IN (`+marks+`) ORDER BY id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e Entry
			var kind, b, a string
			if err := rows.Scan(&e.ID, &e.At, &kind, &e.Actor.ID, &e.Actor.Name, &e.Action, &e.Object, &e.ObjectID,
				&b, &a, &e.Reason); err != nil {
				return err
			}
			e.Actor.Kind, e.At = ActorKind(kind), e.At.UTC()
			e.Before, e.After = json.RawMessage(b), json.RawMessage(a)
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("audit: entries: %w", err)
	}
	return out, nil
}

// redactIDs rewrites the entries with ids and returns how many changed.
func redactIDs(ctx context.Context, tx *sql.Tx, ids []int64, terms []string) (int, error) {
	var lower []string
	for _, t := range terms {
		if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
			lower = append(lower, t)
		}
	}
	entries, err := entriesByID(ctx, tx, ids)
	if err != nil {
		return 0, err
	}
	changed := 0
	for _, e := range entries {
		b, err := redactJSON(e.Before, lower)
		if err != nil {
			return 0, fmt.Errorf("audit: redact entry %d: %w", e.ID, err)
		}
		a, err := redactJSON(e.After, lower)
		if err != nil {
			return 0, fmt.Errorf("audit: redact entry %d: %w", e.ID, err)
		}
		r := e.Reason
		if mentions(r, lower) {
			r = Erased
		}
		if b == string(e.Before) && a == string(e.After) && r == e.Reason {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE audit_log SET before_json = $2, after_json = $3, reason = $4 WHERE id = $1`,
			e.ID, b, a, r); err != nil {
			return 0, fmt.Errorf("audit: redact entry %d: %w", e.ID, err)
		}
		changed++
	}
	return changed, nil
}

func mentions(s string, lowerTerms []string) bool {
	for _, t := range lowerTerms {
		if containsFold(s, t) {
			return true
		}
	}
	return false
}

// redactJSON blanks the personal fields of a JSON document and every
// string that mentions one of terms; the document's shape stays.
func redactJSON(raw json.RawMessage, terms []string) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return string(raw), nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	v = redactValue(v, terms, false)
	out, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	if jsonEqual(raw, out) {
		return string(raw), nil
	}
	return string(out), nil
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

func redactValue(v any, terms []string, personal bool) any {
	switch x := v.(type) {
	case map[string]any:
		for k, el := range x {
			x[k] = redactValue(el, terms, personal || personalKeys[k])
		}
		return x
	case []any:
		for i, el := range x {
			x[i] = redactValue(el, terms, personal)
		}
		return x
	case string:
		if (personal && x != "") || mentions(x, terms) {
			return Erased
		}
		return x
	}
	return v
}
