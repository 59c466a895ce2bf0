package catalog

// CacheReads says how many times s read a course afresh for its cache.
func CacheReads(s *Store) int64 { return s.cache.reads.Load() }
