package catalog

import "time"

// CacheReads says how many times s read a course afresh for its cache.
func CacheReads(s *Store) int64 { return s.cache.reads.Load() }

// SetCacheClock gives s's cache the clock it dates its checks by.
func SetCacheClock(s *Store, now func() time.Time) {
	s.cache.mu.Lock()
	s.cache.now = now
	s.cache.mu.Unlock()
}
