// Package person answers a person's requests about their data: everything
// Plenary holds about an e-mail address, as JSON (Export), and its erasure
// or anonymisation (Erase). It owns no table. Each package that holds
// something about people registers a Holder (cmd/plenary/wire.go), and
// the Registry asks them in the order they were registered, in one
// transaction, and records the request itself in the audit log.
package person

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"reflect"
	"strings"
	"time"

	"plenary/internal/audit"
	"plenary/internal/database"
)

// Holder is what a package holds about people, found by e-mail address
// (matched whatever its case).
type Holder interface {
	// Export returns everything held about email, ready for
	// encoding/json; nil (or an empty list) when there is nothing.
	Export(ctx context.Context, q database.Querier, email string) (any, error)
	// Erase erases or anonymises everything held about email in tx, at
	// now, and returns how many records it erased or anonymised. What the
	// law or the counts need (an invoice, a place taken) may stay, without
	// the person's details.
	Erase(ctx context.Context, tx *sql.Tx, email string, now time.Time) (int, error)
}

// ErrBadEmail is returned for something that is not an e-mail address.
var ErrBadEmail = errors.New("person: not an e-mail address")

// Registry is the holders, in the order they are asked. Register them all
// before the first request; the audit log's holder goes last, so it
// redacts what the others recorded.
type Registry struct {
	db      *database.DB
	now     func() time.Time
	names   []string
	holders []Holder
}

// New returns an empty registry on db; now is the clock (nil: time.Now).
func New(db *database.DB, now func() time.Time) *Registry {
	if now == nil {
		now = time.Now
	}
	return &Registry{db: db, now: now}
}

// Register adds h under name ("bookings", "messages", "audit"): the key
// of its part of an export and of an erasure's counts.
func (r *Registry) Register(name string, h Holder) {
	r.names = append(r.names, name)
	r.holders = append(r.holders, h)
}

// Export is everything held about one address.
type Export struct {
	Email      string         `json:"email"`
	ExportedAt time.Time      `json:"exported_at"`
	Data       map[string]any `json:"data"`
}

// Count is one holder's share of an erasure.
type Count struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Normalize checks email and returns it trimmed.
func Normalize(email string) (string, error) {
	email = strings.TrimSpace(email)
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" {
		return "", ErrBadEmail
	}
	return email, nil
}

// Export gathers what every holder has on email and records the export
// (person.export) for actor.
func (r *Registry) Export(ctx context.Context, email string, actor audit.Actor) (Export, error) {
	email, err := Normalize(email)
	if err != nil {
		return Export{}, err
	}
	now := r.now().UTC()
	out := Export{Email: email, ExportedAt: now, Data: map[string]any{}}
	err = database.InTx(ctx, r.db, func(tx *sql.Tx) error {
		counts := map[string]int{}
		for i, h := range r.holders {
			v, err := h.Export(ctx, tx, email)
			if err != nil {
				return fmt.Errorf("%s: %w", r.names[i], err)
			}
			out.Data[r.names[i]] = v
			counts[r.names[i]] = lenOf(v)
		}
		// The entry names the address, so that an auditor can see whose
		// data left; an erasure later redacts it like any other mention.
		return audit.Record(ctx, tx, now, actor, "person.export", "person", 0,
			nil, map[string]any{"email": email, "records": counts}, "")
	})
	if err != nil {
		return Export{}, fmt.Errorf("person: export: %w", err)
	}
	return out, nil
}

// Preview counts what an erasure of email would touch, without changing
// anything: the records each holder exports.
func (r *Registry) Preview(ctx context.Context, email string) ([]Count, error) {
	email, err := Normalize(email)
	if err != nil {
		return nil, err
	}
	var out []Count
	for i, h := range r.holders {
		v, err := h.Export(ctx, r.db, email)
		if err != nil {
			return nil, fmt.Errorf("person: preview: %s: %w", r.names[i], err)
		}
		out = append(out, Count{Name: r.names[i], Count: lenOf(v)})
	}
	return out, nil
}

// Erase erases or anonymises everything held about email, in one
// transaction, and records the erasure (person.erase) with its counts and
// without the address. A holder's refusal (a booking on a date still to
// come) leaves everything as it was.
func (r *Registry) Erase(ctx context.Context, email string, actor audit.Actor) ([]Count, error) {
	email, err := Normalize(email)
	if err != nil {
		return nil, err
	}
	now := r.now().UTC()
	var out []Count
	err = database.InTx(ctx, r.db, func(tx *sql.Tx) error {
		out = out[:0]
		counts := map[string]int{}
		for i, h := range r.holders {
			n, err := h.Erase(ctx, tx, email, now)
			if err != nil {
				return fmt.Errorf("%s: %w", r.names[i], err)
			}
			out = append(out, Count{Name: r.names[i], Count: n})
			counts[r.names[i]] = n
		}
		return audit.Record(ctx, tx, now, actor, "person.erase", "person", 0,
			nil, map[string]any{"records": counts}, "")
	})
	if err != nil {
		return nil, fmt.Errorf("person: erase: %w", err)
	}
	return out, nil
}

// lenOf counts the records of an export part: a slice's or a map's
// length, 0 for nil, 1 for anything else.
func lenOf(v any) int {
	if v == nil {
		return 0
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Slice, reflect.Map:
		return rv.Len()
	case reflect.Pointer:
		if rv.IsNil() {
			return 0
		}
	}
	return 1
}
