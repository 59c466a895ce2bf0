package site

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"plenary/internal/account"
)

func TestManagePage(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	ts := newTestSiteWith(t, testNow, func(o *testOptions) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) }, bookingCourses(t)...)
	june := ts.event(t, "dit-refresher", "june")
	ann := ts.book(t, june, ditForm("Ann Able", "ann@example.org"))
	ts.book(t, june, ditForm("Ben Best", "ben@example.org"))
	cal := ts.book(t, june, ditForm("Cal Cole", "cal@example.org"))
	dee := ts.book(t, june, ditForm("Dee Dunn", "dee@example.org"))

	res, body := ts.get(t, ann)
	if res.StatusCode != 200 {
		t.Fatalf("GET manage page: %d", res.StatusCode)
	}
	for _, w := range []string{"Your place is confirmed", "DIT refresher", "Friday 10 June 2022", "10:00–17:00 UK time (BST)",
		"Ann Able", "ann@example.org", "North Clinic", "Psychotherapist", "UKCP 123", "NHS: £95.00", "PO-77", "INV-000001",
		"2021-09-30", "Given (only coordinators see them)", fmt.Sprintf(`href="/events/%d.ics"`, june),
		`action="` + ann + `/details#details-errors"`, `href="` + ann + `/cancel"`, "https://training.example.org" + ann} {
		if !strings.Contains(body, w) {
			t.Errorf("manage page: no %q", w)
		}
	}
	for _, w := range []string{"Captions, please.", "zx-SECRET-91", "zoom.us/j/"} {
		if strings.Contains(body, w) {
			t.Errorf("manage page shows %q", w)
		}
	}
	for k, v := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"} {
		if got := res.Header.Get(k); got != v {
			t.Errorf("manage page: got %s %q, want %q", k, got, v)
		}
	}

	t.Run("wrong token", func(t *testing.T) {
		for _, p := range []string{"/bookings/" + strings.Repeat("A", 43), "/bookings/nope", "/bookings/" + strings.Repeat("A", 43) + "/cancel", "/bookings/%00"} {
			res, body := ts.get(t, p)
			if res.StatusCode != 404 || !strings.Contains(body, "Page not found") {
				t.Errorf("GET %s: got %d, want the plain 404", p, res.StatusCode)
			}
			if res.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("GET %s: got Cache-Control %q, want no-store", p, res.Header.Get("Cache-Control"))
			}
		}
		for _, action := range []string{"cancel", "accept", "decline", "details"} {
			res, _ := ts.post(t, "/bookings/"+strings.Repeat("A", 43)+"/"+action, url.Values{"name": {"X"}, "organisation": {"Y"}}, sameOrigin)
			if res.StatusCode != 404 {
				t.Errorf("POST %s with a wrong token: got %d, want 404", action, res.StatusCode)
			}
		}
	})

	t.Run("correct details", func(t *testing.T) {
		steps := []struct {
			form   url.Values
			status int
			want   []string
		}{
			{url.Values{"name": {""}, "organisation": {"South Clinic"}}, 422,
				[]string{`id="name-error"`, "Enter your name.", `value="South Clinic"`, `aria-describedby="name-hint name-error"`, "<details class=\"disclosure\" open>"}},
			{url.Values{"name": {"Ann\nAble"}, "organisation": {strings.Repeat("o", 161)}}, 422,
				[]string{"Your name must be on one line.", "Your organisation is too long"}},
			{url.Values{"name": {"Dr Ann Able"}, "organisation": {"South Clinic"}}, 303, nil},
		}
		for _, st := range steps {
			res, body := ts.post(t, ann+"/details", st.form, sameOrigin)
			if res.StatusCode != st.status {
				t.Fatalf("POST details %v: got %d, want %d", st.form, res.StatusCode, st.status)
			}
			for _, w := range st.want {
				if !strings.Contains(body, w) {
					t.Errorf("POST details %v: no %q", st.form, w)
				}
			}
		}
		_, body := ts.get(t, ann+"?done=updated")
		for _, w := range []string{"Your details are updated.", "Dr Ann Able", "South Clinic"} {
			if !strings.Contains(body, w) {
				t.Errorf("after the correction: no %q", w)
			}
		}
	})

	t.Run("accept without an offer", func(t *testing.T) {
		res, body := ts.post(t, cal+"/accept", nil, sameOrigin)
		if res.StatusCode != http.StatusConflict || !strings.Contains(body, "There is no open offer of a place on this booking.") {
			t.Errorf("got %d, want 409 saying there is no offer", res.StatusCode)
		}
	})

	t.Run("cancel", func(t *testing.T) {
		res, body := ts.get(t, ann+"/cancel")
		if res.StatusCode != 200 {
			t.Fatalf("GET cancel: %d", res.StatusCode)
		}
		for _, w := range []string{"Cancellation terms", "Cancel up to <strong>14 days</strong> before", `action="` + ann + `/cancel"`, "Keep my booking"} {
			if !strings.Contains(body, w) {
				t.Errorf("cancel page: no %q", w)
			}
		}
		res, _ = ts.post(t, ann+"/cancel", nil, sameOrigin)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != ann+"?done=cancelled" {
			t.Fatalf("POST cancel: got %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
		_, body = ts.get(t, ann+"?done=cancelled")
		for _, w := range []string{"This booking is cancelled", "Your booking is cancelled. We have e-mailed you"} {
			if !strings.Contains(body, w) {
				t.Errorf("after cancelling: no %q", w)
			}
		}
		if strings.Contains(body, `action="`+ann+`/details"`) {
			t.Errorf("a cancelled booking still offers the correction form")
		}
		res, body = ts.post(t, ann+"/cancel", nil, sameOrigin)
		if res.StatusCode != http.StatusConflict || !strings.Contains(body, "This booking is already cancelled.") {
			t.Errorf("second cancel: got %d, want 409 saying it is already cancelled", res.StatusCode)
		}
		if _, body := ts.get(t, ann+"/cancel"); !strings.Contains(body, "This booking is already cancelled.") {
			t.Errorf("cancel page of a cancelled booking does not say so")
		}
	})

	t.Run("offer accepted", func(t *testing.T) {
		// Ann's place went to Cal, first on the waiting list, as an offer.
		_, body := ts.get(t, cal)
		for _, w := range []string{"A place has come free for you", "Accept the place", "Decline the place", `action="` + cal + `/accept"`} {
			if !strings.Contains(body, w) {
				t.Errorf("offer: no %q", w)
			}
		}
		res, _ := ts.post(t, cal+"/accept", nil, sameOrigin)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("accept: got %d", res.StatusCode)
		}
		if _, body := ts.get(t, cal+"?done=accepted"); !strings.Contains(body, "Your place is confirmed") || !strings.Contains(body, "You have accepted the place") {
			t.Errorf("after accepting: not confirmed")
		}
	})

	t.Run("offer declined", func(t *testing.T) {
		if res, _ := ts.post(t, cal+"/cancel", nil, sameOrigin); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("cancel Cal: %d", res.StatusCode)
		}
		res, _ := ts.post(t, dee+"/decline", nil, sameOrigin)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("decline: got %d", res.StatusCode)
		}
		_, body := ts.get(t, dee+"?done=declined")
		if !strings.Contains(body, "This booking was declined") || !strings.Contains(body, "You have declined the place.") {
			t.Errorf("after declining: page does not say so")
		}
		if res, _ := ts.post(t, dee+"/decline", nil, sameOrigin); res.StatusCode != http.StatusConflict {
			t.Errorf("second decline: got %d, want 409", res.StatusCode)
		}
	})

	for _, token := range []string{ann, cal, dee} {
		token = strings.TrimPrefix(token, "/bookings/")
		if strings.Contains(logs.String(), token) {
			t.Errorf("a manage token is in the request log:\n%s", logs.String())
		}
	}
	if !strings.Contains(logs.String(), "GET /bookings/{token}") {
		t.Errorf("the request log does not name the manage route")
	}
}

