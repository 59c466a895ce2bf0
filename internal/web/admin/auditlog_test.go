package admin

import (
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"plenary/internal/account"
	"plenary/internal/audit"
)

// record appends an audit entry at the area's clock.
func record(t *testing.T, a *staffArea, actor audit.Actor, action, object string, id int64, before, after any, reason string) {
	t.Helper()
	if err := audit.Record(ctx, a.db, a.clock.now(), actor, action, object, id, before, after, reason); err != nil {
		t.Fatal(err)
	}
}

// TestAuditPage: entries newest first with actor, action in words, the
// object linked, the reason, and only the fields that changed; filters
// by who, what, object and time; bad filters beside their fields.
func TestAuditPage(t *testing.T) {
	t.Parallel()
	a := newArea(t, nil)
	coord := a.addUser(t, "coord@example.org", account.Coordinator)
	other := a.addUser(t, "other@example.org", account.Admin)
	record(t, a, audit.StaffMember(coord.ID, "Cora Ordinator"), "booking.move", "booking", 42,
		map[string]any{"event_id": 7, "status": "confirmed", "name": "Ada", "paid": true},
		map[string]any{"event_id": 9, "status": "confirmed", "name": "Ada", "paid": true}, "asked by phone <b>")
	a.clock.add(48 * time.Hour)
	record(t, a, audit.StaffMember(other.ID, "Oscar Other"), "message.retry", "message", 5,
		map[string]any{"status": "failed"}, map[string]any{"status": "queued"}, "")
	record(t, a, audit.Job("expire-offers"), "booking.lapse", "booking", 43, nil, map[string]any{"status": "cancelled"}, "")
	record(t, a, audit.CommandLine("root"), "course.save", "course", 3, "a string", []int{1, 2}, "")
	tok := a.signIn(t, "coord@example.org", password, "")

	body := mustGet(t, a, "/admin/audit", tok)
	move := body[strings.Index(body, "<strong>Booking moved to another date</strong>"):]
	move = move[:strings.Index(move, "</li>")]
	for _, w := range []string{`<a href="/admin/bookings/42">booking 42</a>`, "Cora Ordinator (staff, user", "Reason: asked by phone &lt;b&gt;",
		"<th scope=\"row\">event id</th><td>7</td><td>9</td>"} {
		if !strings.Contains(move, w) {
			t.Errorf("the move entry lacks %q:\n%s", w, move)
		}
	}
	for _, w := range []string{"status", "name", "paid"} {
		if strings.Contains(move, `<th scope="row">`+w+`</th>`) {
			t.Errorf("the move entry shows the unchanged field %q", w)
		}
	}
	if !strings.Contains(body, `<a href="/admin/messages/5">message 5</a>`) || !strings.Contains(body, "Background job expire-offers") {
		t.Error("the message entry is not linked, or the job not named")
	}
	if !strings.Contains(body, `<th scope="row">status</th><td>—</td><td>Cancelled</td>`) {
		t.Error("a creation (no before) does not show its fields as new")
	}
	if !strings.Contains(body, `Before: <code class="audit-raw">&#34;a string&#34;</code>`) {
		t.Error("an entry that is not an object is not shown as it is")
	}
	if i, j := strings.Index(body, "<code>course.save</code>"), strings.Index(body, "<code>booking.move</code>"); i < 0 || j < 0 || i > j {
		t.Error("not newest first")
	}

	for _, tt := range []struct {
		query     string
		want, not []string
	}{
		{"?action=booking", []string{"booking.move", "booking.lapse"}, []string{"message.retry", "course.save"}},
		{"?action=booking.move", []string{"booking.move"}, []string{"booking.lapse"}},
		{"?user=" + itoa(other.ID), []string{"message.retry"}, []string{"booking.move", "booking.lapse"}},
		{"?actor=system", []string{"booking.lapse"}, []string{"booking.move"}},
		{"?object=booking&object_id=43", []string{"booking.lapse"}, []string{"booking.move"}},
		{"?to=2026-12-01", []string{"booking.move"}, []string{"booking.lapse"}},
		{"?from=2026-12-02", []string{"booking.lapse", "course.save"}, []string{"booking.move"}},
	} {
		body := mustGet(t, a, "/admin/audit"+tt.query, tok)
		for _, w := range tt.want {
			if !strings.Contains(body, "<code>"+w+"</code>") {
				t.Errorf("%s: %s missing", tt.query, w)
			}
		}
		for _, w := range tt.not {
			if strings.Contains(body, "<code>"+w+"</code>") {
				t.Errorf("%s: %s shown", tt.query, w)
			}
		}
	}
	res, body := a.get(t, "/admin/audit?object_id=x&actor=robot&from=tomorrow", tok)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="object_id-error"`) || !strings.Contains(body, `id="actor-error"`) ||
		!strings.Contains(body, `id="from-error"`) || !strings.Contains(body, `value="tomorrow"`) {
		t.Errorf("bad filters: %d", res.StatusCode)
	}
	// A coordinator limited to some courses is refused: TestRouteAccess.
}

// TestAuditCSV reads the export back with encoding/csv: the filters
// apply, times are UTC ISO 8601, and a cell that a spreadsheet would
// take for a formula is guarded.
func TestAuditCSV(t *testing.T) {
	t.Parallel()
	a := newArea(t, nil)
	coord := a.addUser(t, "coord@example.org", account.Coordinator)
	record(t, a, audit.StaffMember(coord.ID, "=cmd|' /C calc'!A0"), "booking.cancel", "booking", 42,
		map[string]any{"status": "confirmed"}, map[string]any{"status": "cancelled"}, "=HYPERLINK(\"http://evil.example\")")
	record(t, a, audit.Job("expire-offers"), "booking.lapse", "booking", 43, nil, nil, "")
	record(t, a, audit.Job("x"), "course.save", "course", 1, nil, nil, "")
	tok := a.signIn(t, "coord@example.org", password, "")

	res, body := a.get(t, "/admin/audit.csv?action=booking", tok)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment;") {
		t.Fatalf("CSV: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"))
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || strings.Join(rows[0], ",") != "at,actor,action,object,object id,reason,before,after" {
		t.Fatalf("rows %q", rows)
	}
	lapse, cancel := rows[1], rows[2]
	if lapse[2] != "booking.lapse" || lapse[4] != "43" || lapse[6] != "null" {
		t.Errorf("lapse row %q", lapse)
	}
	if cancel[0] != "2026-12-01T09:00:00Z" || cancel[3] != "booking" || cancel[4] != "42" || cancel[7] != `{"status":"cancelled"}` {
		t.Errorf("cancel row %q", cancel)
	}
	if cancel[5] != `'=HYPERLINK("http://evil.example")` || !strings.HasPrefix(cancel[1], "staff ") {
		t.Errorf("formula cells not guarded: reason %q, actor %q", cancel[5], cancel[1])
	}
	if res, _ := a.get(t, "/admin/audit.csv?object_id=x", tok); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("CSV with a bad filter: %d, want 422", res.StatusCode)
	}
}
