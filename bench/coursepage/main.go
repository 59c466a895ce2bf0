// Command coursepage measures how fast Plenary serves a course page,
// against the fastest a Go server could serve the same bytes.
//
// It starts two servers on 127.0.0.1 in this one process: the real
// web.Server over a fresh database holding the demo catalogue, and a bare
// net/http handler that writes, from memory, the exact bytes and headers
// the real server sent for the page once. It then loads each with vegeta
// as fast as a fixed number of workers can go (rate 0: each worker sends
// its next request as soon as the last one is answered), in alternating
// rounds (bare, plenary, bare, plenary, …), and reports per round and the
// median over rounds: successful requests per second, p50 and p99
// latency, non-2xx responses, the CPU time of the process per request, and
// the ratio plenary/bare.
//
// The load is loopback only, and bounded: every round stops after
// -duration or -max-requests, whichever comes first.
//
//	go run ./bench/coursepage                          # SQLite in a temp folder
//	go run ./bench/coursepage -rounds 7 -duration 5s -workers 8
//	go run ./bench/coursepage -db postgres://…         # a throw-away database
//	go run ./bench/coursepage -cpuprofile cpu.out      # then: go tool pprof cpu.out
package main

import (
	"bytes"
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
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"plenary/bench/internal/measure"
	"plenary/demo"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/database"
	"plenary/internal/web"
	"plenary/internal/web/site"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "coursepage:", err)
		os.Exit(1)
	}
}

type options struct {
	duration    time.Duration
	warmup      time.Duration
	rounds      int
	workers     uint64
	maxRequests uint64
	dbURL       string
	slug        string
	cpuprofile  string
	pageCache   time.Duration
	bookings    bool
}

