// Package database opens Plenary's database — SQLite (embedded, the
// default) or PostgreSQL — applies the embedded migrations and runs
// transactions. It owns the connection rules for each engine and nothing
// about courses or bookings.
package database
