package site

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"plenary/demo"
	"plenary/internal/catalog"
)

// TestDemoCatalogue loads the demo catalogue as `serve -demo` does and
// checks the DIT refresher page: its June 2022 date is past and in BST,
// the agenda is shown, and no joining details leak.
func TestDemoCatalogue(t *testing.T) {
	t.Parallel()
	// The demo's dates follow the day it loads; its June 2022 date is
	// fixed and so in the past.
	now := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	courses, err := demo.Courses(catalog.DateOf(now))
	if err != nil {
		t.Fatalf("demo.Courses: %v", err)
	}
	ts := newTestSiteAt(t, now, courses...)
	res, body := ts.get(t, "/courses/dit-refresher")
	if res.StatusCode != 200 {
		t.Fatalf("got status %d, want 200", res.StatusCode)
	}
	i := strings.Index(body, `<h3 class="date__title">Friday 10 June 2022</h3>`)
	if i < 0 {
		t.Fatalf("no date heading for Friday 10 June 2022")
	}
	june := body[i:]
	if end := strings.Index(june, "</li>"); end > 0 {
		june = june[:end]
	}
	for _, w := range []string{
		"Past date",
		"10:00–17:00 UK time (BST)",
		"1 day, 10:00–17:00",
		"Establishing and negotiating the IPAF",
		"Middle-phase techniques",
		"The ending phase",
		"Tea break",
		"Selection for DIT, difficult scenarios and plenary",
	} {
		if !strings.Contains(june, w) {
			t.Errorf("10 June 2022: no %q", w)
		}
	}
	if strings.Contains(june, "Book a place") || strings.Contains(june, "/book") {
		t.Errorf("10 June 2022: got a booking link on a past date")
	}
	for _, w := range []string{"Who it is for", "Aims", "£120.00", "£95.00"} {
		if !strings.Contains(body, w) {
			t.Errorf("course page: no %q", w)
		}
	}
	for slug, c := range ts.courses {
		_, page := ts.get(t, "/courses/"+slug)
		for _, e := range c.Events {
			_, ics := ts.get(t, fmt.Sprintf("/events/%d.ics", e.ID))
			for _, secret := range []string{e.Meeting.JoinURL, e.Meeting.Passcode, e.Meeting.ID} {
				if secret != "" && (strings.Contains(page, secret) || strings.Contains(ics, secret)) {
					t.Errorf("%s: meeting detail %q is public", slug, secret)
				}
			}
		}
	}
}
