package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database"
	"plenary/internal/database/dbtest"
	"plenary/internal/messaging/mailtest"
)

// The crash test's shape: rounds of a booking burst killed with SIGKILL
// while bookings and mail are under way, each followed by a restart.
const (
	crashRounds      = 4
	crashCapacity    = 25
	crashMaxPerRound = 400 // bookings posted in one round at most
	crashClients     = 8   // bookings posted at once
	// crashPace is each client's pause between bookings, so that a round
	// lasts long enough (≥ 2.5 s) for its mail to be under way (the job
	// runner looks for new jobs every second) while bookings still are.
	crashPace = 100 * time.Millisecond
	// crashRescueAfter is PLENARY_MAIL_RESCUE_AFTER for the test: short,
	// so a round's mail left in flight goes again within seconds.
	crashRescueAfter = 10 * time.Second
	// crashDeliverWithin is how long after a restart every due message
	// must have arrived: the rescue time, a quarter of it for the next
	// rescue pass, River's dead leader's lease (15 s) and its scheduler
	// for retries, with room for a loaded machine.
	crashDeliverWithin = 90 * time.Second
	crashReplyTo       = "courses@training.example"
)

// TestCrashRecovery runs the real plenary binary against a real SMTP
// server (mailtest, plain relay on 127.0.0.1), posts bursts of bookings,
// kills the process with SIGKILL while bookings are in flight and mail is
// being sent, restarts it, and checks after every restart that every
// message due has arrived, and at the end that every acknowledged booking
// (a 303 to its manage page) is in the database, nobody is overbooked,
// the waiting list runs 1…n, and each message arrived exactly once — or
// twice only if the server had accepted it while the database still
// said queued at the moment of a kill (the window that SMTP cannot
// close; see internal/messaging/restart_test.go). It runs on SQLite, or
// on PostgreSQL with PLENARY_TEST_POSTGRES_URL.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: builds plenary and kills it with SIGKILL in several rounds (about a minute); skipped with -short")
	}
	bin := buildPlenary(t)
	dbURL := dbtest.URL(t)
	// The kills reset connections mid-conversation; the server need not
	// log each.
	srv, err := mailtest.New(mailtest.Options{Plain: true, Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	addr := freeAddr(t)
	base := "http://" + addr
	env := crashEnv(map[string]string{
		"PLENARY_DATABASE_URL":      dbURL,
		"PLENARY_BASE_URL":          base,
		"PLENARY_SMTP_URL":          srv.URL(),
		"PLENARY_BOOKING_LIMIT":     "0",
		"PLENARY_MAIL_RESCUE_AFTER": crashRescueAfter.String(),
		"PLENARY_CONTACT_EMAIL":     crashReplyTo,
		"PLENARY_LOG_FORMAT":        "json",
	})
	dir := t.TempDir()

	// The course, from a course file, through plenary import.
	c := catalogtest.NewCourse(time.Now())
	c.Slug, c.Title = "crash-test", "Crash test"
	c.Waitlist = true
	c.Events[0].Capacity = crashCapacity
	courseFile := filepath.Join(dir, "crash-test.md")
	if err := os.WriteFile(courseFile, catalog.FormatCourseFile(c), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := runPlenary(bin, env, "migrate"); err != nil {
		t.Fatalf("plenary migrate: %v\n%s", err, out)
	}
	if out, err := runPlenary(bin, env, "import", courseFile); err != nil {
		t.Fatalf("plenary import: %v\n%s", err, out)
	}
	db := dbtest.OpenURL(t, dbURL)
	ctx := context.Background()
	var eventID int64
	if err := db.QueryRowContext(ctx, `SELECT id FROM events`).Scan(&eventID); err != nil {
		t.Fatal(err)
	}

	var (
		acked     = map[string]bool{} // e-mail → acknowledged
		allowance = map[string]int{}  // Message-ID → copies allowed (1 + kills it was caught in)
		serve     *plenaryProcess
	)
	serve = startPlenary(t, bin, env, addr, filepath.Join(dir, "serve-0.log"))
	for round := 1; round <= crashRounds; round++ {
		atStart := srv.Len()
		began := time.Now()
		b := burstBookings(base, eventID, round)
		// Kill once this round's bookings are coming in and its mail is
		// going out: bookings in flight and sends under way.
		deadline := time.Now().Add(60 * time.Second)
		for !(b.acked.Load() >= 60 && srv.Len() >= atStart+30) && !b.finished() && time.Now().Before(deadline) {
			time.Sleep(2 * time.Millisecond)
		}
		inFlight := b.inFlight.Load()
		killedAfter := time.Since(began)
		serve.kill(t)
		receivedAtKill := srv.Len() - atStart
		b.wait()
		for _, e := range b.emails() {
			acked[e] = true
		}
		if inFlight == 0 {
			t.Logf("round %d: no booking request was in flight at the instant of the kill (the clients were between posts)", round)
		}

		// What the server had accepted that the database did not yet
		// call sent when the process died: these alone may come twice.
		statuses := messageStatuses(t, db)
		caught := 0
		for mid := range receivedIDs(t, srv) {
			if statuses[mid] == "queued" {
				allowance[mid]++
				caught++
			}
		}

		restart := time.Now()
		serve = startPlenary(t, bin, env, addr, filepath.Join(dir, fmt.Sprintf("serve-%d.log", round)))
		last := waitAllDelivered(t, db, srv, restart)
		bookings := count(t, db, `SELECT COUNT(*) FROM bookings`)
		lost := 0
		for e := range acked {
			if count(t, db, `SELECT COUNT(*) FROM bookings WHERE email = $1`, e) != 1 {
				lost++
			}
		}
		t.Logf("%s round %d: killed %v into the burst, when the server had %d of its messages; %d bookings acknowledged (%d in all, %d in the database), %d in flight at the kill, %d lost; %d messages accepted but unrecorded at the kill; the last copy of every due message arrived %v after the restart",
			dbtest.Engine(), round, killedAfter.Round(10*time.Millisecond), receivedAtKill, len(b.emails()), len(acked), bookings, inFlight, lost, caught, last.Round(10*time.Millisecond))
		if lost > 0 {
			t.Errorf("round %d: %d acknowledged bookings are not in the database", round, lost)
		}
	}
	serve.stop(t)

	checkBookings(t, db, eventID, acked)
	// Every message arrived, as often as allowed; count the repeats.
	got := map[string]int{}
	for _, r := range srv.Messages() {
		msg, err := mail.ReadMessage(bytes.NewReader(r.Data))
		if err != nil {
			t.Fatalf("a received message does not parse: %v", err)
		}
		got[msg.Header.Get("Message-ID")]++
		if rt, err := mail.ParseAddress(msg.Header.Get("Reply-To")); err != nil || rt.Address != crashReplyTo {
			t.Errorf("Reply-To %q, want PLENARY_CONTACT_EMAIL %s", msg.Header.Get("Reply-To"), crashReplyTo)
		}
	}
	statuses := messageStatuses(t, db)
	twice, maxAllowed := 0, 0
	for mid, status := range statuses {
		if status != "sent" {
			t.Errorf("message %s is %s at the end", mid, status)
		}
		maxAllowed += allowance[mid]
		switch n := got[mid]; {
		case n == 0:
			t.Errorf("message %s never arrived", mid)
		case n > 1+allowance[mid]:
			t.Errorf("message %s arrived %d times; it was accepted but unrecorded at %d kills", mid, n, allowance[mid])
		case n > 1:
			twice += n - 1
		}
	}
	for mid := range got {
		if _, ok := statuses[mid]; !ok {
			t.Errorf("received Message-ID %s is not a stored message", mid)
		}
	}
	t.Logf("%s: %d messages, %d received, %d repeats (at most %d allowed: accepted but unrecorded at a kill)",
		dbtest.Engine(), len(statuses), srv.Len(), twice, maxAllowed)
}

// buildPlenary builds the binary under test once, into the test's
// temporary folder.
func buildPlenary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "plenary")
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go") // the go that runs this test
	if _, err := os.Stat(goBin); err != nil {
		if goBin, err = exec.LookPath("go"); err != nil {
			t.Fatalf("no go command to build plenary with: %v", err)
		}
	}
	cmd := exec.Command(goBin, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// crashEnv is the process's environment without any PLENARY_ setting of
// the test's own, plus vars.
func crashEnv(vars map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PLENARY_") {
			env = append(env, kv)
		}
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

func runPlenary(bin string, env []string, args ...string) ([]byte, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	return cmd.CombinedOutput()
}

// freeAddr finds a free loopback port; serve listens on it in every
// round, so links in e-mails stay right.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// plenaryProcess is one plenary serve the test started.
type plenaryProcess struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// startPlenary starts plenary serve and waits until /healthz answers.
func startPlenary(t *testing.T, bin string, env []string, addr, logFile string) *plenaryProcess {
	t.Helper()
	f, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	p := &plenaryProcess{cmd: exec.Command(bin, "serve", "-addr", addr), log: logFile, done: make(chan struct{})}
	p.cmd.Env, p.cmd.Stdout, p.cmd.Stderr = env, f, f
	if err := p.cmd.Start(); err != nil {
		f.Close()
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill() // this test's own process, by its PID
			<-p.done
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-p.done:
			t.Fatalf("plenary serve exited at start (%v); log:\n%s", p.err, readLog(p.log))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("plenary serve not healthy after 60s; log:\n%s", readLog(p.log))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func readLog(name string) string {
	b, _ := os.ReadFile(name)
	if len(b) > 8000 {
		b = b[len(b)-8000:]
	}
	return string(b)
}

// kill sends SIGKILL to the process and waits for it to be gone.
func (p *plenaryProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill plenary: %v", err)
	}
	<-p.done
}

// stop ends the process as an operator would (SIGTERM) and checks that it
// exits cleanly.
func (p *plenaryProcess) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("stop plenary: %v", err)
	}
	select {
	case <-p.done:
		if p.err != nil {
			t.Errorf("plenary serve exited with %v after SIGTERM; log:\n%s", p.err, readLog(p.log))
		}
	case <-time.After(60 * time.Second):
		t.Errorf("plenary serve still running 60s after SIGTERM")
	}
}

// burst is one round's bookings, posted by crashClients clients until
// crashMaxPerRound have been posted or the server stops answering.
type burst struct {
	acked    atomic.Int64
	inFlight atomic.Int64
	mu       sync.Mutex
	ok       []string
	wg       sync.WaitGroup
	left     atomic.Int64
}

func burstBookings(base string, eventID int64, round int) *burst {
	b := &burst{}
	var next atomic.Int64
	b.left.Store(crashClients)
	for range crashClients {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			defer b.left.Add(-1)
			client := &http.Client{
				Timeout:       30 * time.Second,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			}
			for {
				i := next.Add(1)
				if i > crashMaxPerRound {
					return
				}
				email := fmt.Sprintf("person.%d.%d@example.org", round, i)
				form := url.Values{
					"name": {fmt.Sprintf("Person %d-%d", round, i)}, "email": {email},
					"organisation": {"Crash Test Trust"}, "role": {"Nurse"},
					"fee_tier": {"Standard"}, "system_checked": {"yes"}, "po_number": {fmt.Sprintf("PO-%d-%d", round, i)},
				}
				req, err := http.NewRequest("POST", fmt.Sprintf("%s/events/%d/book", base, eventID), strings.NewReader(form.Encode()))
				if err != nil {
					return
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Origin", base)
				b.inFlight.Add(1)
				resp, err := client.Do(req)
				b.inFlight.Add(-1)
				if err != nil {
					return // the server is gone: the kill
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/bookings/") {
					b.mu.Lock()
					b.ok = append(b.ok, email)
					b.mu.Unlock()
					b.acked.Add(1)
				}
				time.Sleep(crashPace)
			}
		}()
	}
	return b
}

func (b *burst) finished() bool { return b.left.Load() == 0 }
func (b *burst) wait()          { b.wg.Wait() }
func (b *burst) emails() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.ok)
}

