package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
)

// TestPersonPages: an admin finds what is held about an address (in any
// case), downloads it as JSON, is asked to confirm before an erasure,
// is refused for a person with a booking still to come, and erases a
// person whose booking is cancelled; a bad address is kept beside its
// message. (Who may open the pages: TestRouteAccess.)
func TestPersonPages(t *testing.T) {
	t.Parallel()
	a := newArea(t, nil)
	a.addUser(t, "boss@example.org", account.Admin)
	tok := a.signIn(t, "boss@example.org", password, "")
	course := catalogtest.NewCourse(t0)
	if _, err := a.catalog.Save(ctx, []*catalog.Course{&course}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	book := func(name, email string) booking.Result {
		res, err := a.bookings.Book(ctx, booking.Request{EventID: course.Events[0].ID, Name: name, Email: email,
			Organisation: "North Clinic", Role: "Nurse", SystemChecked: true}, audit.ParticipantOf(0))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	gone := book("Ines Vasquez-Lind", "ines@example.org")
	if _, err := a.bookings.CancelByID(ctx, gone.Booking.ID, audit.Job("test"), booking.CancelOptions{Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	book("Kwame Stillhere", "kwame@example.org")

	res, body := a.get(t, "/admin/people?email=not+an+address", tok)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter an e-mail address") ||
		!strings.Contains(body, `value="not an address"`) {
		t.Fatalf("bad address: %d\n%s", res.StatusCode, body)
	}
	res, body = a.get(t, "/admin/people?email=INES@example.org", tok)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "<td>bookings</td><td>1</td>") ||
		!strings.Contains(body, "/admin/people/export?email=INES%40example.org") {
		t.Fatalf("find: %d\n%s", res.StatusCode, body)
	}

	res, body = a.get(t, "/admin/people/export?email=ines%40example.org", tok)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment;") ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("export: %d %v", res.StatusCode, res.Header)
	}
	var exp struct{ Data map[string]json.RawMessage }
	if err := json.Unmarshal([]byte(body), &exp); err != nil || !strings.Contains(string(exp.Data["bookings"]), "Ines Vasquez-Lind") {
		t.Fatalf("export body (%v): %s", err, body)
	}

	// Without the box ticked: the counts again, with the box's message.
	res, body = a.post(t, "/admin/people/erase", tok, url.Values{"email": {"ines@example.org"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Tick the box") ||
		!strings.Contains(body, "<td>bookings</td><td>1</td>") {
		t.Fatalf("erase unconfirmed: %d\n%s", res.StatusCode, body)
	}
	res, body = a.post(t, "/admin/people/erase", tok, url.Values{"email": {"kwame@example.org"}, "confirm": {"yes"}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "booking still to come") {
		t.Fatalf("erase with a booking to come: %d\n%s", res.StatusCode, body)
	}
	res, body = a.post(t, "/admin/people/erase", tok, url.Values{"email": {"ines@example.org"}, "confirm": {"yes"}})
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Erased") || !strings.Contains(body, "bookings: 1") {
		t.Fatalf("erase: %d\n%s", res.StatusCode, body)
	}
	// The erased booking still opens, on its own and in the desk list.
	for _, path := range []string{fmt.Sprintf("/admin/bookings/%d", gone.Booking.ID), "/admin/bookings?status=all"} {
		if res, body := a.get(t, path, tok); res.StatusCode != http.StatusOK || strings.Contains(body, "Vasquez") {
			t.Errorf("%s after the erasure: %d", path, res.StatusCode)
		}
	}
	// The mail log still lists the erased e-mail, and opens it.
	var erased int64
	if err := a.db.QueryRowContext(ctx, `SELECT id FROM messages WHERE subject = '[erased]' ORDER BY id LIMIT 1`).Scan(&erased); err != nil {
		t.Fatalf("no erased message: %v", err)
	}
	if res, body := a.get(t, fmt.Sprintf("/admin/messages/%d", erased), tok); res.StatusCode != http.StatusOK ||
		strings.Contains(body, "ines@example.org") {
		t.Errorf("mail log of an erased message: %d\n%s", res.StatusCode, body)
	}
	if res, body := a.get(t, "/admin/messages", tok); res.StatusCode != http.StatusOK || strings.Contains(body, "ines@example.org") {
		t.Errorf("mail log after the erasure: %d\n%s", res.StatusCode, body)
	}
	_, body = a.get(t, "/admin/people?email=ines@example.org", tok)
	if !strings.Contains(body, "Nothing: no booking") {
		t.Errorf("after the erasure:\n%s", body)
	}
	entries, err := audit.List(ctx, a.db, audit.Filter{Object: "person"})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].Actor.Kind != audit.Staff {
		t.Errorf("audit: %+v", entries)
	}
	if _, body := a.get(t, "/admin/audit?action=person", tok); !strings.Contains(body, "A person&#39;s data erased") ||
		!strings.Contains(body, "A person&#39;s data exported") {
		t.Errorf("the audit log does not show the requests in words:\n%s", body)
	}
}
