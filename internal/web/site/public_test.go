package site

import (
	"bytes"
	"encoding/binary"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"plenary/internal/catalog"
)

// TestContactAddress checks the footer links the contact address on
// every page when one is set, and shows none when it is not.
func TestContactAddress(t *testing.T) {
	t.Parallel()
	with := newTestSiteWith(t, testNow, func(o *testOptions) {
		o.ContactEmail = "Course team <courses@training.example.org>"
		o.Site.AccessNeedsRetentionDays = 1
	})
	without := newTestSite(t)
	for _, p := range []string{"/", "/courses/dit-refresher", "/cookies", "/privacy", "/system-check", "/nope"} {
		_, body := with.get(t, p)
		if !strings.Contains(body, `<a href="mailto:courses@training.example.org">courses@training.example.org</a>`) {
			t.Errorf("GET %s with a contact address: no mailto link to it", p)
		}
		if !strings.Contains(body, `<a href="/privacy">Privacy</a>`) {
			t.Errorf("GET %s: the footer does not link the privacy page", p)
		}
		_, body = without.get(t, p)
		if strings.Contains(body, "mailto:") {
			t.Errorf("GET %s without a contact address: got a mailto link", p)
		}
	}
	_, body := with.get(t, "/privacy")
	for _, w := range []string{"To ask, e-mail <a href=\"mailto:courses@training.example.org\">", "erased <strong>1 day after the course</strong>"} {
		if !strings.Contains(body, w) {
			t.Errorf("privacy page: no %q", w)
		}
	}
}

func TestRobotsAndFavicon(t *testing.T) {
	t.Parallel()
	ts := newTestSite(t)
	res, body := ts.get(t, "/robots.txt")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /robots.txt: got %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, w := range []string{"User-agent: *", "Disallow: /bookings/", "Disallow: /admin/", "Allow: /"} {
		if !strings.Contains(body, w+"\n") {
			t.Errorf("robots.txt: no line %q", w)
		}
	}
	if strings.Contains(body, "Disallow: /\n") || strings.Contains(body, "Disallow: /courses") {
		t.Errorf("robots.txt keeps public pages out:\n%s", body)
	}

	_, home := ts.get(t, "/")
	svg := ts.static("favicon.svg")
	if !strings.Contains(home, `<link rel="icon" href="`+svg+`" type="image/svg+xml">`) {
		t.Errorf("the layout does not link %s", svg)
	}
	res, body = ts.get(t, svg)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(body, "<svg") {
		t.Errorf("GET %s: got %d %q", svg, res.StatusCode, res.Header.Get("Content-Type"))
	}

	res, body = ts.get(t, "/favicon.ico")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/x-icon" {
		t.Fatalf("GET /favicon.ico: got %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	// An ICO file: a 6-byte header (0, type 1, one image), one 16-byte
	// entry pointing at a PNG of 32×32.
	b := []byte(body)
	if len(b) < 22 || binary.LittleEndian.Uint16(b[2:]) != 1 || binary.LittleEndian.Uint16(b[4:]) != 1 || b[6] != 32 || b[7] != 32 {
		t.Fatalf("/favicon.ico is not a one-image 32×32 ICO file: % x", b[:min(len(b), 22)])
	}
	size, offset := binary.LittleEndian.Uint32(b[14:]), binary.LittleEndian.Uint32(b[18:])
	if int(offset)+int(size) != len(b) {
		t.Fatalf("/favicon.ico: image at %d+%d, file %d bytes", offset, size, len(b))
	}
	img, err := png.Decode(bytes.NewReader(b[offset:]))
	if err != nil || img.Bounds().Dx() != 32 || img.Bounds().Dy() != 32 {
		t.Fatalf("/favicon.ico: image %v, %v; want a 32×32 PNG", err, img)
	}
	if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
		t.Errorf("/favicon.ico: the corner is not transparent (rounded square)")
	}
	if r, g, bl, _ := img.At(10, 20).RGBA(); r>>8 != 0xff || g>>8 != 0xff || bl>>8 != 0xff {
		t.Errorf("/favicon.ico: the P's stem is not white")
	}
}

func TestDurationLabel(t *testing.T) {
	t.Parallel()
	on := func(n int, from, to string) catalog.Day {
		return day(t, catalog.Date{Year: 2022, Month: 6, Day: n}, from, to)
	}
	tests := []struct {
		days []catalog.Day
		want string
	}{
		{nil, ""},
		{[]catalog.Day{on(10, "10:00", "11:00")}, "1 day, 10:00–11:00"},
		{[]catalog.Day{on(10, "10:00", "17:00")}, "1 day, 10:00–17:00"},
		{[]catalog.Day{on(10, "09:30", "16:30"), on(11, "09:30", "16:30")}, "2 days, 09:30–16:30 each day"},
		{[]catalog.Day{on(10, "09:30", "16:30"), on(11, "09:30", "13:00"), on(12, "09:30", "16:30")}, "3 days"},
	}
	for _, tt := range tests {
		if got := (catalog.Event{Days: tt.days}).DurationLabel(); got != tt.want {
			t.Errorf("DurationLabel(%d days): got %q, want %q", len(tt.days), got, tt.want)
		}
	}
}

// TestManageDetailsErrorSummary checks a rejected correction shows an
// error summary at the top of the form, linking to the field, with what
// was typed kept, and the form's action brings the browser to it.
func TestManageDetailsErrorSummary(t *testing.T) {
	t.Parallel()
	ts := newBookingSite(t)
	manage := ts.book(t, ts.event(t, "dit-refresher", "june"), ditForm("Ann Able", "ann@example.org"))
	res, body := ts.post(t, manage+"/details", url.Values{"name": {""}, "organisation": {"South Clinic"}}, sameOrigin)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("empty name: got %d, want 422", res.StatusCode)
	}
	summary := strings.Index(body, `<div class="error-summary" id="details-errors"`)
	field := strings.Index(body, `<input class="input" id="name"`)
	if summary < 0 || field < 0 || summary > field {
		t.Fatalf("no error summary before the name field (summary at %d, field at %d)", summary, field)
	}
	for _, w := range []string{`tabindex="-1" autofocus`, `<li><a href="#name">`, `value="South Clinic"`, `aria-invalid="true"`,
		`action="` + manage + `/details#details-errors"`, "<details class=\"disclosure\" open>"} {
		if !strings.Contains(body, w) {
			t.Errorf("after a rejected correction: no %q", w)
		}
	}
	_, body = ts.get(t, manage)
	if strings.Contains(body, `id="details-errors"`) {
		t.Errorf("the error summary shows without an error")
	}
}

// TestPrivacyRetention: the privacy page states each retention setting,
// and "0" as keeping, and page views only once they are counted.
func TestPrivacyRetention(t *testing.T) {
	t.Parallel()
	ts := newTestSiteWith(t, testNow, func(o *testOptions) {
		o.Site.MessageBodyRetentionDays = 0
		o.Site.PageViews, o.Site.PageViewRetentionDays = true, 1
	})
	_, body := ts.get(t, "/privacy")
	for _, w := range []string{"kept until you ask us to erase it", "Page-view counts", "erased after 1 day."} {
		if !strings.Contains(body, w) {
			t.Errorf("privacy page: no %q", w)
		}
	}
}
