package booking

import "time"

// HoldDate takes the date's in-process lock, as a batch's transaction
// does, and returns its release: a test queues requests behind it.
func HoldDate(s *Service, eventID int64) (release func()) { return s.events.lock(eventID) }

// Queued says how many requests wait in the date's queue, not yet taken
// into a batch, and whether a leader has the queue.
func Queued(s *Service, eventID int64) (waiting int, led bool) {
	s.batches.mu.Lock()
	defer s.batches.mu.Unlock()
	dq := s.batches.queues[eventID]
	if dq == nil {
		return 0, false
	}
	return len(dq.pending), dq.leading
}

// SetLockWait shortens a batch's wait for its date's row on PostgreSQL.
func SetLockWait(s *Service, d time.Duration) { s.lockWait = d }

// BatchRedos says how many batches ran again with a savepoint per request
// after a request failed past its first write.
func BatchRedos(s *Service) int64 { return s.batchRedos.Load() }
