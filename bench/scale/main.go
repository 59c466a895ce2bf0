// Command scale builds Plenary databases of several sizes and measures
// whether the everyday operations stay as cheap on a big one as on a
// small one (issue 12, aim 5).
//
// For each engine and each size (-sizes, in background bookings) it makes
// a fresh database (a SQLite file in a temp folder, or a new PostgreSQL
// schema, dropped after), runs the real migrations, and generates the
// history with set-based SQL (gen.go): at size B, B bookings on B/10
// dates of B/1,000 courses (at least 10; all but -upcoming dates past, the
// upcoming ones on 10 of the courses at every size), 2B e-mails,
// B audit rows, B tokens and answers, B/10 list subscribers with their
// sent rows. The present is the same at every size: one target course
// saved through catalog.Store.Save with three upcoming dates, 200
// bookings on its "desk" date, and -subscribers confirmed subscribers
// of it. So the measured work is the same and only the database grows.
//
// Then it serves each database through the real web server (the public
// site and the staff area, as plenary serve mounts them; page cache off;
// booking rate limit off) on 127.0.0.1:0, signs a staff admin in, and
// measures, alternating the databases so that machine load falls on all:
//
//   - course page: GET /courses/{slug}
//   - booking:     POST /events/{id}/book (a new person each time)
//   - desk:        GET /admin/bookings?event={desk date}
//   - export:      GET /admin/bookings/export.csv?event={desk date}
//   - attention:   GET /admin/attention
//   - announce:    lists.Service.Announce queuing one new date's e-mail
//     to its -subscribers subscribers (no page: called directly)
//
// It prints, per engine, size and operation, the median, p99 and the
// process CPU per operation, the database's bytes per booking, one AIM
// line per operation (the largest size against the smallest, aim ≤ 1.5×)
// and, last, one summary AIM line. With -plot DIR it draws p99 against
// size per engine into DIR/scale-<engine>.png.
//
//	go run ./bench/scale                                        # SQLite, 1,000 and 100,000 bookings (a few minutes)
//	go run ./bench/scale -sizes 1000,1000000                    # the aim: 1,000,000 bookings (generation alone takes many minutes)
//	go run ./bench/scale -db sqlite,postgres://… -reps 30
//	go run ./bench/scale -sizes 1000,10000,100000,1000000 -plot docs/images   # the sweep
//	go run ./bench/scale -cpuprofile /tmp/scale.prof            # then: go tool pprof /tmp/scale.prof.sqlite
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"plenary/bench/internal/measure"
	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database"
	"plenary/internal/database/dbtest"
	"plenary/internal/lists"
	"plenary/internal/messaging"
	"plenary/internal/web"
	"plenary/internal/web/admin"
	"plenary/internal/web/site"
)

