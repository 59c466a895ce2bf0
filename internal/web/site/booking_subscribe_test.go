package site

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"plenary/internal/lists"
)

// TestBookingSubscribeBox: the booking form's box "E-mail me about new
// dates of this course" is there, never ticked; a booking with it
// unticked subscribes nobody; ticked, the booking succeeds and the person
// gets the confirmation e-mail (double opt-in) and evidence with source
// booking and the box's wording (whatever wording version the request
// posted); a booking that fails subscribes nobody.
func TestBookingSubscribeBox(t *testing.T) {
	t.Parallel()
	ts := newTestSiteWith(t, testNow, func(o *testOptions) { o.Lists = true }, bookingCourses(t)...)
	june := ts.event(t, "dit-refresher", "june")
	path := fmt.Sprintf("/events/%d/book", june)
	_, body := ts.get(t, path)
	box := between(body, `id="new-dates"`, "</div>\n  </div>")
	if !strings.Contains(box, `name="subscribe" value="yes"`) || strings.Contains(box, "checked") ||
		!strings.Contains(box, lists.BookingWording.Text) {
		t.Fatalf("the box, as shown:\n%s", box)
	}

	ts.book(t, june, ditForm("Una Ticked", "una@example.org"))
	if subs, err := ts.lists.Subscriptions(context.Background(), "una@example.org"); err != nil || len(subs) != 0 {
		t.Errorf("unticked: subscriptions %+v (%v)", subs, err)
	}
	if n := len(ts.confirmLinks(t, "una@example.org")); n != 0 {
		t.Errorf("unticked: %d confirmation e-mails", n)
	}

	// A refused booking (no name) with the box ticked: nothing.
	res, body := ts.post(t, path, with(ditForm("", "bad@example.org"), "subscribe", "yes", "subscribe_wording", lists.BookingWording.Version), sameOrigin)
	if res.StatusCode != 422 || !strings.Contains(between(body, `id="new-dates"`, "</label>"), "checked") {
		t.Errorf("refused booking: %d, the tick not kept", res.StatusCode)
	}
	if subs, _ := ts.lists.Subscriptions(context.Background(), "bad@example.org"); len(subs) != 0 {
		t.Errorf("a refused booking subscribed: %+v", subs)
	}

	// A posted wording version is not believed: the box's own is recorded.
	ts.book(t, june, with(ditForm("Tim Ticked", "tim@example.org"), "subscribe", "yes", "subscribe_wording", lists.CourseWording.Version))
	s := ts.subscription(t, "tim@example.org")
	if s.Status != lists.Requested || s.Scope != lists.ScopeCourse || s.CourseID != ts.courses["dit-refresher"].ID || s.Name != "Tim Ticked" {
		t.Errorf("ticked: %+v", s)
	}
	if n := len(ts.confirmLinks(t, "tim@example.org")); n != 1 {
		t.Errorf("ticked: %d confirmation e-mails, want 1", n)
	}
	ev, err := ts.lists.Evidence(context.Background(), s.ID)
	if err != nil || len(ev) != 1 || ev[0].Source != lists.FromBooking || ev[0].WordingVersion != lists.BookingWording.Version ||
		ev[0].WordingSHA256 != lists.BookingWording.SHA256() {
		t.Errorf("evidence: %+v (%v)", ev, err)
	}
}

func between(s, from, to string) string {
	_, after, _ := strings.Cut(s, from)
	before, _, _ := strings.Cut(after, to)
	return before
}
