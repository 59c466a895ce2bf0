// Package catalog owns what is taught and when: courses (with their fee
// tiers, topics, eligibility questions and long texts), events (scheduled
// deliveries of a course) with their days and agenda, the course file
// format used by `plenary import` and `plenary export`, the rules for
// showing an event's times in its own zone, and money: amounts in each
// currency's own minor unit (ISO 4217, via golang.org/x/text/currency),
// formatted ("£120.00", "¥1,200") and read and written in course files
// with the currency's number of decimals.
package catalog