type options struct {
	sizes       []int
	reps        int
	announce    int
	subscribers int
	upcoming    int
	plot        string
	keep        string
	cpuprofile  string
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

func run() error {
	var o options
	var dbs, sizes string
	flag.StringVar(&dbs, "db", "sqlite", "engines, comma-separated: sqlite and/or a postgres://… URL (a new schema per database, dropped after)")
	flag.StringVar(&sizes, "sizes", "1000,100000", "database sizes in bookings, comma-separated; the first is the reference, the last is compared with it")
	flag.IntVar(&o.reps, "reps", 20, "repetitions of each page operation per database")
	flag.IntVar(&o.announce, "announce-reps", 3, "announcement runs per database (each a new date)")
	flag.IntVar(&o.subscribers, "subscribers", 200, "subscribers of the target course: the e-mails each announcement run queues, at every size")
	flag.IntVar(&o.upcoming, "upcoming", 50, "upcoming background dates, the same at every size (the rest is history)")
	flag.StringVar(&o.plot, "plot", "", "a folder: draw p99 against size into FOLDER/scale-<engine>.png (needs two sizes or more)")
	flag.StringVar(&o.keep, "keep", "", "a folder: write the SQLite databases there and keep them (to look at with sqlite3), instead of in a temp folder removed after; PostgreSQL schemas are kept too (their URLs are printed)")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the measurements (not the generation) to this file, with the engine's name appended")
	flag.Parse()
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 100 {
			return fmt.Errorf("-sizes: %q is not a number of bookings of 100 or more", s)
		}
		o.sizes = append(o.sizes, n)
	}
	if o.reps < 2 || o.announce < 1 || o.subscribers < 1 {
		return errors.New("-reps must be 2 or more, -announce-reps and -subscribers positive")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tmp, err := os.MkdirTemp("", "plenary-bench-scale-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if o.keep != "" {
		tmp = o.keep
	}

	fmt.Printf("scale: sizes %v bookings; %d reps per page operation, %d announcement runs of %d e-mails; GOMAXPROCS %d, %s\n",
		o.sizes, o.reps, o.announce, o.subscribers, runtime.GOMAXPROCS(0), runtime.Version())
	allMet, total := 0, 0
	var lines []string
	for _, d := range strings.Split(dbs, ",") {
		d = strings.TrimSpace(d)
		engine := "sqlite"
		if strings.HasPrefix(d, "postgres") {
			engine = "postgres"
		} else if d != "sqlite" {
			return fmt.Errorf("-db: %q is neither sqlite nor a postgres:// URL", d)
		}
		var envs []*env
		closeAll := func() {
			for _, e := range envs {
				e.close()
			}
		}
		for _, size := range o.sizes {
			e, err := build(ctx, o, engine, d, tmp, size)
			if err != nil {
				closeAll()
				return fmt.Errorf("%s, %d bookings: %w", engine, size, err)
			}
			envs = append(envs, e)
		}
		stopProfile, err := startProfile(o.cpuprofile, engine)
		if err != nil {
			closeAll()
			return err
		}
		res, err := measureAll(ctx, o, envs)
		stopProfile()
		if err != nil {
			closeAll()
			return err
		}
		met, n, l := report(engine, envs, res)
		allMet, total, lines = allMet+met, total+n, append(lines, l...)
		if o.plot != "" && len(envs) > 1 {
			path := filepath.Join(o.plot, "scale-"+engine+".png")
			if err := drawPlot(path, engine, envs, res); err != nil {
				closeAll()
				return err
			}
			fmt.Println("plot:", path)
		}
		closeAll()
	}
	fmt.Println()
	for _, l := range lines {
		fmt.Println(l)
	}
	verdict := "MET"
	if allMet < total {
		verdict = "NOT MET"
	}
	fmt.Printf("AIM scale: %d of %d operations within 1.5x (bare = the %d-booking database) aim all -> %s\n", allMet, total, o.sizes[0], verdict)
	return nil
}

// startProfile starts the CPU profiler into path.engine when path is
// set, and returns the func that stops it.
func startProfile(path, engine string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path + "." + engine)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
		fmt.Println("CPU profile:", f.Name())
	}, nil
}

// env is one generated database served by the real server.
type env struct {
	engine    string
	size      int
	db        *database.DB
	base      string
	token     string
	slug      string
	openID    int64
	deskID    int64
	course    catalog.Course
	store     *catalog.Store
	lists     *lists.Service
	clock     *clock
	genTime   time.Duration
	bytes     int64
	client    *http.Client
	closers   []func()
	booked    int
	announced int
}

func (e *env) close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
}

// clock is the lists service's clock, moved on by the announcement runs.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

const (
	deskBookings = 200
	password     = "a bench password, long enough"
	staffEmail   = "admin@training.example"
)

