package catalog

import (
	"testing"
	"time"
)

// TestCourseCacheFindsEventsOfCachedCoursesOnly: byEvent follows the
// courses in the cache, through a newer version (a date taken out, one
// added), an eviction and a drop.
func TestCourseCacheFindsEventsOfCachedCoursesOnly(t *testing.T) {
	c := newCourseCache(2)
	now := time.Now()
	course := func(id int64, version int, events ...int64) Course {
		co := Course{ID: id, Version: version}
		for _, e := range events {
			co.Events = append(co.Events, Event{ID: e, CourseID: id})
		}
		return co
	}
	has := func(event int64) bool {
		_, ok := c.recentEvent(event, time.Hour)
		return ok
	}
	c.put(course(1, 1, 10, 11), now)
	if !has(10) || !has(11) || has(12) {
		t.Fatal("course 1's dates are not found, or another is")
	}
	c.put(course(1, 2, 11, 12), now) // date 10 taken out, 12 added
	if has(10) || !has(11) || !has(12) {
		t.Fatal("after version 2: date 10 still found, or 11 or 12 not")
	}
	c.put(course(1, 1, 10), now) // an older version never replaces a newer
	if has(10) || !has(12) {
		t.Fatal("an older version replaced the newer")
	}
	c.put(course(2, 1, 20), now)
	c.put(course(3, 1, 30), now) // evicts course 1, the least recently used
	if has(11) || has(12) || !has(20) || !has(30) {
		t.Fatal("the evicted course's dates are still found, or the others not")
	}
	c.drop(2)
	if has(20) {
		t.Fatal("the dropped course's date is still found")
	}
	if got := len(c.byEvent); got != 1 {
		t.Fatalf("byEvent holds %d dates, want 1 (course 3's)", got)
	}
}

// TestCourseCacheOneCheckAtATime: while one caller checks an event's
// course, the others are told to wait for it, and are released when it
// is done.
func TestCourseCacheOneCheckAtATime(t *testing.T) {
	c := newCourseCache(2)
	if _, lead := c.begin(c.checking, 7); !lead {
		t.Fatal("the first caller does not lead")
	}
	wait, lead := c.begin(c.checking, 7)
	if lead {
		t.Fatal("a second caller leads while the first checks")
	}
	if _, lead := c.begin(c.checking, 8); !lead {
		t.Fatal("another event's check waits for event 7's")
	}
	select {
	case <-wait:
		t.Fatal("released before the check is done")
	default:
	}
	c.end(c.checking, 7)
	select {
	case <-wait:
	default:
		t.Fatal("not released when the check is done")
	}
	if _, lead := c.begin(c.checking, 7); !lead {
		t.Fatal("after the check, the next caller does not lead")
	}
}
