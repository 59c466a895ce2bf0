package analytics

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"plenary/internal/database"
	"plenary/internal/workdays"
)

// MaxPending bounds the keys (day, path, referrer) held in memory
// between flushes.
const MaxPending = 10000

// maxField bounds a stored path or host name.
const maxField = 255

// Counter adds up page views in memory and writes them in batches.
type Counter struct {
	db   *database.DB
	now  func() time.Time
	zone *time.Location

	mu      sync.Mutex
	pending map[key]int64
	dropped int64
}

type key struct {
	day      workdays.Date
	path     string
	referrer string
}

// New returns a counter writing to db; days are UK days (Europe/London).
// now is the clock; nil means time.Now.
func New(db *database.DB, now func() time.Time) (*Counter, error) {
	zone, err := time.LoadLocation("Europe/London")
	if err != nil {
		return nil, fmt.Errorf("analytics: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	return &Counter{db: db, now: now, zone: zone, pending: map[key]int64{}}, nil
}

// Add counts one view of path, reached from the page referrer (the
// Referer header as sent; only its host name is kept, "" when there is
// none or it cannot be read).
func (c *Counter) Add(path, referrer string) {
	k := key{day: workdays.DateOf(c.now().In(c.zone)), path: clip(path), referrer: ReferrerHost(referrer)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.pending[k]; !ok && len(c.pending) >= MaxPending {
		k.referrer = ""
		if _, ok := c.pending[k]; !ok {
			c.dropped++
			return
		}
	}
	c.pending[k]++
}

// Dropped is how many views were not counted because the map was full.
func (c *Counter) Dropped() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dropped
}

// ReferrerHost returns the lowercased host name (no port, no path) of a
// Referer header, or "".
func ReferrerHost(referrer string) string {
	if referrer == "" {
		return ""
	}
	u, err := url.Parse(referrer)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return clip(strings.ToLower(u.Hostname()))
}

func clip(s string) string {
	if len(s) > maxField {
		return s[:maxField]
	}
	return s
}

// Flush writes the views counted since the last flush: one upsert per
// day, path and referrer, in one transaction. If the write fails the
// counts are kept for the next flush.
func (c *Counter) Flush(ctx context.Context) error {
	c.mu.Lock()
	batch := c.pending
	c.pending = map[key]int64{}
	c.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := database.InTx(ctx, c.db, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO page_views (day, path, referrer_host, views)
			VALUES ($1, $2, $3, $4)
			ON CONFLICT (day, path, referrer_host) DO UPDATE SET views = page_views.views + excluded.views`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for k, n := range batch {
			if _, err := stmt.ExecContext(ctx, k.day.String(), k.path, k.referrer, n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		c.mu.Lock()
		for k, n := range batch {
			if _, ok := c.pending[k]; ok || len(c.pending) < MaxPending {
				c.pending[k] += n
			} else {
				c.dropped += n
			}
		}
		c.mu.Unlock()
		return fmt.Errorf("analytics: flush: %w", err)
	}
	return nil
}

// Run flushes every interval until ctx ends, then once more (with a
// short deadline of its own) so a stopping server loses no counts.
// Errors go to report, which may be nil.
func (c *Counter) Run(ctx context.Context, interval time.Duration, report func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := c.Flush(ctx); err != nil && report != nil {
				report(err)
			}
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := c.Flush(final); err != nil && report != nil {
				report(err)
			}
			return
		}
	}
}