func build(ctx context.Context, o options, engine, pgURL, tmp string, size int) (*env, error) {
	e := &env{engine: engine, size: size}
	dbURL := "sqlite:" + filepath.Join(tmp, fmt.Sprintf("scale-%d.db", size))
	if engine == "postgres" {
		u, drop, err := dbtest.Schema(ctx, pgURL, "bench_scale_")
		if err != nil {
			return nil, err
		}
		dbURL = u
		if o.keep != "" {
			fmt.Printf("%s, %d bookings: kept in %s\n", engine, size, u)
			drop = func() error { return nil }
		}
		e.closers = append(e.closers, func() {
			if err := drop(); err != nil {
				fmt.Fprintln(os.Stderr, "scale: drop schema:", err)
			}
		})
	}
	db, err := database.Open(ctx, dbURL)
	if err != nil {
		e.close()
		return nil, err
	}
	e.db = db
	e.closers = append(e.closers, func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		e.close()
		return nil, err
	}
	fail := func(err error) (*env, error) { e.close(); return nil, err }

	now := time.Now().UTC().Truncate(time.Second)
	fmt.Printf("%s, %d bookings: generating\n", engine, size)
	start := time.Now()
	g := &gen{db: db, now: now.Unix(), s: shapeFor(size, o.upcoming), log: func(f string, a ...any) { fmt.Printf(f+"\n", a...) }}
	release, err := g.open(ctx)
	if err != nil {
		return fail(err)
	}
	var once sync.Once
	done := func() { once.Do(release) }
	defer done()
	reindex, err := g.deferIndexes(ctx)
	if err != nil {
		return fail(err)
	}
	if err := g.run(ctx); err != nil {
		return fail(err)
	}
	if err := reindex(ctx); err != nil {
		return fail(err)
	}
	// The present: one target course, the same at every size.
	e.store = catalog.NewStore(db, catalog.Hooks{})
	c := catalogtest.NewCourse(now)
	c.Slug, c.Title, c.Topics, c.Waitlist = "scale-target", "Scale target", []string{"Scale target"}, true
	c.Questions = []catalog.Question{{Key: "employer", Label: "Who employs you?", Kind: catalog.TextAnswer, Required: true}}
	first := c.Events[0]
	c.Events = nil
	for i, x := range []struct {
		ref      string
		capacity int
	}{{"open", 0}, {"desk", 250}, {"full", 20}} {
		ev := first
		ev.Ref, ev.Capacity = x.ref, x.capacity
		ev.Days = slices.Clone(first.Days)
		ev.Days[0].Date = ev.Days[0].Date.AddDays(7 * i)
		c.Events = append(c.Events, ev)
	}
	if _, err := e.store.Save(ctx, []*catalog.Course{&c}, catalog.SaveOptions{Actor: audit.Job("bench"), Now: now}); err != nil {
		return fail(err)
	}
	e.course, e.slug = c, c.Slug
	e.openID, e.deskID = c.Events[0].ID, c.Events[1].ID
	if e.openID == 0 || e.deskID == 0 {
		return fail(errors.New("the target course's dates have no ids"))
	}
	if err := g.target(ctx, c.ID, e.deskID, c.Events[2].ID, o.subscribers); err != nil {
		return fail(err)
	}
	done()
	e.genTime = time.Since(start)
	if db.Dialect == database.Postgres {
		if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
			return fail(err)
		}
	}
	if e.bytes, err = dbBytes(ctx, db, dbURL); err != nil {
		return fail(err)
	}
	fmt.Printf("%s, %d bookings: generated in %v, %.1f MB (%.0f bytes per booking)\n", engine, size,
		e.genTime.Round(100*time.Millisecond), float64(e.bytes)/1e6, float64(e.bytes)/float64(size))

	// The server, wired as plenary serve wires it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	e.base = "http://" + ln.Addr().String()
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	const from = "Plenary <noreply@127.0.0.1>"
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{Logger: logger})
	if err != nil {
		ln.Close()
		return fail(err)
	}
	listMail, err := lists.NewMail()
	if err != nil {
		ln.Close()
		return fail(err)
	}
	renderers := messaging.Renderers{ByKind: map[string]messaging.Renderer{}}
	for _, k := range lists.MailKinds {
		renderers.ByKind[k] = listMail
	}
	outbox := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{From: from, Renderer: renderers})
	bookings := booking.NewService(booking.Options{DB: db, Catalog: e.store, Outbox: outbox, BaseURL: e.base, Organizer: from})
	places := lists.PlacesFunc(func(ctx context.Context, events []catalog.Event) (map[int64]lists.PlaceCount, error) {
		got, err := bookings.PlacesFor(ctx, events)
		out := make(map[int64]lists.PlaceCount, len(got))
		for id, p := range got {
			out[id] = lists.PlaceCount{Left: p.Left(), Waiting: p.Waiting}
		}
		return out, err
	})
	e.clock = &clock{t: time.Now().UTC()}
	e.lists = lists.NewService(lists.Options{DB: db, Outbox: outbox, BaseURL: e.base,
		Secret: []byte("a bench secret, long enough to sign"), UnsubscribeMailbox: "courses@training.example",
		Catalog: e.store, Places: places, Now: e.clock.now})
	accounts := account.New(account.Options{DB: db, FastHashes: true})
	if _, err := accounts.AddUser(ctx, audit.CommandLine("bench"), account.Profile{Email: staffEmail, Name: "Bench Admin", Role: account.Admin},
		password, time.Now()); err != nil {
		ln.Close()
		return fail(err)
	}
	kit, err := web.New(web.Options{DB: db, Logger: logger, BaseURL: e.base, PageCacheTTL: 0, BookingLimit: -1})
	if err != nil {
		ln.Close()
		return fail(err)
	}
	pub, err := site.New(kit, site.Options{Catalog: e.store, Bookings: bookings, Lists: e.lists})
	if err != nil {
		ln.Close()
		return fail(err)
	}
	staff, err := admin.New(kit, admin.Options{Accounts: accounts, DB: db, Outbox: outbox, Bookings: bookings, Lists: e.lists, Catalog: e.store})
	if err != nil {
		ln.Close()
		return fail(err)
	}
	e.closers = append(e.closers, serve(ln, kit.Handler(pub, staff)))
	_, token, err := accounts.SignIn(ctx, account.Credentials{Email: staffEmail, Password: password, ClientAddr: "127.0.0.1"}, time.Now())
	if err != nil {
		return fail(err)
	}
	e.token = token
	e.client = &http.Client{Timeout: 2 * time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// A first announcement run settles anything the generation left
	// unannounced; it must queue nothing.
	if rep, err := e.lists.Announce(ctx); err != nil || rep.Emails != 0 {
		return fail(fmt.Errorf("settling announcement: %+v, %v", rep, err))
	}
	return e, nil
}

