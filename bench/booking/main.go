// Command booking measures Plenary taking bookings over HTTP under load:
// a burst of people booking one small event at the same moment, and the
// sustained rate of bookings into an event with no limit.
//
// For every repetition it makes a fresh database (a SQLite file in a temp
// folder, or a new PostgreSQL schema selected through search_path and
// dropped at the end), saves one published, paid, online course with a
// waiting list and two dates, one with -places places and one with no
// limit, and starts the real web.Server on 127.0.0.1:0 wired as `plenary
// serve` wires it: a booking.Service, and an outbox whose send jobs are
// inserted, in the booking's transaction, through an insert-only River
// client (so the confirmation mail of every booking is queued as in
// production). With -send a River client also works the queue in this
// process and "sends" through messaging.DevMailbox, as PLENARY_JOBS=on
// does. The per-client booking rate limit is off (BookingLimit -1): every
// request comes from 127.0.0.1, and the limit would refuse all but ten.
//
// Burst: -burst clients, each a different person (unique name and e-mail)
// with its own keep-alive connection opened beforehand, wait at a start
// barrier and post the booking form (POST /events/{id}/book) at once. A
// 303 to /bookings/{token} is a booking; anything else (4xx, 5xx, a
// transport error or a timeout) is a failure. The database is then checked
// through booking.Service.List: exactly -places confirmed (the program
// exits non-zero otherwise), everyone else waitlisted at positions 1…N,
// one booking per successful request, and one queued mail per booking.
//
// Sustained: vegeta (as a library) posts bookings, each a new person, into
// the unlimited date as fast as -workers workers can go (rate 0: each
// sends its next request when the last is answered) for -duration.
//
// The bare booking reference (-bare, on by default) is measured in the
// same repetition on the same database: a handler that parses the same
// form and inserts one row in one transaction. Plenary's sustained rate is
// reported as a ratio to it. With -instances 2 a second Plenary (its own
// pool, outbox and booking.Service) serves the same database: the burst
// is split between the two, and the sustained run is made on one, then
// on both. -warmup repetitions (one by default) run first, are checked
// and printed like the others (w1, …) but not counted: a process's first
// burst pays its start-up (the heap growing, templates and statements
// used the first time), which a server that has been up a while does not
// and the bare reference, measured after it, never does. With -cold (the
// default) every burst, Plenary's and the bare handler's, starts from the
// memory a quiet server holds (debug.FreeOSMemory before the barrier), so
// neither inherits what the phase before it left mapped; each burst's row
// gives its page faults per request. The last lines are AIM verdicts, the
// burst's last of all.
//
// Everything is loopback only and bounded: the burst by its count and the
// per-request -timeout, the sustained phase by -duration and
// -max-requests.
//
//	go run ./bench/booking                           # SQLite in a temp folder
//	go run ./bench/booking -db postgres://…          # a new schema in that database per repetition, dropped after
//	go run ./bench/booking -db sqlite,postgres://…   # both, in alternating repetitions
//	go run ./bench/booking -reps 3 -burst 2000 -places 30 -duration 10s -workers 8
//	go run ./bench/booking -db postgres://… -instances 2   # aim 7: two instances over one schema
//	go run ./bench/booking -send                     # also work the mail queue in-process
//	go run ./bench/booking -cpuprofile cpu.out       # then: go tool pprof cpu.out.sqlite
package main

import (
	"context"
	"database/sql"
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
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/riverqueue/river"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"plenary/bench/internal/measure"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database"
	"plenary/internal/database/dbtest"
	"plenary/internal/messaging"
	"plenary/internal/web"
	"plenary/internal/web/site"
)

func main() {
	ok, err := run()
	if err != nil {
		fmt.Fprintln(os.Stderr, "booking:", err)
		os.Exit(1)
	}
	if !ok {
		fmt.Fprintln(os.Stderr, "booking: a check failed (see above)")
		os.Exit(2)
	}
}

type options struct {
	reps        int
	warmup      int
	cold        bool
	burst       int
	places      int
	timeout     time.Duration
	preconnect  bool
	duration    time.Duration
	workers     uint64
	maxRequests uint64
	send        bool
	pageCache   time.Duration
	cpuprofile  string
	instances   int
	bare        bool
}

