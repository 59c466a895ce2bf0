package booking

import (
	"context"
	"database/sql"
	"sync"

	"plenary/internal/database"
)

// eventLocks queue this process's transactions on one event before they
// take a database connection. The database lock (the event's row on
// PostgreSQL) is what keeps places safe across processes; queueing here
// first means a rush of bookings for one date waits in memory, holding one
// connection rather than all of them, so the rest of the site (other
// dates, pages, health checks) still gets connections.
type eventLocks struct {
	mu    sync.Mutex
	locks map[int64]*eventLock
}

type eventLock struct {
	sync.Mutex
	users int // holders and waiters; the entry goes when it reaches 0
}

func (l *eventLocks) lock(id int64) (unlock func()) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[int64]*eventLock{}
	}
	e := l.locks[id]
	if e == nil {
		e = &eventLock{}
		l.locks[id] = e
	}
	e.users++
	l.mu.Unlock()
	e.Lock()
	return func() {
		e.Unlock()
		l.mu.Lock()
		if e.users--; e.users == 0 {
			delete(l.locks, id)
		}
		l.mu.Unlock()
	}
}

// eventTx runs fn in a transaction for event id, queued behind this
// process's other transactions on the same event. fn still takes the
// event's database lock (lockEvent) for safety across processes.
func (s *Service) eventTx(ctx context.Context, id int64, fn func(tx *sql.Tx) error) error {
	unlock := s.events.lock(id)
	defer unlock()
	return database.InTx(ctx, s.db, fn)
}
