// Command idle measures what an idle Plenary costs: the size of the binary
// (as built, and stripped with -ldflags "-s -w") and the memory of a
// running `plenary serve -demo` after a few requests.
//
// It builds ./cmd/plenary into a temp folder, starts it on a free loopback
// port with a fresh SQLite database there, waits for /healthz, fetches a
// few pages, waits a moment, reads VmRSS and VmHWM from
// /proc/<pid>/status, and stops the server with SIGTERM. Linux only (it
// reads /proc). Run it from the repository root:
//
//	go run ./bench/idle
//	go run ./bench/idle -settle 5s
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "idle:", err)
		os.Exit(1)
	}
}

// pages are fetched once each before memory is read, so that templates,
// the database pool and the caches are warm, as on a site that has been
// visited.
var pages = []string{"/", "/courses/dit-refresher", "/cookies", "/system-check", "/healthz", "/metrics"}

func run() error {
	settle := flag.Duration("settle", 2*time.Second, "how long to wait after the requests before reading memory")
	pkg := flag.String("pkg", "./cmd/plenary", "package to build")
	flag.Parse()

	tmp, err := os.MkdirTemp("", "plenary-idle-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	bin := filepath.Join(tmp, "plenary")
	for _, b := range []struct {
		label string
		out   string
		args  []string
	}{
		{"default build", bin, nil},
		{`-ldflags "-s -w"`, bin + "-stripped", []string{"-ldflags", "-s -w"}},
	} {
		args := append([]string{"build", "-o", b.out}, b.args...)
		cmd := exec.Command("go", append(args, *pkg)...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go %s: %w", strings.Join(append(args, *pkg), " "), err)
		}
		fi, err := os.Stat(b.out)
		if err != nil {
			return err
		}
		fmt.Printf("binary size, %-18s %6.1f MiB (%d bytes)\n", b.label+":", mib(fi.Size()), fi.Size())
	}

	port, err := freePort()
	if err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(bin, "serve", "-demo", "-addr", addr)
	cmd.Env = append(os.Environ(), "PLENARY_DATABASE_URL=sqlite:"+filepath.Join(tmp, "bench.db"))
	logs, err := os.Create(filepath.Join(tmp, "serve.log"))
	if err != nil {
		return err
	}
	defer logs.Close()
	cmd.Stdout, cmd.Stderr = logs, logs
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	pid := cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// Whatever happens below, stop our own server (and only it).
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			return err
		}
		select {
		case err := <-exited:
			return err
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
			return errors.New("plenary did not stop within 10s of SIGTERM; killed")
		}
	}
	defer stop()

	base := "http://" + addr
	if err := waitHealthy(base, exited, 30*time.Second); err != nil {
		return fmt.Errorf("%w; server log:\n%s", err, readLog(logs.Name()))
	}
	fmt.Printf("healthy after %v (pid %d)\n", time.Since(start).Round(time.Millisecond), pid)

	for _, p := range pages {
		resp, err := http.Get(base + p)
		if err != nil {
			return err
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Printf("GET %-24s %d, %6d bytes\n", p, resp.StatusCode, n)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: status %d", p, resp.StatusCode)
		}
	}
	time.Sleep(*settle)

	status, err := procStatus(pid)
	if err != nil {
		return err
	}
	fmt.Printf("after %v idle: VmRSS %s, VmHWM (peak RSS) %s, Threads %s\n",
		*settle, status["VmRSS"], status["VmHWM"], status["Threads"])

	stopStart := time.Now()
	if err := stop(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return err
		}
		return fmt.Errorf("plenary exited with %v after SIGTERM; server log:\n%s", err, readLog(logs.Name()))
	}
	fmt.Printf("stopped cleanly with SIGTERM in %v\n", time.Since(stopStart).Round(time.Millisecond))
	return nil
}

// freePort asks the kernel for a free loopback port. Another process could
// take it before plenary does; then the run fails and can be repeated.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitHealthy(base string, exited <-chan error, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			return fmt.Errorf("plenary exited before it was healthy: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("plenary not healthy within %v", limit)
		case <-time.After(50 * time.Millisecond):
		}
	}
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

func readLog(name string) string {
	b, _ := os.ReadFile(name)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
