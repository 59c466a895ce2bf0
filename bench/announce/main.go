// Command announce measures the list-mail scan (lists.Service.Announce)
// announcing new dates to many subscribers at once.
//
// For every round it makes a fresh database (a SQLite file in a temp
// folder, or with -pg a new PostgreSQL schema, dropped after), inserts -n
// confirmed subscribers of one course (every fourth also subscribed to
// the course's topic, so that their two subscriptions must make one
// e-mail), and saves the course published with -m new dates through
// catalog.Store.Save, as plenary import does. Announce runs once to see
// the dates, the clock moves past the grace period, and the measured run
// queues the e-mails: one per subscriber, each through the real outbox
// with its River send job inserted in the same transaction (an
// insert-only River client, as plenary serve's). Places left come from
// booking.Service, adapted as cmd/plenary/wire.go does. The program checks
// that exactly -n e-mails were queued, each listing -m dates, and exits
// non-zero otherwise.
//
// Subscribers are inserted straight into list_subscriptions (confirmed an
// hour before the dates appear): the double opt-in is not what is
// measured.
//
//	go run ./bench/announce                          # SQLite, 10,000 subscribers, 3 dates, 5 rounds
//	go run ./bench/announce -pg postgres://…         # PostgreSQL too, in a new schema per round
//	go run ./bench/announce -n 1000 -m 5 -rounds 3
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"plenary/bench/internal/measure"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database"
	"plenary/internal/database/dbtest"
	"plenary/internal/lists"
	"plenary/internal/messaging"
)

type options struct {
	n, m, rounds int
}

