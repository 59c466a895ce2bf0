package site

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"plenary/internal/database"
)

// smallStack is the stack a booking form's POST must fit while it waits
// for its batch: a rush onto one date holds thousands of these requests
// at once, and one that outgrows it is copied to a stack twice the size
// (in a cold rush 7 % of the CPU and a third of the page faults:
// docs/PERFORMANCE.md, "Session 9").
const smallStack = 8 << 10

// TestBookingPostFitsASmallStack posts a booking form over real HTTP while
// another request leads its date's batch and is held inside it, and
// checks that the request, from its connection's goroutine to its wait
// for the batch, never needs more than smallStack: with the runtime's
// limit on any goroutine's stack set to that, a request that outgrew it
// would end the process. So the test runs itself in a child process and
// reads how the child ended; a failure shows the frames that went over.
// (What comes after the wait — the answer, the log line — is not
// checked: it is no deeper than what came before, and only one request
// at a time is past its wait.)
func TestBookingPostFitsASmallStack(t *testing.T) {
	if raceOn {
		t.Skip("the race detector makes every frame bigger: this checks the stack of the binary as built")
	}
	if os.Getenv("PLENARY_STACK_PROBE") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestBookingPostFitsASmallStack$", "-test.v", "-test.count=1", "-test.timeout=2m")
		// Every goroutine starts at the smallest stack (2 KB), not at
		// the average the runtime has seen, which could be above the
		// limit and check nothing.
		cmd.Env = append(os.Environ(), "PLENARY_STACK_PROBE=1", "GODEBUG=adaptivestackstart=0")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "the waiting request fit") {
			// The frames of the goroutine that went over come first in
			// the crash's dump.
			s := string(out)
			if i := strings.Index(s, "goroutine stack exceeds"); i >= 0 {
				s = s[i:min(len(s), i+20000)]
			} else if len(s) > 6000 {
				s = "…" + s[len(s)-6000:]
			}
			t.Fatalf("the probe (a child process) failed: %v\n%s", err, s)
		}
		return
	}
	ctx := context.Background()
	ts := newTestSiteWith(t, testNow, nil, bookingCourses(t)...)
	hs := httptest.NewServer(ts.handler)
	defer hs.Close()
	event := ts.event(t, "dit-refresher", "june")
	post := func(name string, done chan<- error) {
		form := ditForm(name, strings.ToLower(strings.ReplaceAll(name, " ", "."))+"@example.org")
		req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/events/%d/book", hs.URL, event), strings.NewReader(form.Encode()))
		if err != nil {
			done <- err
			return
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		// A connection of its own, so its server goroutine starts afresh.
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := client.Do(req)
		if err == nil {
			res.Body.Close()
			if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/bookings/") {
				err = fmt.Errorf("%s: status %d, to %q; want a booking", name, res.StatusCode, res.Header.Get("Location"))
			}
		}
		done <- err
	}
	// The caches warm, as in a rush: the course read and checked, the
	// statements prepared.
	warm := make(chan error, 1)
	post("Wendy Warm", warm)
	if err := <-warm; err != nil {
		t.Fatal(err)
	}

	// Hold the date: SQLite's write lock, or on PostgreSQL the date's row,
	// which the batch locks first.
	hold, err := ts.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback()
	if ts.db.Dialect == database.Postgres {
		if _, err := hold.ExecContext(ctx, `SELECT id FROM events WHERE id = $1 FOR UPDATE`, event); err != nil {
			t.Fatal(err)
		}
	} else if _, err := hold.ExecContext(ctx, `UPDATE invoice_counter SET last = last WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	leader, probe := make(chan error, 1), make(chan error, 1)
	go post("Lena Leader", leader)
	// The leader is held once it waits for the lock — SQLite's busy
	// handler sleeping between tries, or PostgreSQL's answer — having
	// gone as deep as it will until the lock is let go.
	waitForStacks(t, "the leader held in its batch", func(g, state string) bool {
		return strings.Contains(g, "booking.(*Service).runBatch(") &&
			(strings.Contains(g, "_unixSleep(") || strings.Contains(state, "IO wait"))
	})

	// From here any goroutine that needs more than smallStack ends the
	// process: the probe's, but also the test's own HTTP client's.
	was := debug.SetMaxStack(smallStack)
	defer debug.SetMaxStack(was)
	go post("Pat Probe", probe)
	// The probe is parked behind the leader, waiting for its batch.
	waitForStacks(t, "the probe waiting for its batch", func(g, state string) bool {
		return strings.HasPrefix(state, "chan receive") && strings.Contains(g, "booking.(*Service).bookBatched(") &&
			!strings.Contains(g, "booking.(*Service).runBatch(")
	})
	debug.SetMaxStack(was)
	t.Logf("the waiting request fit in %d bytes of stack", smallStack)

	if err := hold.Rollback(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []chan error{leader, probe} {
		if err := <-c; err != nil {
			t.Error(err)
		}
	}
}

// waitForStacks polls every goroutine's stack until one of them (g, the
// goroutine's trace, and state as its header gives it: "chan receive",
// "IO wait", …) is as cond wants, for at most 30 seconds.
func waitForStacks(t *testing.T, what string, cond func(g, state string) bool) {
	t.Helper()
	buf := make([]byte, 1<<20)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
		for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			header, _, _ := strings.Cut(g, "\n")
			_, state, _ := strings.Cut(header, "[")
			if cond(g, state) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 30 s for %s", what)
		}
	}
}