// TestMailLogWithoutDevMailbox checks the mail log no longer depends on
// the dev mailbox: with it off (mail sent, not kept), staff allowed to
// read messages still see every page of it, from anywhere.
func TestMailLogWithoutDevMailbox(t *testing.T) {
	t.Parallel()
	ts := newBookingSite(t)
	ts.book(t, ts.event(t, "dit-refresher", "june"), ditForm("Ann Able", "ann@example.org"))
	msgs := ts.mailTo(t, "ann@example.org")
	if len(msgs) != 1 {
		t.Fatalf("got %d messages to Ann, want 1", len(msgs))
	}
	id := msgs[0].ID
	staff := map[string]string{"Cookie": ts.staffCookie(t, account.Coordinator)}
	for _, remote := range []string{"127.0.0.1:40000", "192.0.2.1:40000"} {
		for _, p := range []string{"/admin/messages", fmt.Sprintf("/admin/messages/%d", id), fmt.Sprintf("/admin/messages/%d/html", id), fmt.Sprintf("/admin/messages/%d/attachments/0", id)} {
			res, _ := ts.getFrom(t, p, remote, staff)
			if res.StatusCode != http.StatusOK {
				t.Errorf("GET %s from %s with the dev mailbox off: got %d, want 200", p, remote, res.StatusCode)
			}
		}
	}
}

