// Package analytics counts page views of the public site, for visitors who
// accepted analytics cookies only: the web kit decides who counts (the
// consent cookie, never the staff area, never a signed-in person) and
// calls Counter.Add; this package keeps the counts.
//
// What is stored is the least that answers "which pages are seen, and
// where do people come from": per UK day, the path (never the query) and
// the referring site's host name, with a count. No IP address, no user
// agent, no time of day, no identifier: one visitor cannot be told from
// another, and nothing needs a cookie of its own.
//
// Writes are bounded: Add only adds to a map in memory; Flush (every
// minute from Run, and when the server stops) writes each day, path and
// host once, as an upsert that adds to the stored count, in one
// transaction. The map holds at most MaxPending keys; beyond that a view
// keeps its path and day but loses its referrer, and a view that would
// still need a new key is dropped and counted in Dropped.
//
// The package owns the page_views table and imports only database and
// workdays.
package analytics
