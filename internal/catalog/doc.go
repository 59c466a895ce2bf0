// Package catalog owns what is taught and when: courses (with their fee
// tiers, topics, eligibility questions and long texts), events (scheduled
// deliveries of a course) with their days and agenda, the course file
// format used by `plenary import` and `plenary export`, the rules for
// showing an event's times in its own zone, and money: amounts in each
// currency's own minor unit (ISO 4217, via golang.org/x/text/currency),
// formatted ("£120.00", "¥1,200") and read and written in course files
// with the currency's number of decimals.
//
// Store.Save is the one way to change a course and its dates, whoever
// asks (the CLI's import, the demo, later the admin editor and the API).
// Options travel with the call (SaveOptions: who acted, now, confirm a
// late change, dry run, the version the change started from). In one
// transaction Save normalises and validates the courses (Normalize, then
// the pure Validate), refuses a course saved by someone else since the
// version the change started from (StaleError), writes them, works out
// each event's typed changes (Diff), runs the hooks given to NewStore
// (Hooks: booking's tells the people booked and fills freed places) and
// records every change in the audit log.
//
// catalog imports only the leaves: database, audit and workdays.
package catalog