// TestAdminMail reads a booking's e-mail in the mail log, as the staff
// who may (the dev mailbox's old tests, on its successor).
func TestAdminMail(t *testing.T) {
	t.Parallel()
	ts := newTestSiteWith(t, testNow, func(o *testOptions) { o.Admin.DevMailbox = true }, bookingCourses(t)...)
	manage := ts.book(t, ts.event(t, "dit-refresher", "june"), ditForm("Ann Able", "ann@example.org"))
	msgs := ts.mailTo(t, "ann@example.org")
	if len(msgs) != 1 {
		t.Fatalf("got %d messages to Ann, want 1", len(msgs))
	}
	id := msgs[0].ID
	coordinator, finance := ts.staffCookie(t, account.Coordinator), ts.staffCookie(t, account.Finance)

	// The loopback exception is gone: the mail log is for staff signed in
	// with messages:read, wherever they are.
	get := func(path, remote string, header map[string]string) (*http.Response, string) {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.RemoteAddr = remote
		if header == nil {
			header = map[string]string{"Cookie": coordinator}
		}
		for k, v := range header {
			r.Header.Set(k, v)
		}
		return ts.do(t, r)
	}
	access := []struct {
		name   string
		remote string
		header map[string]string
		status int
	}{
		{"IPv4 loopback", "127.0.0.1:40000", nil, 200},
		{"IPv6 loopback", "[::1]:40000", nil, 200},
		{"another machine", "192.0.2.1:40000", nil, 200},
		{"no session, from this machine", "127.0.0.1:40000", map[string]string{}, 303},
		{"no session, another machine", "192.0.2.1:40000", map[string]string{"X-Forwarded-For": "203.0.113.9"}, 303},
		{"finance", "127.0.0.1:40000", map[string]string{"Cookie": finance}, 403},
	}
	for _, tt := range access {
		for _, p := range []string{"/admin/messages", fmt.Sprintf("/admin/messages/%d", id), fmt.Sprintf("/admin/messages/%d/html", id), fmt.Sprintf("/admin/messages/%d/attachments/0", id)} {
			if res, _ := get(p, tt.remote, tt.header); res.StatusCode != tt.status {
				t.Errorf("%s: GET %s: got %d, want %d", tt.name, p, res.StatusCode, tt.status)
			}
		}
	}

	const local = "127.0.0.1:40000"
	res, body := get("/admin/messages", local, nil)
	for _, w := range []string{"Your place is confirmed: DIT refresher", "Ann Able &lt;ann@example.org&gt;", "Booking confirmed", "Queued",
		fmt.Sprintf(`href="/admin/messages/%d"`, id)} {
		if !strings.Contains(body, w) {
			t.Errorf("mail list: no %q", w)
		}
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("mail list: Cache-Control %q, want no-store", res.Header.Get("Cache-Control"))
	}

	_, body = get(fmt.Sprintf("/admin/messages/%d", id), local, nil)
	for _, w := range []string{"Dear Ann Able", "[manage link hidden]", "<iframe", "sandbox", fmt.Sprintf(`src="/admin/messages/%d/html"`, id),
		fmt.Sprintf(`href="/admin/messages/%d/attachments/0"`, id), "Attempts", "Queued", "dit-refresher.ics"} {
		if !strings.Contains(body, w) {
			t.Errorf("message page: no %q", w)
		}
	}
	// The manage link is the participant's key: staff do not see it.
	if strings.Contains(body, manage) {
		t.Errorf("message page shows the manage link %s", manage)
	}
	res, body = get(fmt.Sprintf("/admin/messages/%d/html", id), local, nil)
	if csp := res.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "sandbox") {
		t.Errorf("HTML body: CSP %q, want a sandbox", csp)
	}
	if !strings.Contains(body, "Ann Able") {
		t.Errorf("HTML body: not the message's HTML")
	}
	res, body = get(fmt.Sprintf("/admin/messages/%d/attachments/0", id), local, nil)
	if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="dit-refresher.ics"` || !strings.Contains(body, "BEGIN:VCALENDAR") {
		t.Errorf("attachment: Content-Disposition %q, body starts %.40q", cd, body)
	}
	for _, p := range []string{"/admin/messages/999999", "/admin/messages/abc", fmt.Sprintf("/admin/messages/%d/attachments/5", id)} {
		if res, _ := get(p, local, nil); res.StatusCode != 404 {
			t.Errorf("GET %s: got %d, want 404", p, res.StatusCode)
		}
	}
	if res, _ := get("/admin/messages?before=x", local, nil); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("GET /admin/messages?before=x: got %d, want 422", res.StatusCode)
	}
}
