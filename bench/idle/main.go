// Command idle measures what Plenary costs when it is not busy: the size
// of the binary as operators build it, how long a start takes from exec to
// the first course page answered, and the memory of a running server — at
// its first answer, after some requests and after a while idle — each
// beside a bare reference (bench/idle/bare: a hello-world net/http server
// built the same way) measured in the same run.
//
// What it does:
//
//  1. Builds ./cmd/plenary and ./bench/idle/bare with the shipped build
//     command, `CGO_ENABLED=0 go build -trimpath -ldflags="-s -w"` (README,
//     "Build a binary": a static binary), and, for comparison, plenary with
//     a plain `go build`.
//  2. The first run: `plenary serve -demo` on a new SQLite database, which
//     migrates it and loads the demo catalogue; reported on its own.
//  3. -rounds rounds, alternating bare and plenary: `plenary serve` (no
//     -demo, as an operator restarts it) on its own copy of that existing
//     database. Each start is timed from exec to the first 200 of
//     /courses/dit-refresher (polled on 127.0.0.1 every 2 ms), with the
//     process's CPU time at that moment (/proc/PID/stat) and VmRSS
//     (/proc/PID/status); then -requests GETs over a few pages and VmRSS
//     again. Every server of every round stays up.
//  4. All of them idle together for -idle; then VmRSS and VmHWM of each,
//     VmRSS split into RssAnon (heap, stacks: the process's own) and
//     RssFile (pages of the binary mapped in, shared with every other
//     process running it and dropped first under memory pressure), and
//     each is stopped with SIGTERM and must exit cleanly. For the last
//     plenary, where that memory is: Rss by kind of mapping
//     (/proc/PID/smaps: the binary's code, its read-only data, its data,
//     shared libraries, the Go heap's arena, other anonymous memory) and
//     the Go runtime's heap figures from its /metrics.
//
// Results are medians over the rounds. The last line is the verdict on
// issue 12's aim 6: binary ≤ 35 MB, idle RSS ≤ 30 MB, start to a first
// answered page ≤ 0.5 s on an existing database (MB = 10^6 bytes).
// Linux only (it reads /proc). Run it from the repository root:
//
//	go run ./bench/idle
//	go run ./bench/idle -rounds 9 -idle 2m
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The aims (issue 12, aim 6).
const (
	aimBinary = 35_000_000             // bytes
	aimRSS    = 30_000_000             // bytes, after -idle
	aimStart  = 500 * time.Millisecond // exec to the first course page
)

// firstPage is what a start is timed to: a course page, rendered from the
// database.
const firstPage = "/courses/dit-refresher"

// pages are fetched in turn for -requests GETs after the first answer.
var pages = []string{"/", firstPage, "/cookies", "/system-check", "/dates.atom", "/healthz"}

// shippedEnv and shippedFlags are the build operators use (README, "Build
// a binary"): static, without the symbol table and DWARF.
var (
	shippedEnv   = []string{"CGO_ENABLED=0"}
	shippedFlags = []string{"-trimpath", "-ldflags", "-s -w"}
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "idle:", err)
		os.Exit(1)
	}
}

