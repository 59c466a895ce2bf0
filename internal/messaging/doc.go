// Package messaging owns Plenary's e-mail: the outbox of messages (each
// with a dedupe key, a stable Message-ID, a scheduled time and a delivery
// status), the River job that sends them, the Mailer that delivers them
// (SMTP, a dev mailbox kept in the database, or a Recorder in tests) and
// Templates, a set of e-mails (a layout, partials and a text+HTML pair
// each) parsed once at start.
//
// A domain package queues a message with Outbox.Enqueue inside its own
// transaction, so a message exists — and is sent — exactly when the change
// that caused it commits. It queues either the content or, to keep
// rendering out of its callers' locks, the message's kind and data
// (Message.Data): the outbox's Renderer, which the domain package provides
// and main wires in, renders those when the send job runs (storing the
// result before the SMTP conversation) or when a waiting message is read.
// messaging is a leaf: it knows nothing of courses or bookings; callers
// name what a message is about with their own subject reference
// ("booking/42"). Other packages ask about messages only through the
// lookups in lookup.go (by dedupe key, by subject and kind, failing ones),
// which take a Querier so that they run in the caller's transaction; only
// this package writes SQL on the messages table.
package messaging