// target writes the target course's bookings and subscribers: the same
// rows at every size.
func (g *gen) target(ctx context.Context, courseID, deskID, fullID int64, subscribers int) error {
	created := g.ts(fmt.Sprintf("%d - 86400 * (i %% 20)", g.now))
	bookings := func(event int64, n int, prefix string) error {
		return g.exec(ctx, "target bookings", n, g.series(n)+fmt.Sprintf(`INSERT INTO bookings (event_id, status, name, email, email_key,
				organisation, role, system_checked, fee_tier, amount_minor, currency, payment, po_number, created_at, updated_at, confirmed_at)
			SELECT %d, 'confirmed', 'Desk Person ' || i, '%[3]s' || i || '@example.org', '%[3]s' || i || '@example.org',
				'Trust ' || (i %% 50), 'Nurse', TRUE, 'Standard', 12000, 'GBP', CASE WHEN i %% 4 = 0 THEN 'invoice' ELSE 'paid' END,
				'PO-' || i, %[4]s, %[4]s, %[4]s FROM n`, event, n, prefix, created))
	}
	if err := bookings(deskID, deskBookings, "desk"); err != nil {
		return err
	}
	if err := bookings(fullID, 19, "full"); err != nil {
		return err
	}
	// Two e-mails about desk bookings failing: the attention page lists them.
	if err := g.exec(ctx, "target failing mail", 2, g.series(2)+fmt.Sprintf(`INSERT INTO messages (kind, dedupe_key, to_email, subject, text_body,
			message_id_header, status, attempts, last_error, scheduled_at, created_at, subject_ref)
		SELECT 'booking_confirmed', 'bench-failing/' || i, 'desk' || i || '@example.org', 'Your place', 'Body',
			'<bench-failing' || i || '@training.example>', 'failed', 5, '550 mailbox unavailable', %[1]s, %[1]s,
			'booking/' || (SELECT MIN(id) + i FROM bookings WHERE event_id = %[2]d) FROM n`, created, deskID)); err != nil {
		return err
	}
	// Its dates have been announced already.
	if err := g.exec(ctx, "target sightings", 3, fmt.Sprintf(`INSERT INTO list_date_sightings (event_id, visible_since, settled)
		SELECT id, created_at, TRUE FROM events WHERE course_id = %d`, courseID)); err != nil {
		return err
	}
	confirmed := g.ts(fmt.Sprintf("%d", g.now-7200))
	return g.exec(ctx, "target subscribers", subscribers, g.series(subscribers)+fmt.Sprintf(`INSERT INTO list_subscriptions (email, email_key, name, scope,
			course_id, topic, target_key, status, requested_at, confirmed_at)
		SELECT 'fan' || i || '@example.org', 'fan' || i || '@example.org', 'Fan ' || i, 'course', %[1]d, '', 'course/%[1]d',
			'confirmed', %[2]s, %[2]s FROM n`, courseID, confirmed))
}

// dbBytes is the database's size on disk: the SQLite file (after a
// checkpoint, so the WAL is in it), or the PostgreSQL schema's tables,
// indexes and TOAST.
func dbBytes(ctx context.Context, db *database.DB, dbURL string) (int64, error) {
	if db.Dialect == database.SQLite {
		if _, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			return 0, err
		}
		path, _ := database.SQLitePath(dbURL)
		fi, err := os.Stat(path)
		if err != nil {
			return 0, err
		}
		return fi.Size(), nil
	}
	var n int64
	err := db.QueryRowContext(ctx, `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c
		JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE ns.nspname = current_schema() AND c.relkind = 'r'`).Scan(&n)
	return n, err
}