func run() error {
	rounds := flag.Int("rounds", 5, "rounds of cold starts on the existing database (medians over them)")
	idle := flag.Duration("idle", time.Minute, "how long every server idles before the idle memory is read")
	requests := flag.Int("requests", 300, "GETs to each server after its first answer")
	plain := flag.Bool("plain", true, "also build plenary with a plain `go build`, to report its size")
	flag.Parse()
	if *rounds < 1 || *requests < 0 {
		return errors.New("-rounds must be at least 1 and -requests not negative")
	}

	tmp, err := os.MkdirTemp("", "plenary-idle-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	// 1. Builds.
	plenaryBin, bareBin := filepath.Join(tmp, "plenary"), filepath.Join(tmp, "bare")
	plenarySize, err := build(plenaryBin, "./cmd/plenary", shippedEnv, shippedFlags)
	if err != nil {
		return err
	}
	bareSize, err := build(bareBin, "./bench/idle/bare", shippedEnv, shippedFlags)
	if err != nil {
		return err
	}
	fmt.Printf("binary, %s go build %s: plenary %s, bare %s\n", strings.Join(shippedEnv, " "), strings.Join(quoteFlags(shippedFlags), " "), mb(plenarySize), mb(bareSize))
	if *plain {
		n, err := build(plenaryBin+"-plain", "./cmd/plenary", nil, nil)
		if err != nil {
			return err
		}
		os.Remove(plenaryBin + "-plain")
		fmt.Printf("binary, plain go build (for comparison): plenary %s\n", mb(n))
	}

	// 2. The first run makes the existing database.
	seed := filepath.Join(tmp, "seed.db")
	first, err := start(tmp, "first", plenaryBin, []string{"serve", "-demo"}, "sqlite:"+seed)
	if err != nil {
		return err
	}
	if err := first.stop(); err != nil {
		return err
	}
	fmt.Printf("first run (serve -demo, new database: migrations, demo catalogue, first admin): first page after %v, CPU %v, VmRSS %s\n",
		first.ready.Round(time.Millisecond), first.cpuReady, mb(first.rssReady))
	for _, sfx := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(seed + sfx); err == nil {
			return fmt.Errorf("%s%s left after a clean stop: the copies would not hold the demo catalogue", seed, sfx)
		}
	}

	// 3. Rounds on copies of the existing database; every server stays up.
	var running []*server
	defer func() {
		for _, s := range running {
			s.stop()
		}
	}()
	var bare, plen []*server
	for i := range *rounds {
		for _, which := range []string{"bare", "plenary"} {
			var s *server
			if which == "bare" {
				s, err = start(tmp, fmt.Sprintf("bare-%d", i), bareBin, nil, "")
			} else {
				db := filepath.Join(tmp, fmt.Sprintf("round-%d.db", i))
				if err := copyFile(seed, db); err != nil {
					return err
				}
				s, err = start(tmp, fmt.Sprintf("plenary-%d", i), plenaryBin, []string{"serve"}, "sqlite:"+db)
			}
			if err != nil {
				return err
			}
			running = append(running, s)
			if err := s.load(*requests); err != nil {
				return err
			}
			if which == "bare" {
				bare = append(bare, s)
			} else {
				plen = append(plen, s)
			}
			fmt.Printf("round %d %-7s first page after %8v, CPU %6v, VmRSS %s, after %d requests %s\n",
				i+1, which, s.ready.Round(100*time.Microsecond), s.cpuReady, mb(s.rssReady), *requests, mb(s.rssLoaded))
		}
	}

	// 4. Idle together, then memory, then a clean stop each.
	fmt.Printf("all %d servers idle for %v…\n", len(running), *idle)
	time.Sleep(*idle)
	for _, s := range running {
		st, err := procStatus(s.pid)
		if err != nil {
			return err
		}
		s.rssIdle, s.hwm, s.threads = kB(st["VmRSS"]), kB(st["VmHWM"]), st["Threads"]
		s.anonIdle, s.fileIdle = kB(st["RssAnon"]), kB(st["RssFile"])
	}
	// Where the last plenary's idle memory is: its mappings, and the Go
	// runtime's own account of the private part.
	last := plen[len(plen)-1]
	parts, err := smapsParts(last.pid, plenaryBin)
	if err != nil {
		return err
	}
	fmt.Printf("\nidle memory of the last plenary (/proc/%d/smaps, Rss by mapping):\n", last.pid)
	for _, p := range parts {
		fmt.Printf("  %-52s %10s\n", p.name, mb(p.rss))
	}
	if gm, err := goMemory(last.base); err != nil {
		fmt.Printf("  (Go runtime figures unavailable: %v)\n", err)
	} else {
		fmt.Printf("  Go runtime (/metrics): heap live+garbage %s, heap in use %s, next GC at %s, returned to the OS %s, stacks %s\n",
			mb(gm["go_memstats_heap_alloc_bytes"]), mb(gm["go_memstats_heap_inuse_bytes"]), mb(gm["go_memstats_next_gc_bytes"]),
			mb(gm["go_memstats_heap_released_bytes"]), mb(gm["go_memstats_stack_inuse_bytes"]))
	}
	for _, s := range running {
		if err := s.stop(); err != nil {
			return err
		}
	}
	running = nil

	// Medians.
	med := func(ss []*server, f func(*server) int64) int64 {
		xs := make([]int64, len(ss))
		for i, s := range ss {
			xs[i] = f(s)
		}
		return median(xs)
	}
	ready := func(s *server) int64 { return int64(s.ready) }
	cpu := func(s *server) int64 { return int64(s.cpuReady) }
	rssReady := func(s *server) int64 { return s.rssReady }
	rssLoaded := func(s *server) int64 { return s.rssLoaded }
	rssIdle := func(s *server) int64 { return s.rssIdle }
	hwm := func(s *server) int64 { return s.hwm }
	anon := func(s *server) int64 { return s.anonIdle }
	file := func(s *server) int64 { return s.fileIdle }

	fmt.Printf("\nmedians of %d rounds          %12s %12s %8s\n", *rounds, "plenary", "bare", "ratio")
	row := func(label string, p, b int64, f func(int64) string) {
		fmt.Printf("%-30s %12s %12s %8s\n", label, f(p), f(b), ratio(p, b))
	}
	dur := func(n int64) string { return time.Duration(n).Round(100 * time.Microsecond).String() }
	row("binary (shipped build)", plenarySize, bareSize, mb)
	row("exec to first course page", med(plen, ready), med(bare, ready), dur)
	row("CPU to first answer", med(plen, cpu), med(bare, cpu), dur)
	row("VmRSS at first answer", med(plen, rssReady), med(bare, rssReady), mb)
	row(fmt.Sprintf("VmRSS after %d requests", *requests), med(plen, rssLoaded), med(bare, rssLoaded), mb)
	row(fmt.Sprintf("VmRSS after %v idle", *idle), med(plen, rssIdle), med(bare, rssIdle), mb)
	row("  of which RssAnon (private)", med(plen, anon), med(bare, anon), mb)
	row("  of which RssFile (binary)", med(plen, file), med(bare, file), mb)
	row("VmHWM (peak)", med(plen, hwm), med(bare, hwm), mb)
	fmt.Printf("threads (plenary, bare, last round): %s, %s\n", plen[len(plen)-1].threads, bare[len(bare)-1].threads)

	pStart, bStart := time.Duration(med(plen, ready)), time.Duration(med(bare, ready))
	pRSS, bRSS := med(plen, rssIdle), med(bare, rssIdle)
	met := plenarySize <= aimBinary && pRSS <= aimRSS && pStart <= aimStart
	verdict := map[bool]string{true: "MET", false: "NOT MET"}[met]
	fmt.Printf("AIM idle: binary %s, idle RSS %s, start %v (bare %s, %s, %v; ratio %s, %s, %s) aim binary ≤ 35 MB, idle RSS ≤ 30 MB, start ≤ 0.5 s -> %s\n",
		mb(plenarySize), mb(pRSS), pStart.Round(time.Millisecond),
		mb(bareSize), mb(bRSS), bStart.Round(100*time.Microsecond),
		ratio(plenarySize, bareSize), ratio(pRSS, bRSS), ratio(int64(pStart), int64(bStart)), verdict)
	return nil
}

