// Package catalog owns what is taught and when: courses (with their fee
// tiers, topics, eligibility questions and long texts), events (scheduled
// deliveries of a course) with their days and agenda, the course file
// format used by `plenary import` and `plenary export`, and the rules for
// showing an event's times in its own zone.
package catalog