func run() (bool, error) {
	var o options
	var dbs string
	flag.StringVar(&dbs, "db", "sqlite", "databases, comma-separated, measured in alternating repetitions: sqlite (a file in a temp folder) "+
		"and/or a postgres://… URL (a new schema in that database for each repetition, dropped after)")
	flag.IntVar(&o.reps, "reps", 3, "repetitions per database (each on a fresh database: one burst, then one sustained run)")
	flag.BoolVar(&o.cold, "cold", true, "start every burst from a quiet server's memory (debug.FreeOSMemory just before the start barrier); false: from whatever the last phase left mapped, which flatters whichever burst follows another")
	flag.IntVar(&o.warmup, "warmup", 1, "repetitions per database run first and not counted (checked and printed as w1, w2, …): the first burst of a process pays its start-up (heap growth, first use of templates and statements), which a server that has been up a while does not, and which the bare reference, run second, never pays")
	flag.IntVar(&o.burst, "burst", 2000, "people posting the booking form at once in the burst")
	flag.IntVar(&o.places, "places", 30, "places on the burst's date (it has a waiting list)")
	flag.DurationVar(&o.timeout, "timeout", time.Minute, "client timeout of one request")
	flag.BoolVar(&o.preconnect, "preconnect", true, "open every burst client's keep-alive connection before the start barrier (false: the burst also opens its TCP connections all at once)")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "length of the sustained run (and of the bare reference's); 0 skips them")
	flag.IntVar(&o.instances, "instances", 1, "Plenary instances over the one database (1 or 2): with 2, a second web.Server with its own booking.Service and connection pool, "+
		"the burst split between them, and the sustained run made first on one instance, then on both (aim 7: meant for PostgreSQL)")
	flag.BoolVar(&o.bare, "bare", true, "also measure the bare booking reference in each repetition: a handler on the same engine that parses the same form and inserts one row in one transaction")
	flag.Uint64Var(&o.workers, "workers", 8, "vegeta workers (and connections) in the sustained run")
	flag.Uint64Var(&o.maxRequests, "max-requests", 100_000, "hard cap on the requests of one sustained run")
	flag.BoolVar(&o.send, "send", false, "also run a River job runner in-process that sends the queued mail to messaging.DevMailbox (kept, not sent), as PLENARY_JOBS=on does")
	flag.DurationVar(&o.pageCache, "page-cache", 2*time.Second, "page cache TTL, as plenary serve's default PLENARY_PAGE_CACHE_TTL")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "after the measured repetitions, run one more per database under the CPU profiler and write the profile here (with the engine's name appended)")
	flag.Parse()
	if o.reps < 1 || o.warmup < 0 || o.burst < 1 || o.places < 1 || o.workers < 1 || o.timeout <= 0 || o.duration < 0 {
		return false, errors.New("-reps, -burst, -places, -workers and -timeout must be positive, -warmup not negative")
	}
	if o.instances != 1 && o.instances != 2 {
		return false, errors.New("-instances must be 1 or 2")
	}
	if o.places >= o.burst {
		return false, errors.New("-places must be fewer than -burst, or nobody waits")
	}
	var engines []engine
	for _, d := range strings.Split(dbs, ",") {
		switch d = strings.TrimSpace(d); {
		case d == "sqlite" || d == "":
			engines = append(engines, engine{name: "sqlite"})
		case strings.HasPrefix(d, "postgres://") || strings.HasPrefix(d, "postgresql://"):
			engines = append(engines, engine{name: "postgres", url: d})
		default:
			return false, fmt.Errorf("-db: %q is neither sqlite nor a postgres:// URL", d)
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tmp, err := os.MkdirTemp("", "plenary-bench-booking-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(tmp)

	var names []string
	for _, e := range engines {
		names = append(names, e.name)
	}
	fmt.Printf("databases %s (alternating, a fresh one per repetition); GOMAXPROCS %d, %d CPUs, %s\n",
		strings.Join(names, ", "), runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.Version())
	fmt.Printf("mail jobs queued in each booking's transaction (insert-only River client)%s; booking rate limit off\n",
		map[bool]string{true: ", and worked in-process (-send, DevMailbox)"}[o.send])
	fmt.Printf("burst: %d people at once, each on its own keep-alive connection (opened before the barrier: %v), onto a date with %d places and a waiting list\n",
		o.burst, o.preconnect, o.places)
	if o.duration > 0 {
		fmt.Printf("sustained: vegeta, rate 0, %d workers, %v, into a date with no limit\n", o.workers, o.duration)
	}
	fmt.Println()

	allOK := true
	fmt.Printf("%-4s %-8s %-11s %6s %6s %7s %9s %9s %9s %9s %9s %11s %9s %7s\n", "rep", "db", "phase", "ok", "failed", "confirm", "waitlist", "first", "p50", "p99", "max", "wall|rate", "CPU/req", "faults")
	for rep := 1 - o.warmup; rep <= o.reps; rep++ {
		label := fmt.Sprint(rep)
		if rep <= 0 {
			label = fmt.Sprintf("w%d", rep+o.warmup) // a warm-up: checked, printed, not counted
		}
		for i := range engines {
			en := &engines[i]
			r, ok, err := repetition(ctx, o, en.url, tmp, fmt.Sprintf("%s-%s", en.name, label), true)
			if err != nil {
				return false, err
			}
			allOK = allOK && ok
			if rep > 0 {
				en.reps = append(en.reps, r)
			} else {
				// Not timed, but its failures and miscounts count.
				en.failed += r.burst.failed
				if r.burst.confirmed != o.places {
					en.misses++
				}
				if r.burst.confirmed > o.places {
					en.overbooked++
				}
			}
			printBurst := func(phase string, b burstResult) {
				fmt.Printf("%-4s %-8s %-11s %6d %6d %7d %9d %9s %9s %9s %9s %11s %9s %7.1f\n", label, en.name, phase, b.booked, b.failed, b.confirmed, b.waitlisted,
					ms(b.first), ms(b.p50), ms(b.p99), ms(b.max), ms(b.wall), ms(b.cpu), b.faults)
			}
			printSustain := func(phase string, s sustainResult) {
				fmt.Printf("%-4s %-8s %-11s %6d %6d %7d %9s %9s %9s %9s %9s %9.1f/s %9s\n", label, en.name, phase, s.booked, s.failed, s.confirmed, "-",
					"-", ms(s.p50), ms(s.p99), ms(s.max), s.rate, ms(s.cpu))
			}
			printBurst("burst", r.burst)
			if r.hasBare {
				printBurst("bare-burst", r.bareBurst)
			}
			if o.duration > 0 {
				if r.hasTwo {
					printSustain("sustain-1", r.oneSustain)
				}
				printSustain("sustain", r.sustain)
				if r.hasBare {
					printSustain("bare-sust", r.bareSustain)
				}
			}
		}
	}

	fmt.Printf("\nMedians over %d repetitions per database (failed: summed over all, warm-up included)", o.reps)
	if o.instances == 2 {
		fmt.Print("; two Plenary instances over each database, the burst and the sustained run split between them")
	}
	fmt.Print(":\n\n")
	fmt.Printf("| burst of %d, %d places | confirmed | waiting list | failed (4xx/5xx/transport) | first answer | p50 | p99 | max | wall time | wall ÷ bookings | CPU per booking | bare p99 | bare CPU per booking |\n", o.burst, o.places)
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for i := range engines {
		en := &engines[i]
		var confirmed, waitlisted []float64
		var first, p50, mx, wall, per, cpu, bp99, bcpu []time.Duration
		for _, r := range en.reps {
			b := r.burst
			en.failed += b.failed
			if b.confirmed != o.places {
				en.misses++
			}
			if b.confirmed > o.places {
				en.overbooked++
			}
			confirmed = append(confirmed, float64(b.confirmed))
			waitlisted = append(waitlisted, float64(b.waitlisted))
			first, p50, mx, wall = append(first, b.first), append(p50, b.p50), append(mx, b.max), append(wall, b.wall)
			en.p99 = append(en.p99, b.p99)
			per = append(per, b.wall/time.Duration(max(b.booked, 1)))
			cpu = append(cpu, b.cpu)
			bp99, bcpu = append(bp99, r.bareBurst.p99), append(bcpu, r.bareBurst.cpu)
		}
		bare := "-"
		bareCPU := "-"
		if o.bare {
			bare, bareCPU = ms(measure.Median(bp99)), ms(measure.Median(bcpu))
			en.bareP99 = measure.Median(bp99)
		}
		fmt.Printf("| %s | %.0f | %.0f | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", en.name, measure.Median(confirmed), measure.Median(waitlisted), en.failed,
			ms(measure.Median(first)), ms(measure.Median(p50)), ms(measure.Median(en.p99)), ms(measure.Median(mx)), ms(measure.Median(wall)), ms(measure.Median(per)),
			ms(measure.Median(cpu)), bare, bareCPU)
	}
	fmt.Println()
	for _, en := range engines {
		fmt.Printf("%s burst p99 per repetition: %s\n", en.name, joinMS(en.p99))
	}
	if o.duration > 0 {
		fmt.Printf("\n| sustained, %d workers, %v | bookings/s | p50 | p99 | failed (4xx/5xx/transport) | CPU per booking | bare bookings/s | bare CPU per booking | ratio to bare |\n", o.workers, o.duration)
		fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
		for i := range engines {
			en := &engines[i]
			var sp50, sp99, scpu, bcpu []time.Duration
			var bareRates []float64
			failed := 0
			for _, r := range en.reps {
				s := r.sustain
				en.rates = append(en.rates, s.rate)
				sp50, sp99, scpu = append(sp50, s.p50), append(sp99, s.p99), append(scpu, s.cpu)
				failed += s.failed
				if r.hasBare {
					bareRates = append(bareRates, r.bareSustain.rate)
					bcpu = append(bcpu, r.bareSustain.cpu)
					en.ratios = append(en.ratios, s.rate/max(r.bareSustain.rate, 1e-9))
				}
				if r.hasTwo {
					en.oneRates = append(en.oneRates, r.oneSustain.rate)
					en.twoRatios = append(en.twoRatios, s.rate/max(r.oneSustain.rate, 1e-9))
				}
			}
			en.sustainFailed = failed
			bare, bareCPU, ratio := "-", "-", "-"
			if len(bareRates) > 0 {
				en.bareRate = measure.Median(bareRates)
				bare, bareCPU, ratio = fmt.Sprintf("%.1f", en.bareRate), ms(measure.Median(bcpu)), fmt.Sprintf("%.2f", measure.Median(en.ratios))
			}
			fmt.Printf("| %s | %.1f | %s | %s | %d | %s | %s | %s | %s |\n", en.name, measure.Median(en.rates), ms(measure.Median(sp50)), ms(measure.Median(sp99)), failed,
				ms(measure.Median(scpu)), bare, bareCPU, ratio)
		}
		fmt.Println()
		for _, en := range engines {
			fmt.Printf("%s bookings/s per repetition: %s", en.name, joinRates(en.rates))
			if len(en.ratios) > 0 {
				fmt.Printf("; ratio to bare %s", joinRatios(en.ratios))
			}
			if len(en.oneRates) > 0 {
				fmt.Printf("; one instance alone %s, two ÷ one %s", joinRates(en.oneRates), joinRatios(en.twoRatios))
			}
			fmt.Println()
		}
	}
	if len(engines) == 2 {
		a, b := engines[0], engines[1]
		var wall, rate []float64
		for i := range a.reps {
			wall = append(wall, b.reps[i].burst.wall.Seconds()/a.reps[i].burst.wall.Seconds())
			if o.duration > 0 {
				rate = append(rate, b.rates[i]/a.rates[i])
			}
		}
		fmt.Printf("\nratio %s/%s per repetition pair: burst wall time %s (median %.2f)", b.name, a.name, joinRatios(wall), measure.Median(wall))
		if o.duration > 0 {
			fmt.Printf("; sustained bookings/s %s (median %.2f)", joinRatios(rate), measure.Median(rate))
		}
		fmt.Println()
	}

	if o.cpuprofile != "" {
		for _, en := range engines {
			path := o.cpuprofile + "." + en.name
			if err := profileRepetition(ctx, o, en, tmp, path); err != nil {
				return false, err
			}
			fmt.Printf("\nCPU profile of one extra %s repetition (burst and sustained; server and load generator together): %s\n"+
				"  go tool pprof -top -cum %s\n", en.name, path, path)
		}
	}

	// The verdicts, one line each, the burst's last (docs/PERFORMANCE.md).
	fmt.Println()
	for _, en := range engines {
		if o.duration == 0 {
			break
		}
		aimRate := 2000.0
		if en.name == "postgres" {
			aimRate = 1000
		}
		rate := measure.Median(en.rates)
		if o.bare {
			ratio := measure.Median(en.ratios)
			fmt.Printf("AIM booking-sustained-%s: %.0f bookings/s (bare %.0f/s, ratio %.2f) aim >= 0.5 of bare and >= %.0f/s -> %s\n",
				en.name, rate, en.bareRate, ratio, aimRate, verdict(allOK && en.sustainFailed == 0 && ratio >= 0.5 && rate >= aimRate))
		} else {
			fmt.Printf("AIM booking-sustained-%s: %.0f bookings/s (bare not measured, ratio -) aim >= 0.5 of bare and >= %.0f/s -> NOT MET (run with -bare)\n",
				en.name, rate, aimRate)
		}
		if len(en.oneRates) > 0 {
			// The aim is safety: never more (nor fewer) than -places
			// confirmed with the burst split between the instances, and the
			// sustained runs' checks; the rates are reported, not judged.
			fmt.Printf("AIM booking-two-instances-%s: %.0f bookings/s on two instances, burst %d confirmed of %d places in every repetition: %v (bare one instance %.0f/s, ratio two/one %.2f) aim never overbook, and report two against one -> %s\n",
				en.name, rate, o.places, o.places, en.misses == 0, measure.Median(en.oneRates), measure.Median(en.twoRatios), verdict(en.misses == 0 && en.overbooked == 0))
		}
	}
	for _, en := range engines {
		aim := 500 * time.Millisecond
		if en.name == "postgres" {
			aim = time.Second
		}
		p99 := measure.Median(en.p99)
		bare, ratio := "not measured", "-"
		if o.bare {
			bare, ratio = ms(en.bareP99), fmt.Sprintf("%.2f", float64(en.bareP99)/float64(max(p99, 1)))
		}
		fmt.Printf("AIM booking-burst-%s: p99 %s, %d confirmed of %d places in every repetition: %v, %d failed (bare p99 %s, ratio bare/Plenary %s) aim p99 < %s, exactly %d confirmed, 0 failed -> %s\n",
			en.name, ms(p99), o.places, o.places, en.misses == 0, en.failed, bare, ratio, ms(aim), o.places,
			verdict(allOK && en.misses == 0 && en.failed == 0 && p99 < aim))
	}
	return allOK, nil
}

func verdict(ok bool) string {
	if ok {
		return "MET"
	}
	return "NOT MET"
}

// engine is one database under test and its results.
type engine struct {
	name          string // sqlite or postgres
	url           string // the PostgreSQL database to make schemas in; "" for SQLite
	reps          []repResult
	p99           []time.Duration
	rates         []float64
	ratios        []float64 // sustained rate ÷ the bare reference's, per repetition
	oneRates      []float64 // -instances 2: the first instance alone
	twoRatios     []float64 // -instances 2: both ÷ one
	bareRate      float64
	bareP99       time.Duration
	failed        int // burst requests that failed, all repetitions
	misses        int // repetitions whose burst did not confirm exactly -places
	overbooked    int // repetitions with more confirmed than places, anywhere
	sustainFailed int
}

// repResult is what one repetition measured.
type repResult struct {
	burst, bareBurst     burstResult
	sustain, bareSustain sustainResult
	oneSustain           sustainResult // with -instances 2: the sustained run on the first instance alone
	hasBare, hasTwo      bool
}

// repetition runs one burst and one sustained run on a fresh database,
// each followed by the same on the bare reference.
func repetition(ctx context.Context, o options, pgURL, tmp, name string, report bool) (repResult, bool, error) {
	var r repResult
	env, err := start(ctx, o, pgURL, tmp, name)
	if err != nil {
		return r, false, err
	}
	defer env.close()

	tag := name
	if r.burst, err = burst(ctx, o, env.baseURLs, env.smallPath, tag); err != nil {
		return r, false, err
	}
	ok := checkBurst(ctx, o, env, &r.burst, report)
	if env.bareURL != "" {
		r.hasBare = true
		if r.bareBurst, err = burst(ctx, o, []string{env.bareURL}, env.smallPath, tag+"b"); err != nil {
			return r, false, err
		}
		ok = checkBare(r.bareBurst.booked, r.bareBurst.failed, o.burst, "burst") && ok
	}
	if o.duration > 0 {
		before := 0
		if len(env.baseURLs) == 2 {
			r.hasTwo = true
			if r.oneSustain, err = sustain(ctx, o, env.baseURLs[:1], env.bigPath, tag+"1"); err != nil {
				return r, false, err
			}
			ok = checkSustain(ctx, env, &r.oneSustain, report, 0) && ok
			before = r.oneSustain.booked
		}
		if r.sustain, err = sustain(ctx, o, env.baseURLs, env.bigPath, tag); err != nil {
			return r, false, err
		}
		ok = checkSustain(ctx, env, &r.sustain, report, before) && ok
		if env.bareURL != "" {
			if r.bareSustain, err = sustain(ctx, o, []string{env.bareURL}, env.bigPath, tag+"b"); err != nil {
				return r, false, err
			}
			ok = checkBare(r.bareSustain.booked, r.bareSustain.failed, r.bareSustain.booked+r.bareSustain.failed, "sustained") && ok
		}
	}
	return r, ok, nil
}

// checkBare checks that every request to the bare reference was a booking.
func checkBare(booked, failed, want int, phase string) bool {
	if failed > 0 || booked != want {
		fmt.Printf("CHECK FAILED (bare %s): %d booked, %d failed, want %d booked\n", phase, booked, failed, want)
		return false
	}
	return true
}

// env is one running Plenary over one fresh database.
type env struct {
	db                 *database.DB
	bookings           *booking.Service // the first instance's
	baseURLs           []string         // one per instance
	bareURL            string           // the bare reference; "" without -bare
	smallID, bigID     int64
	closers            []func()
	smallPath, bigPath string
}

func (e *env) close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
}

// start makes the database, saves the course and starts the server, wired
// as cmd/plenary's newApp wires `plenary serve`.
func start(ctx context.Context, o options, pgURL, tmp, name string) (_ *env, err error) {
	e := &env{}
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	dbURL := "sqlite:" + filepath.Join(tmp, name+".db")
	if pgURL != "" {
		var drop func() error
		if dbURL, drop, err = dbtest.Schema(ctx, pgURL, "bench_booking_"); err != nil {
			return nil, err
		}
		e.closers = append(e.closers, func() {
			if err := drop(); err != nil {
				fmt.Fprintf(os.Stderr, "booking: %v\n", err)
			}
		})
	}
	db, err := database.Open(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	e.db = db
	e.closers = append(e.closers, func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	store := catalog.NewStore(db, catalog.Hooks{})
	c := course(time.Now(), o.places)
	if _, err := store.Save(ctx, []*catalog.Course{&c}, catalog.SaveOptions{Actor: audit.Job("bench"), Now: time.Now()}); err != nil {
		return nil, err
	}
	e.smallID, e.bigID = c.Events[0].ID, c.Events[1].ID
	if e.smallID == 0 || e.bigID == 0 {
		return nil, errors.New("the saved course's events have no ids")
	}

	first, err := e.instance(ctx, o, db)
	if err != nil {
		return nil, err
	}
	e.bookings = first
	if o.instances == 2 {
		// A second Plenary over the same database, as a second process
		// would be: its own pool, outbox and booking.Service (so its own
		// in-process queues), and its own server.
		db2, err := database.Open(ctx, dbURL)
		if err != nil {
			return nil, err
		}
		e.closers = append(e.closers, func() { db2.Close() })
		if _, err := e.instance(ctx, o, db2); err != nil {
			return nil, err
		}
	}
	e.smallPath = fmt.Sprintf("/events/%d/book", e.smallID)
	e.bigPath = fmt.Sprintf("/events/%d/book", e.bigID)
	if o.bare {
		if e.bareURL, err = e.startBare(ctx, db); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// instance starts one Plenary web server on db, wired as cmd/plenary's
// newApp wires `plenary serve`, adds its URL to e.baseURLs and returns its
// booking.Service.
func (e *env) instance(ctx context.Context, o options, db *database.DB) (*booking.Service, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	baseURL := "http://" + ln.Addr().String()
	// Log as `plenary serve` does in production (JSON, one line per
	// request), but into io.Discard: the cost counts, the terminal not.
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	if os.Getenv("BENCH_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	const from = "Plenary <noreply@127.0.0.1>"
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{Logger: logger})
	if err != nil {
		ln.Close()
		return nil, err
	}
	mail, err := booking.NewMail()
	if err != nil {
		ln.Close()
		return nil, err
	}
	outbox := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{From: from, Renderer: mail})
	store := catalog.NewStore(db, catalog.Hooks{})
	bookings := booking.NewService(booking.Options{DB: db, Catalog: store, Outbox: outbox, BaseURL: baseURL, Organizer: from})
	if o.send {
		workers := river.NewWorkers()
		messaging.AddWorkers(workers, outbox, messaging.DevMailbox{})
		runner, err := messaging.NewJobs(db, workers, nil, messaging.JobsOptions{Logger: logger, Run: true})
		if err != nil {
			ln.Close()
			return nil, err
		}
		if err := runner.Start(ctx); err != nil {
			ln.Close()
			return nil, err
		}
		e.closers = append(e.closers, func() {
			stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			runner.Stop(stopCtx)
		})
	}
	kit, err := web.New(web.Options{
		DB: db, Logger: logger, BaseURL: baseURL,
		PageCacheTTL: o.pageCache,
		BookingLimit: -1, // off: every request here comes from 127.0.0.1
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	pub, err := site.New(kit, site.Options{Catalog: store, Bookings: bookings})
	if err != nil {
		ln.Close()
		return nil, err
	}
	e.closers = append(e.closers, serve(ln, kit.Handler(pub)))
	e.baseURLs = append(e.baseURLs, baseURL)
	return bookings, nil
}

// startBare starts the bare booking reference on db: a handler that
// parses the same form as Plenary's booking page, checks that the fields
// Plenary requires are there, inserts one row in one transaction (on
// SQLite through database.InTx, queued for the write lock as Plenary's
// writes are) and answers 303 as Plenary does. No catalogue, no rules, no
// e-mail, no audit: what any booking handler on this engine must at least
// do.
func (e *env) startBare(ctx context.Context, db *database.DB) (string, error) {
	id := "INTEGER PRIMARY KEY"
	if db.Dialect == database.Postgres {
		id = "BIGSERIAL PRIMARY KEY"
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE bare_bookings (id `+id+`, event_id BIGINT NOT NULL,
		name TEXT NOT NULL, email TEXT NOT NULL, organisation TEXT NOT NULL, role TEXT NOT NULL, answer TEXT NOT NULL,
		fee_tier TEXT NOT NULL, po_number TEXT NOT NULL, created_at TIMESTAMP NOT NULL)`); err != nil {
		return "", fmt.Errorf("bare reference: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("POST /events/{id}/book", func(w http.ResponseWriter, r *http.Request) {
		eventID, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f := r.PostForm
		for _, k := range []string{"name", "email", "organisation", "role", "answer_employer", "fee_tier"} {
			if strings.TrimSpace(f.Get(k)) == "" {
				http.Error(w, k+" is required", http.StatusUnprocessableEntity)
				return
			}
		}
		var bid int64
		err = database.InTx(r.Context(), db, func(tx *sql.Tx) error {
			return tx.QueryRowContext(r.Context(), `INSERT INTO bare_bookings
				(event_id, name, email, organisation, role, answer, fee_tier, po_number, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
				eventID, f.Get("name"), f.Get("email"), f.Get("organisation"), f.Get("role"), f.Get("answer_employer"),
				f.Get("fee_tier"), f.Get("po_number"), time.Now().UTC()).Scan(&bid)
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, "/bookings/bare-"+strconv.FormatInt(bid, 10), http.StatusSeeOther)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	e.closers = append(e.closers, serve(ln, mux))
	return "http://" + ln.Addr().String(), nil
}

// course is a published, paid, online one-day course four weeks from now
// (dbtest's fixture) with a waiting list, one question, and two dates:
// "small" with places places and "open" with no limit.
func course(now time.Time, places int) catalog.Course {
	c := catalogtest.NewCourse(now)
	c.Slug, c.Title, c.Summary = "load-test", "Load test", "A course for the booking load test."
	c.Waitlist = true
	c.Questions = []catalog.Question{{Key: "employer", Label: "Who employs you?", Kind: catalog.TextAnswer, Required: true}}
	small, open := c.Events[0], catalogtest.NewCourse(now).Events[0] // no shared slices
	small.Ref, small.Capacity = "small", places
	open.Ref, open.Capacity = "open", 0
	c.Events = []catalog.Event{small, open}
	return c
}

// serve serves h on ln with the timeouts of `plenary serve`, and returns
// the func that stops it.
func serve(ln net.Listener, h http.Handler) func() {
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	go hs.Serve(ln)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
	}
}

// form is the booking form as a browser posts it, for person i of a run.
func form(tag string, i uint64) string {
	return url.Values{
		"name":            {fmt.Sprintf("Person %s-%06d", tag, i)},
		"email":           {fmt.Sprintf("person.%s.%06d@example.org", tag, i)},
		"organisation":    {"Load Test Trust"},
		"role":            {"Nurse"},
		"answer_employer": {"Load Test Trust"},
		"fee_tier":        {"Standard"},
		"system_checked":  {"1"},
		"po_number":       {fmt.Sprintf("PO-%06d", i)},
	}.Encode()
}

// bookingHeader is what a browser sends with the form: Sec-Fetch-Site is
// what it adds to a form posted from the site itself to a form posted from the site itself;
// without it the cross-origin protection refuses the post.
func bookingHeader() http.Header {
	return http.Header{
		"Content-Type":   {"application/x-www-form-urlencoded"},
		"Sec-Fetch-Site": {"same-origin"},
	}
}

type burstResult struct {
	booked, repeats, failed int // 303 to /bookings/…, 303 to ?sent=1, anything else
	failures                map[string]int
	first, p50, p99, max    time.Duration
	wall                    time.Duration
	cpu                     time.Duration // CPU time of the process (server and clients) per request
	faults                  float64       // page faults of the process per request
	confirmed, waitlisted   int
}

// burst posts o.burst bookings at once: one goroutine and one connection
// per person, released together by closing a channel.
func burst(ctx context.Context, o options, urls []string, path, tag string) (burstResult, error) {
	type outcome struct {
		code int
		loc  string
		err  error
		lat  time.Duration
		end  time.Time
	}
	n := o.burst
	clients := make([]*http.Client, n)
	for i := range clients {
		clients[i] = &http.Client{
			Timeout: o.timeout,
			Transport: &http.Transport{
				Proxy:               nil,
				MaxIdleConnsPerHost: 1,
				MaxConnsPerHost:     1,
				IdleConnTimeout:     5 * time.Minute,
				DisableCompression:  true,
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	defer func() {
		for _, c := range clients {
			c.CloseIdleConnections()
		}
	}()
	if o.preconnect {
		// Open each client's connection, a few dozen at a time, with a
		// cheap GET; it stays open (keep-alive) for the POST.
		sem := make(chan struct{}, 64)
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i, c := range clients {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				resp, err := c.Get(urls[i%len(urls)] + "/healthz")
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			})
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return burstResult{}, fmt.Errorf("preconnect: %w", err)
		}
	}

	results := make([]outcome, n)
	startGate := make(chan struct{})
	var ready, done sync.WaitGroup
	for i := range n {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			body := form(tag, uint64(i+1))
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, urls[i%len(urls)]+path, strings.NewReader(body))
			if err != nil {
				results[i].err = err
				ready.Done()
				return
			}
			req.Header = bookingHeader()
			ready.Done()
			<-startGate
			t0 := time.Now()
			resp, err := clients[i].Do(req)
			if err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				results[i].code, results[i].loc = resp.StatusCode, resp.Header.Get("Location")
			}
			results[i].end = time.Now()
			results[i].lat, results[i].err = results[i].end.Sub(t0), err
		}()
	}
	ready.Wait()
	if o.cold {
		// Every burst starts from the memory a quiet server holds: what
		// the last phase freed goes back to the system, as the runtime's
		// scavenger returns it over a quiet minute (and plenary serve
		// does once after start), so each burst — Plenary's or the bare
		// handler's, whichever ran before it — maps afresh the memory it
		// needs.
		debug.FreeOSMemory()
	}
	cpuBefore, faultsBefore := measure.ProcessCPU(), measure.ProcessFaults()
	released := time.Now()
	close(startGate)
	done.Wait()
	cpu, faults := measure.ProcessCPU()-cpuBefore, measure.ProcessFaults()-faultsBefore

	r := burstResult{failures: map[string]int{}, cpu: cpu / time.Duration(n), faults: float64(faults) / float64(n)}
	lats := make([]time.Duration, 0, n)
	var last time.Time
	for _, res := range results {
		lats = append(lats, res.lat)
		if res.end.After(last) {
			last = res.end
		}
		switch {
		case res.err != nil:
			r.failed++
			r.failures["transport: "+shortErr(res.err)]++
		case res.code == http.StatusSeeOther && strings.HasPrefix(res.loc, "/bookings/"):
			r.booked++
		case res.code == http.StatusSeeOther:
			r.repeats++
			r.failures["303 to "+res.loc]++
		default:
			r.failed++
			r.failures[fmt.Sprintf("status %d", res.code)]++
		}
	}
	slices.Sort(lats)
	r.first, r.p50, r.p99, r.max = lats[0], quantile(lats, 0.50), quantile(lats, 0.99), lats[len(lats)-1]
	r.wall = last.Sub(released)
	return r, nil
}

// checkBurst reads the small date's bookings back and checks them.
func checkBurst(ctx context.Context, o options, e *env, r *burstResult, report bool) bool {
	ok := true
	fail := func(format string, args ...any) {
		ok = false
		fmt.Printf("CHECK FAILED (burst): "+format+"\n", args...)
	}
	if len(r.failures) > 0 && report {
		fmt.Printf("  burst failures: %v\n", r.failures)
	}
	bs, err := e.bookings.List(ctx, e.smallID)
	if err != nil {
		fail("list: %v", err)
		return false
	}
	emails := map[string]bool{}
	invoices := map[int64]bool{}
	var positions []int
	for _, b := range bs {
		switch b.Status {
		case booking.Confirmed:
			r.confirmed++
			if b.InvoiceNumber == 0 || invoices[b.InvoiceNumber] {
				fail("confirmed booking %d has invoice number %d (missing or repeated)", b.ID, b.InvoiceNumber)
			}
			invoices[b.InvoiceNumber] = true
		case booking.Waitlisted:
			r.waitlisted++
			positions = append(positions, b.WaitPosition)
		default:
			fail("booking %d has status %s", b.ID, b.Status)
		}
		key := strings.ToLower(b.Email)
		if emails[key] {
			fail("two bookings for %s", b.Email)
		}
		emails[key] = true
	}
	if r.confirmed != o.places {
		fail("confirmed: %d, want exactly %d", r.confirmed, o.places)
	}
	for i, p := range positions {
		if p != i+1 {
			fail("waiting-list positions are not 1…%d each once: position %d is %d", len(positions), i+1, p)
			break
		}
	}
	if len(bs) != r.booked {
		fail("%d bookings in the database, but %d requests were answered with a booking", len(bs), r.booked)
	}
	checkMail(ctx, e, len(bs), "burst", fail)
	return ok
}

// checkMail checks one queued message and one send job per booking so far.
func checkMail(ctx context.Context, e *env, wantAtLeast int, phase string, fail func(string, ...any)) {
	var messages, jobs int
	if err := e.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages`).Scan(&messages); err != nil {
		fail("count messages: %v", err)
		return
	}
	if err := e.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job WHERE kind = 'send_message'`).Scan(&jobs); err != nil {
		fail("count send jobs: %v", err)
		return
	}
	var bookings int
	if err := e.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM bookings`).Scan(&bookings); err != nil {
		fail("count bookings: %v", err)
		return
	}
	if messages != bookings || jobs != bookings || bookings < wantAtLeast {
		fail("after the %s: %d bookings, %d messages, %d send jobs; want one message and one job per booking", phase, bookings, messages, jobs)
	}
}

type sustainResult struct {
	booked, failed  int
	failures        map[string]int
	rate            float64 // bookings a second
	p50, p99, max   time.Duration
	cpu             time.Duration // CPU time of the process per request
	confirmed, list int
}

// sustain posts bookings into the unlimited date with vegeta for
// o.duration, each from a new person.
func sustain(ctx context.Context, o options, urls []string, path, tag string) (sustainResult, error) {
	noProxy := func(*http.Request) (*url.URL, error) { return nil, nil }
	a := vegeta.NewAttacker(
		vegeta.Workers(o.workers),
		vegeta.MaxWorkers(o.workers),
		vegeta.Connections(int(o.workers)),
		vegeta.KeepAlive(true),
		vegeta.Timeout(o.timeout),
		vegeta.Proxy(noProxy),
		vegeta.HTTP2(false),
		vegeta.Redirects(vegeta.NoFollow), // the 303 is the answer
		vegeta.MaxBody(0),
	)
	var next atomic.Uint64
	tag += "s"
	targeter := func(t *vegeta.Target) error {
		i := next.Add(1)
		t.Method, t.URL = http.MethodPost, urls[int(i)%len(urls)]+path
		t.Body = []byte(form(tag, i))
		t.Header = bookingHeader()
		return nil
	}
	var m vegeta.Metrics
	r := sustainResult{failures: map[string]int{}}
	cpuBefore := measure.ProcessCPU()
	results := a.Attack(targeter, measure.Capped{Max: o.maxRequests}, o.duration, "sustained")
	for res := range results {
		if ctx.Err() != nil {
			a.Stop()
		}
		m.Add(res)
		if res.Code == http.StatusSeeOther && res.Error == "" {
			r.booked++
		} else {
			r.failed++
			r.failures[fmt.Sprintf("status %d %s", res.Code, shortErr(errors.New(res.Error)))]++
		}
	}
	m.Close()
	if m.Requests == 0 {
		return r, errors.New("sustained: no requests were made")
	}
	r.cpu = (measure.ProcessCPU() - cpuBefore) / time.Duration(m.Requests)
	elapsed := m.Duration + m.Wait
	r.rate = float64(r.booked) / elapsed.Seconds()
	r.p50, r.p99, r.max = m.Latencies.P50, m.Latencies.P99, m.Latencies.Max
	return r, nil
}

func checkSustain(ctx context.Context, e *env, r *sustainResult, report bool, before int) bool {
	ok := true
	fail := func(format string, args ...any) {
		ok = false
		fmt.Printf("CHECK FAILED (sustained): "+format+"\n", args...)
	}
	if len(r.failures) > 0 && report {
		fmt.Printf("  sustained failures: %v\n", r.failures)
	}
	bs, err := e.bookings.List(ctx, e.bigID)
	if err != nil {
		fail("list: %v", err)
		return false
	}
	for _, b := range bs {
		if b.Status == booking.Confirmed {
			r.confirmed++
		}
	}
	r.list = len(bs)
	if r.confirmed != len(bs) || len(bs) != before+r.booked {
		fail("%d bookings answered (%d before this run), %d in the database, %d of them confirmed; want all the same",
			r.booked, before, len(bs), r.confirmed)
	}
	checkMail(ctx, e, len(bs), "sustained run", fail)
	return ok
}

// profileRepetition runs one more repetition under the CPU profiler.
func profileRepetition(ctx context.Context, o options, en engine, tmp, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return err
	}
	o.bare = false // the profile is of Plenary
	r, _, err := repetition(ctx, o, en.url, tmp, en.name+"-profiled", false)
	b, s := r.burst, r.sustain
	pprof.StopCPUProfile()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		fmt.Printf("\nprofiled %s repetition (slowed by the profiler): burst p50 %s p99 %s wall %s; sustained %.1f bookings/s\n",
			en.name, ms(b.p50), ms(b.p99), ms(b.wall), s.rate)
	}
	return err
}

// quantile of sorted durations, nearest rank.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func shortErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && len(s) > 80 {
		s = "…" + s[i:]
	}
	return s
}

func ms(d time.Duration) string {
	if d >= 10*time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
}

func joinMS(ds []time.Duration) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, ms(d))
	}
	return strings.Join(parts, ", ")
}

func joinRates(rs []float64) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%.1f", r))
	}
	return strings.Join(parts, ", ")
}

func joinRatios(rs []float64) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%.2f", r))
	}
	return strings.Join(parts, " ")
}
