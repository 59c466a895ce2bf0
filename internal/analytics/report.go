package analytics

import (
	"context"
	"fmt"

	"plenary/internal/database"
	"plenary/internal/workdays"
)

// Period is a range of UK days, both ends included.
type Period struct{ From, To workdays.Date }

// PathViews is how many views a path had in a period.
type PathViews struct {
	Path  string
	Views int64
}

// HostViews is how many views came from a referring host in a period.
type HostViews struct {
	Host  string // "" for none (typed in, a bookmark, a private link)
	Views int64
}

// Report reads the stored counts.
type Report struct{ db *database.DB }

// NewReport returns the reader of the counts in db.
func NewReport(db *database.DB) *Report { return &Report{db: db} }

// ByPath returns the views of every path seen in p, most viewed first
// (then by path).
func (r *Report) ByPath(ctx context.Context, p Period) ([]PathViews, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT path, CAST(SUM(views) AS BIGINT) FROM page_views
		WHERE day >= $1 AND day <= $2 GROUP BY path ORDER BY SUM(views) DESC, path`,
		p.From.String(), p.To.String())
	if err != nil {
		return nil, fmt.Errorf("analytics: views by path: %w", err)
	}
	defer rows.Close()
	var out []PathViews
	for rows.Next() {
		var v PathViews
		if err := rows.Scan(&v.Path, &v.Views); err != nil {
			return nil, fmt.Errorf("analytics: views by path: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Referrers returns the limit hosts that sent the most views in p, most
// first (then by host).
func (r *Report) Referrers(ctx context.Context, p Period, limit int) ([]HostViews, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT referrer_host, CAST(SUM(views) AS BIGINT) FROM page_views
		WHERE day >= $1 AND day <= $2 GROUP BY referrer_host ORDER BY SUM(views) DESC, referrer_host LIMIT $3`,
		p.From.String(), p.To.String(), limit)
	if err != nil {
		return nil, fmt.Errorf("analytics: referrers: %w", err)
	}
	defer rows.Close()
	var out []HostViews
	for rows.Next() {
		var v HostViews
		if err := rows.Scan(&v.Host, &v.Views); err != nil {
			return nil, fmt.Errorf("analytics: referrers: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// EraseBefore deletes the counts of every UK day before day and returns
// how many rows went (the retention job, EraseOlderThan).
func (r *Report) EraseBefore(ctx context.Context, day workdays.Date) (int64, error) {
	res, err := r.db.ExecContext(ctx, `DELETE FROM page_views WHERE day < $1`, day.String())
	if err != nil {
		return 0, fmt.Errorf("analytics: erase before %s: %w", day, err)
	}
	return res.RowsAffected()
}
