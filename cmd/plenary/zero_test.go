package main

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database/dbtest"
)

// TestZeroSettingsTurnThingsOff pins, from the environment to what a
// person sees, each setting whose 0 turns something off: the rate limit
// on booking posts, the page cache and the minimum-notice window. Each is
// set to 0 and shown off, and set to a small value and shown on, so the
// test fails if 0 were taken as "the default" anywhere on the way.
func TestZeroSettingsTurnThingsOff(t *testing.T) {
	t.Run("PLENARY_BOOKING_LIMIT and PLENARY_PAGE_CACHE_TTL", func(t *testing.T) {
		for _, tt := range []struct {
			limit, ttl string
			limited    bool // the third post is refused
			cached     bool // a change made outside this instance is not seen yet
		}{
			{"0", "0", false, false},
			{"2", "1h", true, true},
		} {
			dbURL := dbtest.URL(t)
			base, stop := startServe(t, map[string]string{"PLENARY_DATABASE_URL": dbURL, "PLENARY_LOG_FORMAT": "json",
				"PLENARY_JOBS": "off", "PLENARY_BOOKING_LIMIT": tt.limit, "PLENARY_PAGE_CACHE_TTL": tt.ttl})
			db := dbtest.OpenURL(t, dbURL)
			c, err := catalog.NewStore(db, catalog.Hooks{}).CourseBySlug(context.Background(), "dit-refresher")
			if err != nil {
				t.Fatal(err)
			}

			refused := 0
			for range 12 { // more than the default burst of 10
				resp, err := http.PostForm(base+"/events/"+strconv.FormatInt(c.Events[0].ID, 10)+"/book", url.Values{"name": {""}})
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusTooManyRequests {
					refused++
				}
			}
			if limited := refused > 0; limited != tt.limited {
				t.Errorf("PLENARY_BOOKING_LIMIT=%s: %d of 12 posts refused", tt.limit, refused)
			}

			if _, body := get(t, base+"/courses/dit-refresher"); !strings.Contains(body, c.Title) {
				t.Fatalf("course page lacks its title %q", c.Title)
			}
			if _, err := db.ExecContext(context.Background(), `UPDATE courses SET title = $1, version = version + 1 WHERE slug = $2`,
				"Renamed elsewhere", "dit-refresher"); err != nil {
				t.Fatal(err)
			}
			_, body := get(t, base+"/courses/dit-refresher")
			if cached := !strings.Contains(body, "Renamed elsewhere"); cached != tt.cached {
				t.Errorf("PLENARY_PAGE_CACHE_TTL=%s: served the page from the cache: %v, want %v", tt.ttl, cached, tt.cached)
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("PLENARY_MIN_NOTICE_WORKING_DAYS", func(t *testing.T) {
		for _, tt := range []struct {
			days    string
			refused bool // a change three days ahead needs -confirm-late
		}{
			{"0", false},
			{"10", true},
		} {
			dbURL, db := migrated(t)
			env := map[string]string{"PLENARY_DATABASE_URL": dbURL, "PLENARY_MIN_NOTICE_WORKING_DAYS": tt.days}
			file := filepath.Join(t.TempDir(), "course.md")
			c := catalogtest.NewCourse(time.Now())
			c.Events[0].Days[0].Date = catalog.DateOf(time.Now().AddDate(0, 0, 3))
			if err := os.WriteFile(file, catalog.FormatCourseFile(c), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, stderr, err := cliEnv(t, env, "import", file); err != nil {
				t.Fatalf("first import: %v %s", err, stderr)
			}
			a := testApp(t, dbURL, db)
			stored, err := a.catalog.CourseBySlug(context.Background(), c.Slug)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.bookings.Book(context.Background(), booking.Request{EventID: stored.Events[0].ID, Name: "Ann",
				Email: "ann@example.org", Organisation: "Clinic", Role: "Nurse", SystemChecked: true}, audit.ParticipantOf(0)); err != nil {
				t.Fatal(err)
			}
			c.Events[0].Days[0].Start = catalog.Clock{Minutes: 11 * 60, Valid: true}
			if err := os.WriteFile(file, catalog.FormatCourseFile(c), 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, err = cliEnv(t, env, "import", file)
			if refused := err != nil && strings.Contains(err.Error(), "-confirm-late"); refused != tt.refused || (!refused && err != nil) {
				t.Errorf("PLENARY_MIN_NOTICE_WORKING_DAYS=%s: a change three days ahead without -confirm-late: got %v, want refused %v",
					tt.days, err, tt.refused)
			}
		}
	})
}
