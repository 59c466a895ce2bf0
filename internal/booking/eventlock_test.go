package booking

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestEventLocks(t *testing.T) {
	var l eventLocks
	var inside, most atomic.Int32
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			unlock := l.lock(int64(i % 2)) // two events
			n := inside.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(time.Millisecond)
			inside.Add(-1)
			unlock()
		})
	}
	wg.Wait()
	if most.Load() > 2 {
		t.Fatalf("%d holders at once for two events, want at most 2", most.Load())
	}
	if len(l.locks) != 0 {
		t.Fatalf("%d locks left after every holder let go, want 0", len(l.locks))
	}
}
