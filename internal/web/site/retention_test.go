package site

import (
	"strings"
	"testing"
)

// TestPrivacyEveryRetention: the privacy page states every retention period
// from the settings it is given — access needs, e-mail bodies,
// unconfirmed subscriptions (when lists are on) and page views — and
// leaves out the lines of what is off.
func TestPrivacyEveryRetention(t *testing.T) {
	t.Parallel()
	ts := newTestSiteWith(t, testNow, func(o *testOptions) {
		o.Lists = true
		o.Site.AccessNeedsRetentionDays = 14
		o.Site.MessageBodyRetentionDays = 90
		o.Site.PageViews = true
		o.Site.PageViewRetentionDays = 200
		o.Site.ListUnconfirmedDays = 9
	})
	_, body := ts.get(t, "/privacy")
	for _, want := range []string{
		"<strong>Access needs</strong>: erased 14 days after the course.",
		"erased 90 days after each is sent",
		"<strong>A request to hear about new dates that you never confirm</strong>: forgotten 9 days after you asked",
		"If you ask to hear about new dates",
		"<strong>Page-view counts</strong>", "erased after 200 days",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("privacy page lacks %q", want)
		}
	}

	off := newTestSiteWith(t, testNow, func(o *testOptions) { o.Site.MessageBodyRetentionDays = 0 })
	_, body = off.get(t, "/privacy")
	for _, notWant := range []string{"hear about new dates", "Page-view counts"} {
		if strings.Contains(body, notWant) {
			t.Errorf("privacy page without lists or counting says %q", notWant)
		}
	}
	if !strings.Contains(body, "kept until you ask us to erase it") {
		t.Error("bodies kept: the page does not say so")
	}
}