func run() error {
	var o options
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "length of each measured round")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "length of the unmeasured warm-up round of each server")
	flag.IntVar(&o.rounds, "rounds", 5, "measured rounds per server (they alternate: bare, plenary, bare, …)")
	flag.Uint64Var(&o.workers, "workers", 8, "concurrent vegeta workers (and connections), the same for both servers")
	flag.Uint64Var(&o.maxRequests, "max-requests", 2_000_000, "hard cap on the requests of one round")
	flag.StringVar(&o.dbURL, "db", "", "database URL (sqlite:… or postgres://…); default: SQLite in a temp folder. "+
		"The demo catalogue is loaded when the database has no courses, so use a throw-away database")
	flag.DurationVar(&o.pageCache, "page-cache", 2*time.Second, "the page cache TTL, as PLENARY_PAGE_CACHE_TTL sets it for plenary serve; 0 measures every request rendered from the database")
	flag.BoolVar(&o.bookings, "bookings", true, "serve booking as plenary serve does (places left on each date, read per page or, with the page cache, per TTL); false: the catalogue alone, as this bench measured before 2 December 2026")
	flag.StringVar(&o.slug, "slug", "dit-refresher", "course page to load")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "after the measured rounds, run one extra plenary round under the CPU profiler and write the profile here")
	flag.Parse()
	if o.rounds < 1 || o.workers < 1 || o.duration <= 0 {
		return errors.New("-rounds, -workers and -duration must be positive")
	}

	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "plenary-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if o.dbURL == "" {
		o.dbURL = "sqlite:" + filepath.Join(tmp, "bench.db")
	}

	db, err := openDemo(ctx, o.dbURL)
	if err != nil {
		return err
	}
	defer db.Close()

	// Log as `plenary serve` does in production (JSON, one line per
	// request), but into io.Discard: the cost of the log line counts, the
	// terminal does not.
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	kit, err := web.New(web.Options{DB: db, Logger: logger, PageCacheTTL: o.pageCache})
	if err != nil {
		return err
	}
	store := catalog.NewStore(db, catalog.Hooks{})
	siteOpts := site.Options{Catalog: store}
	if o.bookings {
		siteOpts.Bookings = booking.NewService(booking.Options{DB: db, Catalog: store, BaseURL: "http://127.0.0.1"})
	}
	pub, err := site.New(kit, siteOpts)
	if err != nil {
		return err
	}
	plenaryURL, stopPlenary, err := listen(kit.Handler(pub))
	if err != nil {
		return err
	}
	defer stopPlenary()
	pagePath := "/courses/" + url.PathEscape(o.slug)

	// Fetch the page once; the bare handler replays these bytes.
	status, header, body, err := fetch(plenaryURL + pagePath)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("GET %s: status %d, want 200", pagePath, status)
	}
	bareURL, stopBare, err := listen(replay(header, body))
	if err != nil {
		return err
	}
	defer stopBare()
	if _, _, again, err := fetch(bareURL + pagePath); err != nil || !bytes.Equal(again, body) {
		return fmt.Errorf("the bare handler does not serve the same bytes (err %v)", err)
	}

	fmt.Printf("page %s: %d bytes, %d headers; database %s; GOMAXPROCS %d, %d CPUs, %s\n",
		pagePath, len(body), len(header), db.Dialect, runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.Version())
	fmt.Printf("vegeta: rate 0 (as fast as possible), %d workers, keep-alive, %v rounds, %d rounds per server after a %v warm-up each\n\n",
		o.workers, o.duration, o.rounds, o.warmup)

	targets := []target{{name: "bare", url: bareURL + pagePath}, {name: "plenary", url: plenaryURL + pagePath}}
	for _, t := range targets {
		if _, err := attack(t, o, o.warmup); err != nil {
			return err
		}
	}
	results := map[string][]roundResult{}
	fmt.Printf("%-6s %-8s %10s %9s %9s %8s %10s\n", "round", "server", "req/s", "p50", "p99", "non-2xx", "CPU/req")
	for i := 1; i <= o.rounds; i++ {
		for _, t := range targets {
			r, err := attack(t, o, o.duration)
			if err != nil {
				return err
			}
			results[t.name] = append(results[t.name], r)
			fmt.Printf("%-6d %-8s %10.0f %9s %9s %8d %10s\n", i, t.name, r.rps, ms(r.p50), ms(r.p99), r.non2xx, us(r.cpu))
		}
	}

	bare, plenary := summarise(results["bare"]), summarise(results["plenary"])
	var ratios []float64
	for i := range results["bare"] {
		ratios = append(ratios, results["plenary"][i].rps/results["bare"][i].rps)
	}
	fmt.Printf("\nMedian over %d rounds (%d workers, %v each):\n\n", o.rounds, o.workers, o.duration)
	fmt.Println("| server | req/s | p50 | p99 | non-2xx (all rounds) | CPU per request |")
	fmt.Println("|---|---:|---:|---:|---:|---:|")
	for _, s := range []struct {
		name string
		sum  summary
	}{{"bare net/http, same bytes", bare}, {"plenary", plenary}} {
		fmt.Printf("| %s | %.0f | %s | %s | %d | %s |\n", s.name, s.sum.rps, ms(s.sum.p50), ms(s.sum.p99), s.sum.non2xx, us(s.sum.cpu))
	}
	fmt.Printf("\nratio plenary/bare: %.3f (of the medians); per round pair: %s, median %.3f\n",
		plenary.rps/bare.rps, formatRatios(ratios), measure.Median(ratios))
	fmt.Printf("ratio of CPU per request, bare/plenary: %.3f (the throughput ratio the CPU cost alone predicts)\n",
		float64(bare.cpu)/float64(plenary.cpu))

	if o.cpuprofile != "" {
		if err := profileRound(targets[1], o); err != nil {
			return err
		}
		fmt.Printf("\nCPU profile of one extra plenary round (server and load generator together): %s\n"+
			"  go tool pprof -top -focus=plenary/internal %s\n", o.cpuprofile, o.cpuprofile)
	}
	// The aim (issue 12): rendered from the database (cache off) at least
	// 0.3 of the bare handler; with the cache, 0.7.
	name, aim := fmt.Sprintf("course page, page cache %v, %s", o.pageCache, db.Dialect), 0.7
	if o.pageCache == 0 {
		name, aim = fmt.Sprintf("course page rendered from the database (cache off), %s", db.Dialect), 0.3
	}
	r := measure.Median(ratios)
	verdict := "NOT MET"
	if r >= aim {
		verdict = "MET"
	}
	fmt.Printf("AIM %s: %.0f req/s, CPU %s per request (bare %.0f req/s, CPU %s; ratio %.3f, of CPU %.3f) aim %.1f -> %s\n",
		name, plenary.rps, us(plenary.cpu), bare.rps, us(bare.cpu), r, float64(bare.cpu)/float64(plenary.cpu), aim, verdict)
	return nil
}

