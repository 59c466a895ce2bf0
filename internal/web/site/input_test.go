package site

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode"
)

// TestBookingFormHostileInput posts hostile and impossible values through
// the booking form: each is a 422 with the message beside its field, the
// other fields kept, and nothing stored — on whichever engine dbtest gives
// (a NUL was stored by SQLite and a 500 on PostgreSQL).
func TestBookingFormHostileInput(t *testing.T) {
	t.Parallel()
	ts := newBookingSite(t)
	june := ts.event(t, "dit-refresher", "june")
	path := fmt.Sprintf("/events/%d/book", june)
	tests := []struct {
		name, field, value, msg string
	}{
		{"NUL in the name", "name", "Ann\x00", "control character"},
		{"escape sequence in the organisation", "organisation", "\x1b[2J\x1b[31mClinic", "control character"},
		{"direction override in the role", "role", "Nurse \u202egnp.exe", "invisible character"},
		{"name of Hangul fillers", "name", "\u3164\u3164", "at least one letter"},
		{"NUL in access needs", "access_needs", "Captions\x00", "control character"},
		{"NUL in a date", "answer_training_completed", "2021-09-30\x00", "control character"},
		{"year 9999", "answer_training_completed", "9999-12-31", "after the course ends"},
		{"before 1900", "answer_training_completed", "1850-01-01", "from 1 January 1900"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := ts.post(t, path, with(ditForm("Ann Able", "ann@example.org"), tt.field, tt.value), sameOrigin)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("got status %d, want 422", res.StatusCode)
			}
			i := strings.Index(body, `id="`+tt.field+`-error"`)
			if i < 0 || !strings.Contains(body[i:min(len(body), i+400)], tt.msg) {
				t.Fatalf("no %q beside %s", tt.msg, tt.field)
			}
			if tt.field != "email" && !strings.Contains(body, `value="ann@example.org"`) {
				t.Error("the e-mail address typed is not kept")
			}
		})
	}
	if n := ts.count(t, `SELECT COUNT(*) FROM bookings`); n != 0 {
		t.Fatalf("hostile forms stored %d bookings, want none", n)
	}

	// A display name no address header carries as it is books, and is
	// shown as typed (escaped).
	name := `Zoë "Z" O'Neil, MSc <test>`
	manage := ts.book(t, june, ditForm(name, "zoe@example.org"))
	res, body := ts.get(t, manage)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Zoë &#34;Z&#34; O&#39;Neil, MSc &lt;test&gt;") {
		t.Fatalf("manage page for %q: status %d", name, res.StatusCode)
	}
	var stored string
	if err := ts.db.QueryRowContext(context.Background(), `SELECT name FROM bookings`).Scan(&stored); err != nil || stored != name {
		t.Fatalf("stored name %q (%v), want %q", stored, err, name)
	}
}

// FuzzBookingFormText posts arbitrary text in the free-text fields: the
// answer is never a 500, and whatever is stored holds no control or
// invisible formatting character (beyond the line breaks and tabs that
// access needs may have).
func FuzzBookingFormText(f *testing.F) {
	ts := newBookingSite(f)
	june := ts.event(f, "dit-refresher", "june")
	path := fmt.Sprintf("/events/%d/book", june)
	f.Add("Ann Able", "North Clinic", "Captions, please.", "2021-09-30")
	f.Add("Ann\x00", "\x1b[2J", "a\x00b", "2021-09-30\x00")
	f.Add("\u3164", "\u202eClinic", "line\r\nline\tend\rx", "9999-12-31")
	f.Add(`Zoë "Z" O'Neil, MSc <test>`, "\u200b", "\u2028", "0001-01-01")
	f.Add("\u009b2J", "Clinic\u2066", "\xff\xfe", "1900-01-01")
	n := 0
	f.Fuzz(func(t *testing.T, name, org, needs, date string) {
		n++
		form := with(ditForm(name, fmt.Sprintf("p%d@example.org", n)), "organisation", org, "access_needs", needs,
			"answer_training_completed", date)
		res, body := ts.post(t, path, form, sameOrigin)
		if res.StatusCode >= 500 {
			t.Fatalf("got status %d for %q:\n%s", res.StatusCode, form.Encode(), body)
		}
		rows, err := ts.db.QueryContext(context.Background(), `SELECT b.name, b.organisation, b.access_needs, COALESCE(a.answer, '')
			FROM bookings b LEFT JOIN booking_answers a ON a.booking_id = b.id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var fields [4]string
			if err := rows.Scan(&fields[0], &fields[1], &fields[2], &fields[3]); err != nil {
				t.Fatal(err)
			}
			for i, s := range fields {
				for _, r := range s {
					if (unicode.IsControl(r) && !(i == 2 && (r == '\n' || r == '\t'))) || unicode.Is(unicode.Cf, r) && r != '\u200c' && r != '\u200d' {
						t.Fatalf("stored %q with %U from %q", s, r, url.Values(form).Encode())
					}
				}
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	})
}