// serve serves h on ln with the timeouts of plenary serve, and returns
// the func that stops it.
func serve(ln net.Listener, h http.Handler) func() {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute}
	go hs.Serve(ln)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
	}
}

// op is one measured operation on one database.
type op struct {
	name string
	do   func(ctx context.Context, e *env) error
}

var ops = []op{
	{"course page", func(ctx context.Context, e *env) error {
		_, err := e.get(ctx, "/courses/"+e.slug, "Scale target")
		return err
	}},
	{"booking", func(ctx context.Context, e *env) error {
		e.booked++
		form := url.Values{
			"name": {fmt.Sprintf("Booker %06d", e.booked)}, "email": {fmt.Sprintf("booker.%06d@example.org", e.booked)},
			"organisation": {"Scale Trust"}, "role": {"Nurse"}, "answer_employer": {"Scale Trust"}, "fee_tier": {"Standard"},
			"system_checked": {"1"}, "po_number": {fmt.Sprintf("PO-%06d", e.booked)},
		}.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("%s/events/%d/book", e.base, e.openID), strings.NewReader(form))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		res, err := e.client.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/bookings/") {
			return fmt.Errorf("booking: got %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
		return nil
	}},
	{"desk list", func(ctx context.Context, e *env) error {
		_, err := e.get(ctx, fmt.Sprintf("/admin/bookings?event=%d", e.deskID), "Desk Person")
		return err
	}},
	{"CSV export", func(ctx context.Context, e *env) error {
		body, err := e.get(ctx, fmt.Sprintf("/admin/bookings/export.csv?event=%d", e.deskID), "Desk Person")
		if err == nil && strings.Count(body, "desk") < deskBookings {
			err = fmt.Errorf("CSV export: fewer than %d rows", deskBookings)
		}
		return err
	}},
	{"attention", func(ctx context.Context, e *env) error {
		_, err := e.get(ctx, "/admin/attention", "550 mailbox unavailable")
		return err
	}},
}

// get fetches path as the signed-in admin and checks for a 200 whose
// body holds want.
func (e *env) get(ctx context.Context, path, want string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.base+path, nil)
	if err != nil {
		return "", err
	}
	req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: e.token})
	res, err := e.client.Do(req)
	if err != nil {
		return "", err
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), want) {
		return "", fmt.Errorf("GET %s: %d, %d bytes, %q in it: %v", path, res.StatusCode, len(b), want, strings.Contains(string(b), want))
	}
	return string(b), nil
}

// announce adds a new date to the target course, lets the lists service
// see it, moves its clock past the grace period (and a day past the last
// run, for the one-e-mail-a-day rule), and measures the run that queues
// the e-mails.
func (e *env) announce(ctx context.Context, want int) (time.Duration, time.Duration, error) {
	e.announced++
	c := &e.course
	ev := c.Events[0]
	ev.ID, ev.Ref, ev.Capacity = 0, fmt.Sprintf("news-%d", e.announced), 30
	ev.Days = slices.Clone(ev.Days)
	ev.Days[0].Date = ev.Days[0].Date.AddDays(60 + e.announced)
	c.Events = append(c.Events, ev)
	t := time.Now().UTC().Add(time.Duration(e.announced) * 25 * time.Hour)
	if _, err := e.store.Save(ctx, []*catalog.Course{c}, catalog.SaveOptions{Actor: audit.Job("bench"), Now: t}); err != nil {
		return 0, 0, err
	}
	e.clock.set(t)
	if rep, err := e.lists.Announce(ctx); err != nil || rep.Emails != 0 {
		return 0, 0, fmt.Errorf("announce, first sight: %+v, %v", rep, err)
	}
	e.clock.set(t.Add(lists.DefaultGrace + time.Minute))
	start, cpu := time.Now(), measure.ProcessCPU()
	rep, err := e.lists.Announce(ctx)
	took, cpu := time.Since(start), measure.ProcessCPU()-cpu
	if err != nil {
		return 0, 0, err
	}
	if rep.Emails != want {
		return 0, 0, fmt.Errorf("announce: %d e-mails queued, want %d (%+v)", rep.Emails, want, rep)
	}
	return took, cpu, nil
}

// sample is one operation's measurements on one database.
type sample struct {
	lat, cpu []time.Duration
}