// openDemo opens and migrates the database, and loads the demo catalogue
// if it has no courses, as `plenary serve -demo` does.
func openDemo(ctx context.Context, dbURL string) (*database.DB, error) {
	db, err := database.Open(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	store := catalog.NewStore(db, catalog.Hooks{})
	n, err := store.CountCourses(ctx)
	if err != nil || n > 0 {
		return db, err
	}
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		db.Close()
		return nil, err
	}
	now := time.Now()
	courses, err := demo.Courses(catalog.DateOf(now.In(loc)))
	if err != nil {
		db.Close()
		return nil, err
	}
	for i := range courses {
		if _, err := store.Save(ctx, []*catalog.Course{&courses[i]}, catalog.SaveOptions{Actor: audit.Job("bench"), Now: now}); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// listen serves h on a free loopback port with the timeouts of `plenary
// serve`, and returns its base URL and a func that stops it.
func listen(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	go hs.Serve(ln)
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
	}
	return "http://" + ln.Addr().String(), stop, nil
}

// fetch GETs a page once.
func fetch(u string) (int, http.Header, []byte, error) {
	resp, err := http.Get(u)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body, err
}

// replay is the bare handler: the recorded headers (Date and
// Content-Length are set by net/http as usual) and body, from memory.
func replay(recorded http.Header, body []byte) http.Handler {
	header := recorded.Clone()
	header.Del("Date")
	header.Del("Content-Length")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for k, v := range header {
			h[k] = v
		}
		w.Write(body)
	})
}

type target struct{ name, url string }

type roundResult struct {
	rps      float64 // successful requests per second
	p50, p99 time.Duration
	non2xx   uint64        // including transport errors (no status)
	cpu      time.Duration // CPU time of this process (server and load generator) per request
}

// attack loads one target for d with a new attacker, so that both servers
// get exactly the same settings and fresh connections each round.
func attack(t target, o options, d time.Duration) (roundResult, error) {
	noProxy := func(*http.Request) (*url.URL, error) { return nil, nil }
	a := vegeta.NewAttacker(
		vegeta.Workers(o.workers),
		vegeta.MaxWorkers(o.workers),
		vegeta.Connections(int(o.workers)),
		vegeta.KeepAlive(true),
		vegeta.Timeout(10*time.Second),
		vegeta.Proxy(noProxy),
		vegeta.HTTP2(false),
		// Read every body to the end, but keep none of it: the load
		// generator shares the CPUs with the servers, so it should waste
		// as little as it can.
		vegeta.MaxBody(0),
	)
	targeter := vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodGet, URL: t.url})
	pacer := measure.Capped{Max: o.maxRequests} // rate 0: no pacing
	var m vegeta.Metrics
	var non2xx uint64
	var firstErr string
	cpuBefore := measure.ProcessCPU()
	for res := range a.Attack(targeter, pacer, d, t.name) {
		m.Add(res)
		if res.Code < 200 || res.Code > 299 {
			non2xx++
			if firstErr == "" {
				firstErr = res.Error
			}
		}
	}
	cpu := measure.ProcessCPU() - cpuBefore
	m.Close()
	if m.Requests == 0 {
		return roundResult{}, fmt.Errorf("%s: no requests were made", t.name)
	}
	if non2xx == m.Requests {
		return roundResult{}, fmt.Errorf("%s: every request failed, e.g. %s", t.name, firstErr)
	}
	// Successes over the time from the first request to the last answer.
	elapsed := m.Duration + m.Wait
	return roundResult{
		rps:    float64(m.Requests-non2xx) / elapsed.Seconds(),
		p50:    m.Latencies.P50,
		p99:    m.Latencies.P99,
		non2xx: non2xx,
		cpu:    cpu / time.Duration(m.Requests),
	}, nil
}

// profileRound runs one more plenary round under the CPU profiler.
func profileRound(t target, o options) error {
	f, err := os.Create(o.cpuprofile)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return err
	}
	r, err := attack(t, o, o.duration)
	pprof.StopCPUProfile()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		fmt.Printf("\nprofiled round: plenary %.0f req/s (slowed by the profiler)\n", r.rps)
	}
	return err
}

type summary struct {
	rps      float64
	p50, p99 time.Duration
	non2xx   uint64
	cpu      time.Duration
}

func summarise(rs []roundResult) summary {
	var s summary
	var rps []float64
	var p50, p99, cpu []time.Duration
	for _, r := range rs {
		rps = append(rps, r.rps)
		p50 = append(p50, r.p50)
		p99 = append(p99, r.p99)
		cpu = append(cpu, r.cpu)
		s.non2xx += r.non2xx
	}
	s.rps = measure.Median(rps)
	s.p50 = measure.Median(p50)
	s.p99 = measure.Median(p99)
	s.cpu = measure.Median(cpu)
	return s
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

func us(d time.Duration) string {
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
}

func formatRatios(rs []float64) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%.3f", r))
	}
	return strings.Join(parts, " ")
}
