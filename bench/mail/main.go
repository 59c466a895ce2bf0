// Command mail measures how fast Plenary sends mail: joining-instruction
// e-mails (text, HTML and a calendar invitation) enqueued through the
// Outbox, then delivered by a River runner with the SMTP mailer to an
// in-process SMTP server on 127.0.0.1 (mailtest's, with STARTTLS and AUTH
// PLAIN, or a plain local relay with -starttls=false).
//
// Each run uses a fresh database and a fresh server, and reports:
//
//   - enqueue: the time to store the messages and insert their send jobs,
//     one transaction per message (as one booking would);
//   - deliver: from the runner's start until the server has accepted the
//     last message, and messages per second over that time;
//   - the SMTP conversation of one message (p50/p99), and the time from
//     the start of delivery to each message's arrival (p50/p99); with
//     -mode live the runner works while the messages are enqueued, and the
//     latency is from each message's commit to its arrival instead;
//   - the CPU time of the process over the delivery, against the wall
//     time: far less than the wall time means the runner waits, not works;
//   - duplicates and missing messages, counted by Message-ID at the
//     server against the stored ones. Any duplicate or missing message
//     makes the program exit with status 1.
//
// Each round first measures the bare reference: the same kind of server
// fed by a plain loop (as many goroutines as MaxWorkers, each over one
// connection kept open) with the same 1,000 messages rendered beforehand —
// the ceiling of the server and the SMTP library on this machine — and
// reports Plenary's rate as a ratio to it. The last line is the verdict
// on issue 12's aim 4 (at least 500 a second on every engine given, no
// duplicate, none missing), for the first -workers value.
//
// Every run is bounded by -timeout; the traffic is loopback only.
//
//	go run ./bench/mail                                  # 1,000 messages, SQLite, 3 runs
//	go run ./bench/mail -db sqlite,"$PLENARY_TEST_POSTGRES_URL"   # both engines, side by side
//	go run ./bench/mail -runs 5 -workers 10 -starttls=false
//	go run ./bench/mail -reuse=false                     # one SMTP connection per message, as before
//	go run ./bench/mail -cpuprofile cpu.out              # then: go tool pprof cpu.out.sqlite
package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/mail"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/riverqueue/river"

	"plenary/internal/catalog"
	"plenary/internal/database"
	"plenary/internal/database/dbtest"
	"plenary/internal/messaging"
	"plenary/internal/messaging/mailtest"
)

type options struct {
	n          int
	runs       int
	dbs        []string // "sqlite" or a postgres:// URL
	dbURL      string   // of the run under way: "" for SQLite
	starttls   bool
	reuse      bool
	workers    []int
	poll       time.Duration
	mode       string
	timeout    time.Duration
	cpuprofile string
}

func main() {
	var o options
	flag.IntVar(&o.n, "n", 1000, "messages per run")
	flag.IntVar(&o.runs, "runs", 3, "runs, each on a fresh database and server; medians are reported")
	dbs := flag.String("db", "sqlite", "engines, comma-separated: sqlite (a temp folder) and/or a PostgreSQL URL (postgres://…, each run gets a fresh schema, dropped at the end)")
	flag.BoolVar(&o.starttls, "starttls", true, "STARTTLS and AUTH PLAIN, as a real relay; false: a plain local relay, no TLS, no AUTH")
	flag.BoolVar(&o.reuse, "reuse", true, "keep SMTP connections open between messages (Plenary's default); false: one connection per message")
	workers := flag.String("workers", "30", "River MaxWorkers (messaging.JobsOptions; Plenary's default is 30); a comma-separated list runs each in turn in every round, side by side")
	flag.DurationVar(&o.poll, "poll", time.Second, "River poll interval (messaging.JobsOptions.PollInterval; Plenary's default is 1s)")
	flag.StringVar(&o.mode, "mode", "batch", "batch: enqueue all, then start the runner (joining instructions falling due together); live: the runner works while messages are enqueued")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Minute, "bound on each run")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the delivery of each engine's first run to this file name + .sqlite or .postgres")
	flag.Parse()
	for _, w := range strings.Split(*workers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "mail: -workers %q: want positive numbers\n", *workers)
			os.Exit(2)
		}
		o.workers = append(o.workers, n)
	}
	for _, d := range strings.Split(*dbs, ",") {
		switch d = strings.TrimSpace(d); {
		case d == "sqlite" || d == "":
			o.dbs = append(o.dbs, "sqlite")
		case strings.HasPrefix(d, "postgres://") || strings.HasPrefix(d, "postgresql://"):
			o.dbs = append(o.dbs, d)
		default:
			fmt.Fprintf(os.Stderr, "mail: -db %q: want sqlite or a postgres:// URL\n", d)
			os.Exit(2)
		}
	}
	if o.mode != "batch" && o.mode != "live" {
		fmt.Fprintln(os.Stderr, "mail: -mode must be batch or live")
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "mail:", err)
		os.Exit(1)
	}
}

