//go:build race

package messaging_test

// raceEnabled: the race detector slows SQLite's writers about tenfold,
// and SQLite's busy handler is not fair, so with 20 goroutines and two
// job clients contending for the one write lock a booking transaction can
// wait out busy_timeout(5000) at BEGIN (measured: slowest 4–7 s, with or
// without River running). The load test then retries BEGIN and logs how
// often; without the race detector it must never happen.
const raceEnabled = true
