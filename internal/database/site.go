package database

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Site is the install's identity, recorded in the database so that every
// process and command that uses it builds the same links and calendar
// UIDs, whatever its own environment says.
type Site struct {
	// BaseURL is the public address, e.g. https://training.example.org,
	// as `plenary serve` last recorded it.
	BaseURL string
	// UIDDomain names calendar UIDs ("event-1-day-1@DOMAIN"). It is set
	// once, from the host of the first base URL recorded, and never
	// changes: a calendar program that saw a different UID would add
	// every date again. The one exception is a local address (localhost,
	// an IP literal), recorded on a trial run: its UIDs are made unique
	// with a random label, and the first real host replaces them.
	UIDDomain string
	// RecordedAt is when BaseURL was last recorded (UTC).
	RecordedAt time.Time
}

// ErrNoSite is returned by Site when no base URL has been recorded yet
// (`plenary serve` has never started on this database).
var ErrNoSite = errors.New("database: the site's address has not been recorded yet")

// Site returns the recorded identity, or ErrNoSite.
func (db *DB) Site(ctx context.Context) (Site, error) {
	var s Site
	err := db.QueryRowContext(ctx, `SELECT base_url, uid_domain, recorded_at FROM site WHERE id = 1`).
		Scan(&s.BaseURL, &s.UIDDomain, &s.RecordedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Site{}, ErrNoSite
	}
	if err != nil {
		return Site{}, fmt.Errorf("database: read the site's address: %w", err)
	}
	s.RecordedAt = s.RecordedAt.UTC()
	return s, nil
}

// RecordSite records baseURL as the site's address and returns the
// identity as it now stands. The first call also sets the UID domain, to
// the host of baseURL; later calls change only the address.
func (db *DB) RecordSite(ctx context.Context, baseURL string, now time.Time) (Site, error) {
	baseURL = strings.TrimRight(baseURL, "/")
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return Site{}, fmt.Errorf("database: site address %q is not an http:// or https:// address", baseURL)
	}
	host := strings.ToLower(u.Hostname())
	provisional := localHost(host)
	if provisional {
		// "event-1-day-1@localhost" from two installs tried on one laptop
		// would be the same entry to a calendar program.
		host = strings.ToLower(rand.Text()) + ".plenary.invalid"
	}
	var s Site
	err = db.QueryRowContext(ctx, `
		INSERT INTO site (id, base_url, uid_domain, uid_provisional, recorded_at) VALUES (1, $1, $2, $4, $3)
		ON CONFLICT (id) DO UPDATE SET base_url = excluded.base_url, recorded_at = excluded.recorded_at,
		       uid_domain = CASE WHEN site.uid_provisional AND NOT excluded.uid_provisional
		                         THEN excluded.uid_domain ELSE site.uid_domain END,
		       uid_provisional = site.uid_provisional AND excluded.uid_provisional
		RETURNING base_url, uid_domain, recorded_at`,
		baseURL, host, now.UTC(), provisional).Scan(&s.BaseURL, &s.UIDDomain, &s.RecordedAt)
	if err != nil {
		return Site{}, fmt.Errorf("database: record the site's address: %w", err)
	}
	s.RecordedAt = s.RecordedAt.UTC()
	return s, nil
}

// localHost reports whether host is only reachable on the machine or
// network it was typed on: localhost and IP literals.
func localHost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	_, err := netip.ParseAddr(host)
	return err == nil
}