func main() {
	var o options
	var pg string
	flag.IntVar(&o.n, "n", 10_000, "confirmed subscribers")
	flag.IntVar(&o.m, "m", 3, "dates published together")
	flag.IntVar(&o.rounds, "rounds", 5, "rounds per database, each on a fresh one; the median is printed")
	flag.StringVar(&pg, "pg", "", "a postgres://… URL: also measure PostgreSQL, in a new schema per round")
	flag.Parse()
	if o.n < 1 || o.m < 1 || o.rounds < 1 {
		fmt.Fprintln(os.Stderr, "announce: -n, -m and -rounds must be positive")
		os.Exit(1)
	}
	engines := []string{""}
	if pg != "" {
		engines = append(engines, pg)
	}
	fmt.Printf("announce: %d subscribers, %d dates published together, %d rounds; %s/%s, %d CPUs, %s\n",
		o.n, o.m, o.rounds, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	failed := false
	for _, pgURL := range engines {
		name := "sqlite"
		if pgURL != "" {
			name = "postgres"
		}
		var times, cpus []time.Duration
		for r := range o.rounds {
			took, emails, cpu, err := round(context.Background(), o, pgURL, r)
			if err != nil {
				fmt.Fprintf(os.Stderr, "announce: %s round %d: %v\n", name, r+1, err)
				failed = true
				break
			}
			fmt.Printf("  %-8s round %d: %d e-mails queued in %v (process CPU %v)\n", name, r+1, emails,
				took.Round(time.Millisecond), cpu.Round(time.Millisecond))
			times = append(times, took)
			cpus = append(cpus, cpu)
		}
		if len(times) > 0 {
			fmt.Printf("%-8s median %v for %d e-mails (%.0f e-mails/s); median process CPU %v\n", name,
				measure.Median(times).Round(time.Millisecond), o.n, float64(o.n)/measure.Median(times).Seconds(),
				measure.Median(cpus).Round(time.Millisecond))
		}
	}
	if failed {
		os.Exit(2)
	}
}

// round makes a fresh database with the subscribers and the course, and
// returns how long the announcing run took, how many e-mails it queued,
// and the process CPU time it used (which other processes on a shared
// machine do not disturb).
func round(ctx context.Context, o options, pgURL string, r int) (time.Duration, int, time.Duration, error) {
	tmp, err := os.MkdirTemp("", "plenary-bench-announce-")
	if err != nil {
		return 0, 0, 0, err
	}
	defer os.RemoveAll(tmp)
	dbURL := "sqlite:" + filepath.Join(tmp, "announce.db")
	if pgURL != "" {
		var drop func() error
		if dbURL, drop, err = dbtest.Schema(ctx, pgURL, "bench_announce_"); err != nil {
			return 0, 0, 0, err
		}
		defer func() {
			if err := drop(); err != nil {
				fmt.Fprintf(os.Stderr, "announce: %v\n", err)
			}
		}()
	}
	db, err := database.Open(ctx, dbURL)
	if err != nil {
		return 0, 0, 0, err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return 0, 0, 0, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	clock := func() time.Time { return now }

	store := catalog.NewStore(db, catalog.Hooks{})
	c := catalogtest.NewCourse(now)
	c.Slug, c.Status = fmt.Sprintf("bench-%d", r), catalog.Draft
	first := c.Events[0]
	c.Events = nil
	for i := range o.m {
		e := first
		e.Ref = fmt.Sprintf("date-%d", i+1)
		e.Days = []catalog.Day{first.Days[0]}
		e.Days[0].Date = e.Days[0].Date.AddDays(7 * i)
		e.Days[0].Agenda = nil
		c.Events = append(c.Events, e)
	}
	save := func() error {
		_, err := store.Save(ctx, []*catalog.Course{&c}, catalog.SaveOptions{Actor: audit.Job("bench"), Now: now})
		return err
	}
	if err := save(); err != nil {
		return 0, 0, 0, err
	}
	if err := subscribers(ctx, db, c, o.n, now.Add(-time.Hour)); err != nil {
		return 0, 0, 0, err
	}

	const from = "Plenary <noreply@127.0.0.1>"
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		return 0, 0, 0, err
	}
	listMail, err := lists.NewMail()
	if err != nil {
		return 0, 0, 0, err
	}
	renderers := messaging.Renderers{ByKind: map[string]messaging.Renderer{}}
	for _, k := range lists.MailKinds {
		renderers.ByKind[k] = listMail
	}
	outbox := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{From: from, Renderer: renderers})
	bookings := booking.NewService(booking.Options{DB: db, Catalog: store, Outbox: outbox, BaseURL: "https://training.example", Organizer: from})
	places := lists.PlacesFunc(func(ctx context.Context, events []catalog.Event) (map[int64]lists.PlaceCount, error) {
		got, err := bookings.PlacesFor(ctx, events)
		out := make(map[int64]lists.PlaceCount, len(got))
		for id, p := range got {
			out[id] = lists.PlaceCount{Left: p.Left(), Waiting: p.Waiting}
		}
		return out, err
	})
	svc := lists.NewService(lists.Options{DB: db, Outbox: outbox, BaseURL: "https://training.example",
		Secret: []byte("a bench secret, long enough to sign"), UnsubscribeMailbox: "courses@training.example",
		Catalog: store, Places: places, Now: clock})

	c.Status = catalog.Published // the dates appear
	if err := save(); err != nil {
		return 0, 0, 0, err
	}
	if rep, err := svc.Announce(ctx); err != nil || rep.Seen != o.m {
		return 0, 0, 0, fmt.Errorf("first run: %+v, %v", rep, err)
	}
	now = now.Add(lists.DefaultGrace)
	start, cpu := time.Now(), measure.ProcessCPU()
	rep, err := svc.Announce(ctx)
	took := time.Since(start)
	cpu = measure.ProcessCPU() - cpu
	if err != nil {
		return 0, 0, 0, err
	}
	var queued, withAll int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE kind = 'list_news'`).Scan(&queued); err != nil {
		return 0, 0, 0, err
	}
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT email_key FROM list_sent GROUP BY email_key HAVING COUNT(*) = $1) t`,
		o.m).Scan(&withAll); err != nil {
		return 0, 0, 0, err
	}
	if rep.Emails != o.n || queued != o.n || withAll != o.n {
		return took, queued, cpu, fmt.Errorf("queued %d e-mails (report %d), %d addresses told of all %d dates; want %d", queued, rep.Emails, withAll, o.m, o.n)
	}
	return took, queued, cpu, nil
}

// subscribers inserts n confirmed subscriptions to course c, every fourth
// address also subscribed to its first topic.
func subscribers(ctx context.Context, db *database.DB, c catalog.Course, n int, confirmed time.Time) error {
	if len(c.Topics) == 0 {
		return errors.New("the course has no topic")
	}
	return database.InTx(ctx, db, func(tx *sql.Tx) error {
		insert := func(email, scope string, course any, topic, target string) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO list_subscriptions (email, email_key, name, scope, course_id, topic,
					target_key, status, requested_at, confirmed_at)
				VALUES ($1, $2, '', $3, $4, $5, $6, 'confirmed', $7, $7)`,
				email, strings.ToLower(email), scope, course, topic, target, confirmed)
			return err
		}
		for i := range n {
			email := fmt.Sprintf("person%06d@example.org", i)
			if err := insert(email, "course", c.ID, "", fmt.Sprintf("course/%d", c.ID)); err != nil {
				return err
			}
			if i%4 == 0 {
				if err := insert(email, "topic", nil, c.Topics[0], "topic/"+strings.ToLower(c.Topics[0])); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
