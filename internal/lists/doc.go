// Package lists owns the people who asked to hear about new dates: their
// subscriptions (to a course's new dates, to a topic, to all new courses),
// confirmed by double opt-in; the append-only consent evidence of each
// step; the signed unsubscribe links and the e-mails that confirm a
// subscription (mail/, rendered by Mail when the outbox sends them).
//
// The Service is the only door. A subscription is requested (an e-mail
// with a single-use link, stored as its SHA-256, valid 7 days), confirmed
// by a POST from the page that link opens (never by the GET a link scanner
// makes), withdrawn (the one-click unsubscribe of RFC 8058, a link, staff)
// or suppressed. A request never confirmed is forgotten after
// Options.ForgetAfter (PLENARY_LIST_UNCONFIRMED_DAYS, 30 by default, at
// least the link's 7) by the periodic job in jobs.go. Asking again is harmless and answers the
// same whatever the address's state, so the form reveals nothing.
//
// Unsubscribe links are signed with HMAC-SHA256 under PLENARY_LIST_SECRET
// (or, in the demo, a key kept in list_keys) and never expire; a list
// e-mail's List-Unsubscribe names every subscription that brought it.
//
// lists owns list_subscriptions, list_consent_evidence and list_keys. It
// imports messaging (the outbox) and database, and knows courses by ID
// (the caller gives a course's ID and title); booking never needs it.
package lists