type result struct {
	enqueue     time.Duration
	deliver     time.Duration // start of delivery to the last arrival
	recorded    time.Duration // start of delivery to every message marked sent
	cpu         time.Duration // process CPU time over the delivery
	convP50     time.Duration // one SMTP conversation
	convP99     time.Duration
	latP50      time.Duration // delivery start (batch) or commit (live) to arrival
	latP99      time.Duration
	bytes       int // average size of a message as received
	duplicates  int
	missing     int
	unknown     int
	connections int // SMTP connections the server accepted
	deliverRate float64
	bare        float64 // the bare reference's rate in the same round
}

func engineOf(db string) string {
	if db == "sqlite" {
		return "sqlite"
	}
	return "postgres"
}

func run(o options) error {
	var engines []string
	for _, d := range o.dbs {
		engines = append(engines, engineOf(d))
	}
	fmt.Printf("mail: %d messages, %s, STARTTLS %v, connection reuse %v, MaxWorkers %v, poll %v, mode %s, %d runs\n",
		o.n, strings.Join(engines, " and "), o.starttls, o.reuse, o.workers, o.poll, o.mode, o.runs)
	type key struct {
		db      int
		workers int
	}
	results := map[key][]result{}
	bares := map[int][]float64{}   // by MaxWorkers
	bareCPU := map[int][]float64{} // ms per message
	failed := false
	for i := range o.runs {
		for _, w := range o.workers {
			b, bc, err := bare(o, w)
			if err != nil {
				return fmt.Errorf("run %d, bare reference: %w", i+1, err)
			}
			bares[w] = append(bares[w], b)
			bareCPU[w] = append(bareCPU[w], 1000*bc.Seconds())
			fmt.Printf("run %d, bare reference, %d connections: %.0f msg/s; CPU %.2f ms/msg\n", i+1, w, b, 1000*bc.Seconds())
			for d, db := range o.dbs {
				o.dbURL = ""
				if db != "sqlite" {
					o.dbURL = db
				}
				var prof *os.File
				if o.cpuprofile != "" && i == 0 && w == o.workers[0] {
					f, err := os.Create(o.cpuprofile + "." + engineOf(db))
					if err != nil {
						return err
					}
					prof = f
				}
				r, err := once(o, w, prof)
				if prof != nil {
					prof.Close()
				}
				if err != nil {
					return fmt.Errorf("run %d, %s, MaxWorkers %d: %w", i+1, engineOf(db), w, err)
				}
				r.bare = b
				results[key{d, w}] = append(results[key{d, w}], r)
				fmt.Printf("run %d, %s, MaxWorkers %d: enqueue %v (%.0f/s); deliver %v = %.0f msg/s (all marked sent %v), ratio to bare %.2f; CPU %v (%.2f ms/msg); "+
					"conversation p50 %v p99 %v; latency p50 %v p99 %v; %d bytes/msg; %d connections; duplicates %d, missing %d, unknown %d\n",
					i+1, engineOf(db), w, ms(r.enqueue), float64(o.n)/r.enqueue.Seconds(), ms(r.deliver), r.deliverRate, ms(r.recorded),
					r.deliverRate/b, ms(r.cpu), 1000*r.cpu.Seconds()/float64(o.n), ms(r.convP50), ms(r.convP99), ms(r.latP50), ms(r.latP99),
					r.bytes, r.connections, r.duplicates, r.missing, r.unknown)
				if r.duplicates > 0 || r.missing > 0 || r.unknown > 0 {
					failed = true
				}
			}
		}
	}
	median := func(v []float64) float64 {
		v = slices.Clone(v)
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	var verdict []string
	met := !failed
	var dups, missing int
	for _, w := range o.workers {
		bareMed := median(bares[w])
		for d, db := range o.dbs {
			rs := results[key{d, w}]
			med := func(f func(result) float64) float64 {
				v := make([]float64, len(rs))
				for i, r := range rs {
					v[i] = f(r)
				}
				return median(v)
			}
			dur := func(f func(result) time.Duration) time.Duration {
				return ms(time.Duration(med(func(r result) float64 { return float64(f(r)) })))
			}
			rate := med(func(r result) float64 { return r.deliverRate })
			ratio := med(func(r result) float64 { return r.deliverRate / r.bare })
			cpu := med(func(r result) float64 { return 1000 * r.cpu.Seconds() / float64(o.n) })
			fmt.Printf("median of %d, %s, MaxWorkers %d: enqueue %v; deliver %v = %.0f msg/s (bare %.0f, ratio %.2f); CPU %.2f ms/msg (bare %.2f, ratio %.2f); conversation p50 %v p99 %v; latency p50 %v p99 %v\n",
				len(rs), engineOf(db), w,
				dur(func(r result) time.Duration { return r.enqueue }),
				dur(func(r result) time.Duration { return r.deliver }),
				rate, bareMed, ratio, cpu, median(bareCPU[w]), median(bareCPU[w])/cpu,
				dur(func(r result) time.Duration { return r.convP50 }),
				dur(func(r result) time.Duration { return r.convP99 }),
				dur(func(r result) time.Duration { return r.latP50 }),
				dur(func(r result) time.Duration { return r.latP99 }))
			if w != o.workers[0] {
				continue
			}
			for _, r := range rs {
				dups += r.duplicates
				missing += r.missing + r.unknown
			}
			if rate < 500 {
				met = false
			}
			verdict = append(verdict, fmt.Sprintf("%s %.0f msg/s ratio %.2f (CPU %.2f ms/msg)", engineOf(db), rate, ratio, cpu))
		}
	}
	word := "MET"
	if !met {
		word = "NOT MET"
	}
	fmt.Printf("AIM mail: %s, %d duplicates, %d missing (bare %.0f msg/s, CPU %.2f ms/msg; medians of %d, MaxWorkers %d) aim >= 500 msg/s on each engine, 0 duplicates, 0 missing -> %s\n",
		strings.Join(verdict, ", "), dups, missing, median(bares[o.workers[0]]), median(bareCPU[o.workers[0]]), o.runs, o.workers[0], word)
	if failed {
		return errors.New("a message was sent twice, or not at all")
	}
	return nil
}

func ms(d time.Duration) time.Duration {
	if d >= 10*time.Second {
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(100 * time.Microsecond)
}

// once is one run on a fresh database and server.
func once(o options, maxWorkers int, prof *os.File) (r result, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	dbURL, cleanup, err := freshDatabase(ctx, o.dbURL)
	if err != nil {
		return r, err
	}
	defer func() { err = errors.Join(err, cleanup()) }()
	db, err := database.Open(ctx, dbURL)
	if err != nil {
		return r, err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return r, err
	}

	srv, err := mailtest.New(mailtest.Options{Plain: !o.starttls})
	if err != nil {
		return r, err
	}
	defer srv.Close()
	const from = "Plenary Training <noreply@training.example>"
	smtpOpts := []messaging.SMTPOption{messaging.WithTLSConfig(srv.TLSConfig())}
	if !o.reuse {
		smtpOpts = append(smtpOpts, messaging.WithReuse(0, 1))
	}
	smtpMailer, err := messaging.NewSMTPMailer(srv.URL(), from, "Course team <courses@training.example>", smtpOpts...)
	if err != nil {
		return r, err
	}
	defer smtpMailer.Close()
	mailer := &timingMailer{inner: smtpMailer}

	// As plenary serve wires it: an insert-only client for the outbox and
	// a running client with the send worker.
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		return r, err
	}
	outbox := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{From: from})
	workers := river.NewWorkers()
	messaging.AddWorkers(workers, outbox, mailer)
	runner, err := messaging.NewJobs(db, workers, nil, messaging.JobsOptions{
		Run:          true,
		MaxWorkers:   maxWorkers,
		PollInterval: o.poll,
		Logger:       slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return r, err
	}
	var (
		deliveryStart time.Time
		cpuStart      time.Duration
	)
	startRunner := func() error {
		if prof != nil {
			if err := pprof.StartCPUProfile(prof); err != nil {
				return err
			}
		}
		cpuStart = cpuTime()
		deliveryStart = time.Now()
		return runner.Start(ctx)
	}
	defer func() {
		stop, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err = errors.Join(err, runner.Stop(stop))
	}()

	course, event := joiningCourse()
	invite := catalog.Calendar(course, event, catalog.CalendarOptions{
		BaseURL: "https://training.example", Method: "REQUEST",
		Organizer: "mailto:courses@training.example", Joining: true, Now: time.Now(),
	})
	if o.mode == "live" {
		if err := startRunner(); err != nil {
			return r, err
		}
	}
	committed := make(map[int64]time.Time, o.n)
	began := time.Now()
	for i := range o.n {
		var id int64
		err := database.InTx(ctx, db, func(tx *sql.Tx) error {
			var err error
			id, _, err = outbox.Enqueue(ctx, tx, joiningMessage(i, course, event, invite))
			return err
		})
		if err != nil {
			return r, fmt.Errorf("enqueue %d: %w", i, err)
		}
		committed[id] = time.Now()
	}
	r.enqueue = time.Since(began)
	if o.mode == "batch" {
		if err := startRunner(); err != nil {
			return r, err
		}
	}

	// Wait for every message to arrive and be marked sent.
	for srv.Len() < o.n {
		if err := sleep(ctx, 5*time.Millisecond); err != nil {
			return r, fmt.Errorf("%d of %d messages arrived: %w", srv.Len(), o.n, err)
		}
	}
	for {
		var sent int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE status = 'sent'`).Scan(&sent); err != nil {
			return r, err
		}
		if sent == o.n {
			break
		}
		if err := sleep(ctx, 5*time.Millisecond); err != nil {
			return r, fmt.Errorf("%d of %d messages marked sent: %w", sent, o.n, err)
		}
	}
	r.recorded = time.Since(deliveryStart)
	r.cpu = cpuTime() - cpuStart
	if prof != nil {
		pprof.StopCPUProfile()
	}
	// Room for a stray second send before counting.
	if err := sleep(ctx, 500*time.Millisecond); err != nil {
		return r, err
	}

	stored := map[string]int64{}
	rows, err := db.QueryContext(ctx, `SELECT id, message_id_header FROM messages`)
	if err != nil {
		return r, err
	}
	for rows.Next() {
		var (
			id  int64
			mid string
		)
		if err := rows.Scan(&id, &mid); err != nil {
			rows.Close()
			return r, err
		}
		stored[mid] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return r, err
	}
	got := srv.Messages()
	seen := map[string]int{}
	var lat []time.Duration
	var last time.Time
	size := 0
	for _, m := range got {
		size += len(m.Data)
		if m.At.After(last) {
			last = m.At
		}
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			return r, fmt.Errorf("a received message does not parse: %w", err)
		}
		mid := msg.Header.Get("Message-ID")
		seen[mid]++
		id, ok := stored[mid]
		if !ok {
			r.unknown++
			continue
		}
		if seen[mid] > 1 {
			r.duplicates++
			continue
		}
		from := deliveryStart
		if o.mode == "live" {
			from = committed[id]
		}
		lat = append(lat, m.At.Sub(from))
	}
	for mid := range stored {
		if seen[mid] == 0 {
			r.missing++
		}
	}
	r.deliver = last.Sub(deliveryStart)
	r.deliverRate = float64(o.n) / r.deliver.Seconds()
	r.bytes = size / max(len(got), 1)
	r.latP50, r.latP99 = percentile(lat, 50), percentile(lat, 99)
	r.connections = srv.Connections()
	conv := mailer.durations()
	r.convP50, r.convP99 = percentile(conv, 50), percentile(conv, 99)
	return r, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func percentile(v []time.Duration, p int) time.Duration {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	return v[min(len(v)-1, (len(v)*p+99)/100-1)]
}

// cpuTime is the user and system time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// timingMailer times each SMTP conversation. It passes Deliver on, so
// the send worker records each message the moment the server accepts it,
// as with the SMTPMailer alone.
type timingMailer struct {
	inner *messaging.SMTPMailer
	mu    sync.Mutex
	took  []time.Duration
}

func (t *timingMailer) Send(ctx context.Context, m messaging.Message) error {
	return t.Deliver(ctx, m, nil)
}

func (t *timingMailer) Deliver(ctx context.Context, m messaging.Message, accepted func(string) error) error {
	began := time.Now()
	err := t.inner.Deliver(ctx, m, accepted)
	took := time.Since(began)
	t.mu.Lock()
	t.took = append(t.took, took)
	t.mu.Unlock()
	return err
}

func (t *timingMailer) durations() []time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.took)
}

// freshDatabase returns the URL of an empty database and a function that
// removes it: a SQLite file in a temp folder, or a new schema in the
// PostgreSQL database at base, selected through search_path.
func freshDatabase(ctx context.Context, base string) (string, func() error, error) {
	if base == "" {
		dir, err := os.MkdirTemp("", "plenary-bench-mail-")
		if err != nil {
			return "", nil, err
		}
		return "sqlite:" + filepath.Join(dir, "bench.db"), func() error { return os.RemoveAll(dir) }, nil
	}
	return dbtest.Schema(ctx, base, "bench_mail_")
}

// joiningCourse is a two-day online course, the size of a real one.
func joiningCourse() (catalog.Course, catalog.Event) {
	first := catalog.DateOf(time.Now().In(time.UTC).AddDate(0, 0, 14))
	second := catalog.DateOf(time.Now().In(time.UTC).AddDate(0, 0, 15))
	clock := func(h, m int) catalog.Clock { return catalog.Clock{Minutes: h*60 + m, Valid: true} }
	agenda := []catalog.AgendaItem{
		{Kind: catalog.Registration, Start: clock(9, 30), Title: "Registration and technical check"},
		{Kind: catalog.Teaching, Start: clock(10, 0), End: clock(12, 30), Title: "Principles of the DIT assessment"},
		{Kind: catalog.Teaching, Start: clock(13, 15), End: clock(17, 0), Title: "Case discussions in small groups"},
	}
	event := catalog.Event{
		ID:       42,
		Ref:      "spring",
		Version:  3,
		TimeZone: catalog.DefaultTimeZone,
		Format:   catalog.Online,
		Capacity: 1200,
		Meeting: catalog.Meeting{Provider: "Zoom", JoinURL: "https://zoom.example/j/81234567890?pwd=abcdef",
			ID: "812 3456 7890", Passcode: "refresher-2026"},
		Days: []catalog.Day{
			{Date: first, Start: clock(10, 0), End: clock(17, 0), Agenda: agenda},
			{Date: second, Start: clock(10, 0), End: clock(17, 0), Agenda: agenda},
		},
	}
	course := catalog.Course{
		Slug:    "dit-refresher",
		Title:   "DIT refresher for experienced practitioners",
		Summary: "Two mornings and afternoons online, revisiting the assessment with case discussions.",
		Status:  catalog.Published,
		Events:  []catalog.Event{event},
	}
	return course, event
}

// joiningMessage is one participant's joining instructions: about 1.6 KB
// of text, 4 KB of HTML and the calendar invitation.
func joiningMessage(i int, c catalog.Course, e catalog.Event, invite []byte) messaging.Message {
	name := fmt.Sprintf("Dr Participant %04d", i)
	manage := fmt.Sprintf("https://training.example/b/%032x", i*7919+1)
	var text, html strings.Builder
	fmt.Fprintf(&text, "Dear %s,\n\nYour joining instructions for %s.\n\n", name, c.Title)
	fmt.Fprintf(&html, "<!doctype html><html><body style=\"font-family:sans-serif\"><p>Dear %s,</p><p>Your joining instructions for <strong>%s</strong>.</p>", name, c.Title)
	for n, d := range e.Days {
		fmt.Fprintf(&text, "Day %d: %s, 10:00–17:00 UK time\n", n+1, d.Date)
		fmt.Fprintf(&html, "<h2>Day %d: %s, 10:00–17:00 UK time</h2><table>", n+1, d.Date)
		for _, a := range d.Agenda {
			fmt.Fprintf(&text, "  %s  %s\n", a.Start, a.Title)
			fmt.Fprintf(&html, "<tr><td style=\"padding:4px 12px\">%s</td><td style=\"padding:4px 12px\">%s</td></tr>", a.Start, a.Title)
		}
		html.WriteString("</table>")
	}
	fmt.Fprintf(&text, "\nJoin on %s: %s\nMeeting ID: %s\nPasscode: %s\n\n", e.Meeting.Provider, e.Meeting.JoinURL, e.Meeting.ID, e.Meeting.Passcode)
	fmt.Fprintf(&html, "<p><a href=\"%s\" style=\"background:#005ea5;color:#fff;padding:8px 16px\">Join on %s</a></p><p>Meeting ID: %s<br>Passcode: %s</p>",
		e.Meeting.JoinURL, e.Meeting.Provider, e.Meeting.ID, e.Meeting.Passcode)
	before := "Before the course, please check that your camera and microphone work, find a quiet room, " +
		"and have the pre-course reading to hand. The session starts promptly; please join ten minutes early " +
		"so that we can help with any technical problem. If you can no longer attend, please cancel your place " +
		"so that it can be offered to someone on the waiting list."
	for range 2 {
		text.WriteString(before + "\n\n")
		html.WriteString("<p>" + before + "</p>")
	}
	fmt.Fprintf(&text, "Manage your booking: %s\n\nThe course team\n", manage)
	fmt.Fprintf(&html, "<p><a href=\"%s\">Manage your booking</a></p><p>The course team</p>", manage)
	for range 6 { // the footer, styled as mail templates are
		html.WriteString("<p style=\"color:#505a5f;font-size:13px;line-height:1.4;margin:0 0 8px\">Plenary Training, 1 Example Street, London. You receive this because you booked a place.</p>")
	}
	html.WriteString("</body></html>")
	return messaging.Message{
		Kind:      "joining",
		DedupeKey: fmt.Sprintf("joining/%d/%d", i+1, e.Version),
		ToName:    name,
		ToEmail:   fmt.Sprintf("participant%04d@example.org", i),
		Subject:   "Joining instructions: " + c.Title,
		Text:      text.String(),
		HTML:      html.String(),
		Attachments: []messaging.Attachment{{Filename: "invite.ics",
			ContentType: "text/calendar; method=REQUEST; charset=utf-8", Data: invite}},
	}
}