// messageStatuses maps every stored message's Message-ID to its status.
func messageStatuses(t *testing.T, db *database.DB) map[string]string {
	t.Helper()
	rows, err := db.Query(`SELECT message_id_header, status FROM messages`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var mid, status string
		if err := rows.Scan(&mid, &status); err != nil {
			t.Fatal(err)
		}
		out[mid] = status
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// receivedIDs maps each Message-ID the server has received to when it
// first accepted it.
func receivedIDs(t *testing.T, srv *mailtest.Server) map[string]time.Time {
	t.Helper()
	out := map[string]time.Time{}
	for _, r := range srv.Messages() {
		msg, err := mail.ReadMessage(bytes.NewReader(r.Data))
		if err != nil {
			t.Fatalf("a received message does not parse: %v", err)
		}
		mid := msg.Header.Get("Message-ID")
		if _, ok := out[mid]; !ok {
			out[mid] = r.At
		}
	}
	return out
}

// waitAllDelivered waits until the server has every message that is due
// (all of them here: confirmations and waiting-list mail) and the
// database records each as sent — so a message the server had accepted
// but the dead process had not recorded has been sent again — and
// returns how long after restart the last copy arrived.
func waitAllDelivered(t *testing.T, db *database.DB, srv *mailtest.Server, restart time.Time) time.Duration {
	t.Helper()
	deadline := restart.Add(crashDeliverWithin)
	for {
		statuses := messageStatuses(t, db)
		got := map[string]bool{}
		for _, r := range srv.Messages() {
			msg, err := mail.ReadMessage(bytes.NewReader(r.Data))
			if err != nil {
				t.Fatalf("a received message does not parse: %v", err)
			}
			got[msg.Header.Get("Message-ID")] = true
		}
		missing, unrecorded := 0, 0
		for mid, status := range statuses {
			if !got[mid] {
				missing++
			}
			if status != "sent" {
				unrecorded++
			}
		}
		if missing == 0 && unrecorded == 0 {
			var last time.Time
			for _, r := range srv.Messages() {
				last = r.At // in order of arrival
			}
			return max(last.Sub(restart), 0)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v after the restart, %d messages have not arrived and %d are not recorded as sent", crashDeliverWithin, missing, unrecorded)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkBookings checks the date's bookings: every acknowledged one is
// there, at most capacity are confirmed (exactly, when more asked), the
// rest wait at positions 1…n, and nobody has two.
func checkBookings(t *testing.T, db *database.DB, eventID int64, acked map[string]bool) {
	t.Helper()
	bs, err := booking.NewService(booking.Options{DB: db, Catalog: catalog.NewStore(db, catalog.Hooks{})}).List(context.Background(), eventID)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	confirmed := 0
	var positions []int
	for _, b := range bs {
		switch b.Status {
		case booking.Confirmed:
			confirmed++
		case booking.Waitlisted:
			positions = append(positions, b.WaitPosition)
		default:
			t.Errorf("booking %d is %s", b.ID, b.Status)
		}
		if seen[b.Email] {
			t.Errorf("two bookings for %s", b.Email)
		}
		seen[b.Email] = true
	}
	for e := range acked {
		if !seen[e] {
			t.Errorf("acknowledged booking for %s is missing", e)
		}
	}
	if want := min(crashCapacity, len(bs)); confirmed != want {
		t.Errorf("%d confirmed of %d bookings, want %d (capacity %d)", confirmed, len(bs), want, crashCapacity)
	}
	slices.Sort(positions)
	for i, p := range positions {
		if p != i+1 {
			t.Errorf("waiting list is not 1…%d: position %d is %d", len(positions), i+1, p)
			break
		}
	}
	if n := count(t, db, `SELECT COUNT(*) FROM messages`); n < len(bs) {
		t.Errorf("%d messages for %d bookings", n, len(bs))
	}
}

func count(t *testing.T, db *database.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
