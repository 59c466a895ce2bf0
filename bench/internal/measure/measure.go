// Package measure holds what the bench programs share: the process's own
// CPU time (steadier than throughput on a shared machine), an unpaced
// vegeta pacer with a cap, and medians.
package measure

import (
	"slices"
	"syscall"
	"time"
)

// ProcessCPU is the user and system CPU time this process has used. Per
// request it is steadier than latency or throughput on a machine that
// other work shares, as it counts only our own cycles. (A database server
// in another process is not in it.)
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ProcessFaults returns the page faults (minor and major) this process
// has taken so far: memory the kernel had to map on first touch, which a
// burst onto fresh goroutine stacks and buffers pays in system time.
func ProcessFaults() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Minflt + ru.Majflt
}

// Capped is a vegeta pacer that sends as fast as the workers can go and
// stops after Max hits.
type Capped struct{ Max uint64 }

// Pace never waits, and stops at Max hits.
func (c Capped) Pace(_ time.Duration, hits uint64) (time.Duration, bool) {
	return 0, hits >= c.Max
}

// Rate is part of vegeta.Pacer; the rate is unbounded.
func (c Capped) Rate(time.Duration) float64 { return 0 }

// Median returns the middle value (the mean of the two middle ones for an
// even count), or 0 for none.
func Median[T float64 | time.Duration](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