func (s sample) p(q float64) time.Duration {
	if len(s.lat) == 0 {
		return 0
	}
	l := slices.Clone(s.lat)
	slices.Sort(l)
	return l[min(int(q*float64(len(l))), len(l)-1)]
}

const announceOp = "announcement"

func measureAll(ctx context.Context, o options, envs []*env) (map[string][]sample, error) {
	names := []string{}
	for _, p := range ops {
		names = append(names, p.name)
	}
	names = append(names, announceOp)
	res := map[string][]sample{}
	for _, n := range names {
		res[n] = make([]sample, len(envs))
	}
	// A warm-up round of every operation on every database.
	for _, e := range envs {
		for _, p := range ops {
			if err := p.do(ctx, e); err != nil {
				return nil, fmt.Errorf("%s, %d bookings, warm-up %s: %w", e.engine, e.size, p.name, err)
			}
		}
	}
	for _, p := range ops {
		for r := 0; r < o.reps; r++ {
			for i, e := range envs {
				start, cpu := time.Now(), measure.ProcessCPU()
				if err := p.do(ctx, e); err != nil {
					return nil, fmt.Errorf("%s, %d bookings, %s: %w", e.engine, e.size, p.name, err)
				}
				s := &res[p.name][i]
				s.lat = append(s.lat, time.Since(start))
				s.cpu = append(s.cpu, measure.ProcessCPU()-cpu)
			}
		}
	}
	for r := 0; r < o.announce; r++ {
		for i, e := range envs {
			took, cpu, err := e.announce(ctx, o.subscribers)
			if err != nil {
				return nil, fmt.Errorf("%s, %d bookings, %s: %w", e.engine, e.size, announceOp, err)
			}
			s := &res[announceOp][i]
			s.lat, s.cpu = append(s.lat, took), append(s.cpu, cpu)
		}
	}
	return res, nil
}

func opNames() []string {
	var out []string
	for _, p := range ops {
		out = append(out, p.name)
	}
	return append(out, announceOp)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

// report prints the table of one engine and returns how many operations
// met the aim, of how many, and their AIM lines.
func report(engine string, envs []*env, res map[string][]sample) (int, int, []string) {
	fmt.Printf("\n%s: database sizes\n\n| bookings | generated in | bytes on disk | bytes per booking |\n|---:|---:|---:|---:|\n", engine)
	for _, e := range envs {
		fmt.Printf("| %d | %v | %.1f MB | %.0f |\n", e.size, e.genTime.Round(100*time.Millisecond), float64(e.bytes)/1e6, float64(e.bytes)/float64(e.size))
	}
	fmt.Printf("\n%s: per operation (median, p99, median process CPU)\n\n| operation |", engine)
	for _, e := range envs {
		fmt.Printf(" %d: median | p99 | CPU |", e.size)
	}
	fmt.Print("\n|---|")
	for range envs {
		fmt.Print("---:|---:|---:|")
	}
	fmt.Println()
	met := 0
	var lines []string
	for _, n := range opNames() {
		fmt.Printf("| %s |", n)
		for i := range envs {
			s := res[n][i]
			fmt.Printf(" %s | %s | %s |", ms(measure.Median(s.lat)), ms(s.p(0.99)), ms(measure.Median(s.cpu)))
		}
		fmt.Println()
		small, big := res[n][0], res[n][len(envs)-1]
		ratio := float64(measure.Median(big.lat)) / float64(max(measure.Median(small.lat), 1))
		cpuRatio := float64(measure.Median(big.cpu)) / float64(max(measure.Median(small.cpu), 1))
		// On SQLite the whole operation runs in this process, so its CPU
		// time is the cost, and other work on the machine does not change
		// it; on PostgreSQL the server's share is in another process, so
		// the median time is the cost.
		basis, judged := "CPU", cpuRatio
		if engine != "sqlite" {
			basis, judged = "median time", ratio
		}
		verdict := "NOT MET"
		if judged <= 1.5 {
			verdict, met = "MET", met+1
		}
		lines = append(lines, fmt.Sprintf("AIM scale %s %s: CPU %s, median %s at %d bookings (bare CPU %s, median %s at %d; ratio %.2f by %s, time ratio %.2f, CPU ratio %.2f) aim <= 1.5 -> %s",
			engine, n, ms(measure.Median(big.cpu)), ms(measure.Median(big.lat)), envs[len(envs)-1].size,
			ms(measure.Median(small.cpu)), ms(measure.Median(small.lat)), envs[0].size, judged, basis, ratio, cpuRatio, verdict))
	}
	return met, len(opNames()), lines
}
