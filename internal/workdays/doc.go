// Package workdays owns the UK working-day calendar: which days are bank
// holidays in England and Wales, Scotland and Northern Ireland, and which day
// is "n working days before" another. Joining instructions, minimum-notice
// checks and anything else that counts in working days asks a *Calendar.
//
// The recurring holidays come from github.com/rickar/cal/v2 (its gb
// package), with the Scottish and Northern Irish days that package lacks
// defined here. The library stopped changing in 2023, so one-off days
// (state funerals, coronations, jubilees) live in our own overrides file,
// overrides.txt, embedded in the binary; an install can add a file of its
// own in the same format. docs/working-days.md is the user-facing account.
//
// workdays is a leaf package: it imports nothing from Plenary, so catalog and
// booking can import it. catalog.Date is an alias of its Date.
package workdays