// build runs go build with flags, and env added to this process's
// environment, and returns the binary's size.
func build(out, pkg string, env, flags []string) (int64, error) {
	args := append(append([]string{"build"}, flags...), "-o", out, pkg)
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
	}
	fi, err := os.Stat(out)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

func quoteFlags(flags []string) []string {
	out := make([]string, len(flags))
	for i, f := range flags {
		out[i] = f
		if strings.Contains(f, " ") {
			out[i] = strconv.Quote(f)
		}
	}
	return out
}

// server is one started process and what was measured of it.
type server struct {
	name, base, log string
	cmd             *exec.Cmd
	pid             int
	exited          chan error
	stopped         bool

	ready              time.Duration // exec to the first 200 of firstPage
	cpuReady           time.Duration // the process's CPU time then
	rssReady           int64         // bytes
	rssLoaded, rssIdle int64
	anonIdle, fileIdle int64 // RssAnon (private: heap, stacks) and RssFile (the binary's pages) of rssIdle
	hwm                int64
	threads            string
}

// start execs bin with args and -addr on a free loopback port (and
// PLENARY_DATABASE_URL=dbURL when given), and polls firstPage until it
// answers 200.
func start(tmp, name, bin string, args []string, dbURL string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(bin, append(args, "-addr", addr)...)
	cmd.Env = os.Environ()
	if dbURL != "" {
		cmd.Env = append(cmd.Env, "PLENARY_DATABASE_URL="+dbURL)
	}
	logName := filepath.Join(tmp, name+".log")
	logs, err := os.Create(logName)
	if err != nil {
		return nil, err
	}
	defer logs.Close() // the child has its own descriptor
	cmd.Stdout, cmd.Stderr = logs, logs
	s := &server{name: name, base: "http://" + addr, log: logName, cmd: cmd, exited: make(chan error, 1)}
	client := &http.Client{Timeout: 10 * time.Second}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s.pid = cmd.Process.Pid
	go func() { s.exited <- cmd.Wait() }()
	deadline := t0.Add(60 * time.Second)
	for {
		resp, err := client.Get(s.base + firstPage)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.ready = time.Since(t0)
				break
			}
		}
		select {
		case err := <-s.exited:
			s.stopped = true
			return nil, fmt.Errorf("%s exited before it answered: %v; log:\n%s", name, err, readLog(logName))
		default:
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("%s did not answer %s within 60s; log:\n%s", name, firstPage, readLog(logName))
		}
		time.Sleep(2 * time.Millisecond)
	}
	if s.cpuReady, err = procCPU(s.pid); err != nil {
		return nil, err
	}
	st, err := procStatus(s.pid)
	if err != nil {
		return nil, err
	}
	s.rssReady = kB(st["VmRSS"])
	return s, nil
}

