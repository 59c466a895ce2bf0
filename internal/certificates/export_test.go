package certificates

// SetBeforeClose makes Close run fn between reading the register and
// writing the bookings: a test's stand-in for a concurrent change.
func SetBeforeClose(r *Register, fn func()) { r.beforeClose = fn }

// SetSaveHook makes Save call fn before its transaction ("begin") and
// after reading the marks under the date's lock ("read").
func SetSaveHook(r *Register, fn func(stage string)) { r.saveHook = fn }

// SetSendHook makes SendAll call fn once it holds the date's lock.
func SetSendHook(s *Issuer, fn func()) { s.sendHook = fn }
