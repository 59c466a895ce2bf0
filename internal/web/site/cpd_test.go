package site

import (
	"strings"
	"testing"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
)

// TestCoursePageCPDHours shows the CPD hours of the upcoming dates, from
// their agendas' teaching (registration left out).
func TestCoursePageCPDHours(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := catalogtest.NewCourse(now)
	c.Slug = "cpd-course"
	day := c.Events[0].Days[0]
	day.Agenda = append(day.Agenda, catalog.AgendaItem{Kind: catalog.Lunch, Start: catalog.Clock{Minutes: 16 * 60, Valid: true},
		End: catalog.Clock{Minutes: 16*60 + 30, Valid: true}, Title: "Late lunch"},
		catalog.AgendaItem{Kind: catalog.Plenary, Start: catalog.Clock{Minutes: 16*60 + 30, Valid: true},
			End: catalog.Clock{Minutes: 17 * 60, Valid: true}, Title: "Questions"})
	c.Events[0].Days[0] = day
	ts := newTestSiteAt(t, now, c)
	_, body := ts.get(t, "/courses/cpd-course")
	if !strings.Contains(body, `<p class="cpd">CPD: 4.5 hours</p>`) {
		t.Errorf("got no CPD: 4.5 hours on the course page")
	}
}