// load sends n GETs over pages, one at a time, and reads VmRSS after.
func (s *server) load(n int) error {
	client := &http.Client{Timeout: 10 * time.Second}
	for i := range n {
		p := pages[i%len(pages)]
		resp, err := client.Get(s.base + p)
		if err != nil {
			return fmt.Errorf("%s: GET %s: %w", s.name, p, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: GET %s: status %d", s.name, p, resp.StatusCode)
		}
	}
	client.CloseIdleConnections()
	st, err := procStatus(s.pid)
	if err != nil {
		return err
	}
	s.rssLoaded = kB(st["VmRSS"])
	return nil
}

// stop sends SIGTERM and waits (10 s at most, then kills); anything but a
// clean exit is an error.
func (s *server) stop() error {
	if s.stopped {
		return nil
	}
	s.stopped = true
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case err := <-s.exited:
		if err != nil {
			return fmt.Errorf("%s exited with %v after SIGTERM; log:\n%s", s.name, err, readLog(s.log))
		}
		return nil
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("%s did not stop within 10s of SIGTERM; killed", s.name)
	}
}

// freePort asks the kernel for a free loopback port. Another process could
// take it before the server does; then the run fails and can be repeated.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// procCPU is a process's user + system time so far, every thread's
// (fields 14 and 15 of /proc/PID/stat, in clock ticks of 10 ms).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields after it start
	// past its closing parenthesis, at field 3.
	_, rest, ok := strings.Cut(string(b), ") ")
	if !ok {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, b)
	}
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, b)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	return time.Duration(utime+stime) * tick, nil
}

// procStatus reads the "Key: value" lines of /proc/<pid>/status.
func procStatus(pid int) (map[string]string, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok {
			m[k] = strings.Join(strings.Fields(v), " ")
		}
	}
	return m, sc.Err()
}

// kB turns "27160 kB" into bytes (0 if unreadable).
func kB(v string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64)
	return n * 1024
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o600)
}

func readLog(name string) string {
	b, _ := os.ReadFile(name)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func median(xs []int64) int64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ratio(a, b int64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", float64(a)/float64(b))
}

// mb writes bytes in MB (10^6 bytes), the unit of the aims.
func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

// part is the resident memory of one kind of mapping.
type part struct {
	name string
	rss  int64 // bytes
}

// smapsParts sums Rss in /proc/PID/smaps by kind of mapping: the
// binary's code (r-x), its read-only data (r--: .rodata, .gopclntab),
// its data, shared libraries, the largest anonymous mapping (the Go
// heap's arena) and the other anonymous ones (the runtime's metadata,
// stacks, SQLite's allocations, …).
func smapsParts(pid int, bin string) ([]part, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	const (
		text   = "binary code (r-x: .text)"
		rodata = "binary read-only data (r--: .rodata, .gopclntab)"
		data   = "binary data (rw-: .data, .noptrdata, .bss)"
		libs   = "shared libraries (libc, ld.so)"
		arena  = "largest anonymous mapping (the Go heap arena)"
		anon   = "other anonymous (runtime metadata, stacks, SQLite)"
	)
	sums := map[string]int64{}
	var kind string
	var anonMax, anonSum int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			perms, path := fields[1], ""
			if len(fields) >= 6 {
				path = fields[5]
			}
			switch {
			case path == bin && strings.HasPrefix(perms, "r-x"):
				kind = text
			case path == bin && strings.HasPrefix(perms, "r--"):
				kind = rodata
			case path == bin:
				kind = data
			case strings.HasPrefix(path, "/"):
				kind = libs
			default:
				kind = anon
			}
			continue
		}
		if len(fields) == 3 && fields[0] == "Rss:" {
			n, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return nil, err
			}
			n *= 1024
			sums[kind] += n
			if kind == anon {
				anonSum += n
				anonMax = max(anonMax, n)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return []part{{text, sums[text]}, {rodata, sums[rodata]}, {data, sums[data]}, {libs, sums[libs]},
		{arena, anonMax}, {anon, anonSum - anonMax}}, nil
}

// goMemory reads the Go runtime's memory figures from plenary's /metrics
// (which answers this machine without a token).
func goMemory(base string) (map[string]int64, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(base + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: status %d", resp.StatusCode)
	}
	out := map[string]int64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || !strings.HasPrefix(name, "go_memstats_") {
			continue
		}
		if v, err := strconv.ParseFloat(value, 64); err == nil {
			out[name] = int64(v)
		}
	}
	return out, sc.Err()
}
