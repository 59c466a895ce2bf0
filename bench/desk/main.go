// Command desk measures the staff bookings desk for one date holding many
// bookings (issue 12: a date with 2,000 bookings renders in under 50 ms).
//
// It makes a fresh database (a SQLite file in a temp folder, or a new
// schema in the PostgreSQL database given), one course with a date of no
// limit, and -bookings bookings on that date through booking.Service (as
// the public form makes them); signs a coordinator in; and serves the real
// web.Server with the staff area on 127.0.0.1, next to a bare net/http
// handler that replays the exact bytes the desk sent once. Then, in
// alternating rounds (bare, plenary, …), one client fetches the desk of
// that date (/admin/bookings?event=ID) -n times one after the other, over
// a keep-alive connection with the session cookie, and the program
// reports the median and p99 of the time to the last byte and the
// process's CPU time per request.
//
//	go run ./desk                                  # SQLite, 2,000 bookings, 200 renders per server
//	go run ./desk -db 'postgres://…' -n 300        # PostgreSQL (a schema made and dropped)
//	go run ./desk -cpuprofile /tmp/desk.out        # then: go tool pprof -top -cum /tmp/desk.out
//
// The last line is the aim's verdict: p99 under 50 ms.
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
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"plenary/bench/internal/measure"
	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database"
	"plenary/internal/database/dbtest"
	"plenary/internal/messaging"
	"plenary/internal/web"
	"plenary/internal/web/admin"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "desk:", err)
		os.Exit(1)
	}
}

const aim = 50 * time.Millisecond

