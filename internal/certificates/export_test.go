package certificates

// SetBeforeClose makes Close run fn between reading the register and
// writing the bookings: a test's stand-in for a concurrent change.
func SetBeforeClose(r *Register, fn func()) { r.beforeClose = fn }
