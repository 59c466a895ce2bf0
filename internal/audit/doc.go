// Package audit records who changed what: an append-only log of every
// change to Plenary's data, written by the domain packages in the same
// transaction as the change itself, so a change and its entry commit or
// roll back together (never log-and-hope after the commit).
//
// Every call that changes data says who acted, as an Actor: a staff
// member, a participant through their manage link, the operator at the
// command line, a background job, later an API token. An Entry names the
// action ("booking.cancel"), the object ("booking" 42), the state before
// and after (as JSON), when, and why where a reason was given.
//
// The package owns the audit_log table and knows nothing of courses or
// bookings: callers pass their own before and after values.
package audit