func run() error {
	dbURL := flag.String("db", "", "a PostgreSQL URL to make a throw-away schema in; default: SQLite in a temp folder")
	nBookings := flag.Int("bookings", 2000, "bookings on the date")
	n := flag.Int("n", 200, "desk renders per round and server")
	rounds := flag.Int("rounds", 3, "measured rounds per server (alternating bare, plenary, …)")
	query := flag.String("query", "", "extra query on the desk's address, e.g. q=smith or page=40")
	cpuprofile := flag.String("cpuprofile", "", "after the rounds, profile one more plenary round into this file")
	flag.Parse()
	if *nBookings < 1 || *n < 2 || *rounds < 1 {
		return errors.New("-bookings, -n and -rounds must be positive (-n at least 2)")
	}
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "plenary-desk-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	u := "sqlite:" + filepath.Join(tmp, "desk.db")
	if *dbURL != "" {
		var drop func() error
		if u, drop, err = dbtest.Schema(ctx, *dbURL, "desk_"); err != nil {
			return err
		}
		defer drop()
	}
	db, err := database.Open(ctx, u)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}

	now := time.Now()
	store := catalog.NewStore(db, catalog.Hooks{})
	c := catalogtest.NewCourse(now)
	c.Slug, c.Title = "desk-bench", "Desk bench"
	c.Events[0].Capacity = 0 // no limit: every booking confirmed
	if _, err := store.Save(ctx, []*catalog.Course{&c}, catalog.SaveOptions{Actor: audit.Job("bench"), Now: now}); err != nil {
		return err
	}
	c, e, err := store.Event(ctx, c.Events[0].ID)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	const from = "Plenary <noreply@127.0.0.1>"
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{Logger: logger})
	if err != nil {
		return err
	}
	mail, err := booking.NewMail()
	if err != nil {
		return err
	}
	outbox := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{From: from, Renderer: mail})
	bookings := booking.NewService(booking.Options{DB: db, Catalog: store, Outbox: outbox, BaseURL: "http://127.0.0.1", Organizer: from})
	t0 := time.Now()
	for i := range *nBookings {
		form := url.Values{"name": {fmt.Sprintf("Person %04d Example", i)}, "email": {fmt.Sprintf("p%04d@example.org", i)},
			"organisation": {"North Clinic"}, "role": {"Nurse"}, "system_checked": {"yes"}, "fee_tier": {c.Fees[0].Name}}
		if _, err := bookings.BookEvent(ctx, &c, &e, booking.ReadRequest(form, c), audit.ParticipantOf(0)); err != nil {
			return fmt.Errorf("booking %d: %w", i, err)
		}
	}
	fmt.Printf("made %d bookings on date %d in %v\n", *nBookings, e.ID, time.Since(t0).Round(time.Millisecond))

	accounts := account.New(account.Options{DB: db})
	const email, password = "coord@example.org", "correct horse battery staple"
	if _, err := accounts.AddUser(ctx, audit.CommandLine("bench"), account.Profile{Email: email, Role: account.Coordinator}, password, time.Now()); err != nil {
		return err
	}
	_, token, err := accounts.SignIn(ctx, account.Credentials{Email: email, Password: password}, time.Now())
	if err != nil {
		return err
	}
	kit, err := web.New(web.Options{DB: db, Logger: logger})
	if err != nil {
		return err
	}
	staff, err := admin.New(kit, admin.Options{Accounts: accounts, DB: db, Outbox: outbox, Bookings: bookings, Catalog: store})
	if err != nil {
		return err
	}
	plenaryURL, stop, err := listen(kit.Handler(staff))
	if err != nil {
		return err
	}
	defer stop()
	path := fmt.Sprintf("/admin/bookings?event=%d", e.ID)
	if *query != "" {
		path += "&" + *query
	}
	client := &http.Client{Timeout: 30 * time.Second}
	cookie := &http.Cookie{Name: web.SessionCookie, Value: token}
	status, header, body, err := fetch(client, plenaryURL+path, cookie)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", path, status)
	}
	rows := strings.Count(string(body), " Example<")
	if rows == 0 && *query == "" {
		return errors.New("the desk lists none of the bookings")
	}
	bareURL, stopBare, err := listen(replay(header, body))
	if err != nil {
		return err
	}
	defer stopBare()
	fmt.Printf("desk %s: %d bytes, %d bookings listed; database %s; GOMAXPROCS %d, %s\n", path, len(body), rows, db.Dialect, runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Printf("%d rounds per server of %d requests one after the other, keep-alive\n\n", *rounds, *n)
	fmt.Printf("%-6s %-8s %9s %9s %10s\n", "round", "server", "p50", "p99", "CPU/req")

	type result struct{ p50, p99, cpu time.Duration }
	res := map[string][]result{}
	targets := []struct{ name, url string }{{"bare", bareURL + path}, {"plenary", plenaryURL + path}}
	for _, t := range targets { // warm-up
		if _, err := round(client, t.url, cookie, 20); err != nil {
			return err
		}
	}
	for i := 1; i <= *rounds; i++ {
		for _, t := range targets {
			cpu0 := measure.ProcessCPU()
			lat, err := round(client, t.url, cookie, *n)
			if err != nil {
				return err
			}
			r := result{p50: pct(lat, 50), p99: pct(lat, 99), cpu: (measure.ProcessCPU() - cpu0) / time.Duration(*n)}
			res[t.name] = append(res[t.name], r)
			fmt.Printf("%-6d %-8s %9s %9s %10s\n", i, t.name, ms(r.p50), ms(r.p99), us(r.cpu))
		}
	}
	med := func(name string, f func(result) time.Duration) time.Duration {
		var xs []time.Duration
		for _, r := range res[name] {
			xs = append(xs, f(r))
		}
		return measure.Median(xs)
	}
	p50 := func(r result) time.Duration { return r.p50 }
	p99 := func(r result) time.Duration { return r.p99 }
	cpu := func(r result) time.Duration { return r.cpu }
	fmt.Printf("\nmedian of rounds: bare p50 %s p99 %s CPU %s; plenary p50 %s p99 %s CPU %s\n",
		ms(med("bare", p50)), ms(med("bare", p99)), us(med("bare", cpu)), ms(med("plenary", p50)), ms(med("plenary", p99)), us(med("plenary", cpu)))

	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
		_, err = round(client, targets[1].url, cookie, *n)
		pprof.StopCPUProfile()
		f.Close()
		if err != nil {
			return err
		}
		fmt.Printf("CPU profile of one more plenary round: go tool pprof -top -cum %s\n", *cpuprofile)
	}
	verdict := "NOT MET"
	if med("plenary", p99) < aim {
		verdict = "MET"
	}
	fmt.Printf("AIM desk of a date with %d bookings, %s: p99 %s, p50 %s, CPU %s per request (bare p99 %s, CPU %s; ratio of CPU %.3f) aim p99 < %v -> %s\n",
		*nBookings, db.Dialect, ms(med("plenary", p99)), ms(med("plenary", p50)), us(med("plenary", cpu)),
		ms(med("bare", p99)), us(med("bare", cpu)), float64(med("bare", cpu))/float64(med("plenary", cpu)), aim, verdict)
	return nil
}

// round fetches u n times one after the other and returns the latencies.
func round(client *http.Client, u string, cookie *http.Cookie, n int) ([]time.Duration, error) {
	lat := make([]time.Duration, 0, n)
	for range n {
		t := time.Now()
		status, _, _, err := fetch(client, u, cookie)
		if err != nil {
			return nil, err
		}
		if status != http.StatusOK {
			return nil, fmt.Errorf("GET %s: status %d", u, status)
		}
		lat = append(lat, time.Since(t))
	}
	return lat, nil
}

func pct(xs []time.Duration, p int) time.Duration {
	s := slices.Clone(xs)
	slices.Sort(s)
	i := (len(s)*p+99)/100 - 1
	return s[max(i, 0)]
}

func fetch(client *http.Client, u string, cookie *http.Cookie) (int, http.Header, []byte, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, nil, err
	}
	req.AddCookie(cookie)
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body, err
}

// replay writes the recorded headers and body, from memory.
func replay(recorded http.Header, body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for k, v := range recorded {
			if k == "Date" || k == "Content-Length" {
				continue
			}
			h[k] = v
		}
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	})
}

// listen serves h on 127.0.0.1 with the timeouts of plenary serve.
func listen(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	go hs.Serve(ln)
	return "http://" + ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
	}, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
func us(d time.Duration) string { return fmt.Sprintf("%d µs", d.Microseconds()) }
