package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"plenary/internal/account"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/messaging"
)

// TestErrorTable checks that one table answers errors, wrapped as the
// domain packages wrap them, with the same status as a page and as JSON,
// and that the error's own text reaches neither.
func TestErrorTable(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	s := newKit(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	wrap := func(err error) error { return fmt.Errorf("booking: create for event 7 SECRET-DETAIL: %w", err) }
	tests := []struct {
		err     error
		status  int
		code    string
		page    string // words the HTML page has
		logged  bool
		fields  bool
		reasons bool
	}{
		{wrap(catalog.ErrNotFound), 404, "not_found", "Page not found", false, false, false},
		{wrap(booking.ErrNotFound), 404, "not_found", "Page not found", false, false, false},
		{wrap(messaging.ErrNotFound), 404, "not_found", "Page not found", false, false, false},
		{wrap(booking.ErrEventFull), 409, "event_full", "This date is full", false, false, false},
		{wrap(booking.ErrEventCancelled), 410, "event_cancelled", "This date has been cancelled", false, false, false},
		{wrap(booking.ErrClosed), 410, "booking_closed", "Bookings for this date are closed", false, false, false},
		{wrap(booking.ErrEventUnavailable), 404, "event_unavailable", "This date is not open for booking", false, false, false},
		{wrap(booking.ErrOfferLapsed), 409, "offer_lapsed", "the offer of a place has lapsed", false, false, false},
		{wrap(&catalog.StaleError{Slug: "dit-refresher", BasedOn: 3, Version: 4}), 409, "stale", "Someone else changed this course", false, false, false},
		{wrap(booking.FormError{"email": "Enter an e-mail address."}), 422, "invalid", "Please check what you typed", false, true, false},
		{wrap(&booking.RefusedError{Reasons: []string{"Only for DIT practitioners."}}), 422, "refused", "We cannot take this booking", false, false, true},
		{fmt.Errorf("%w: %w", ErrBadForm, errors.New("SECRET-DETAIL")), 400, "bad_form", "This form could not be read", false, false, false},
		{&http.MaxBytesError{Limit: 1}, 413, "too_large", "This form could not be read", false, false, false},
		{fmt.Errorf("%w: SECRET-DETAIL", ErrUnavailable), 503, "unavailable", "Please try again in a minute", false, false, false},
		{wrap(&account.ThrottledError{RetryAfter: 7 * time.Second}), 429, "throttled", "Too many attempts", false, false, false},
		{wrap(account.ErrBadCredentials), 401, "bad_credentials", "Wrong e-mail address or password", false, false, false},
		{wrap(account.ErrBadCode), 401, "bad_code", "The one-time code is not right", false, false, false},
		{wrap(account.ErrBadResetToken), 410, "reset_link_expired", "This link has expired", false, false, false},
		{wrap(account.ErrWeakPassword), 422, "weak_password", "Please choose another password", false, false, false},
		{wrap(ErrForbidden), 403, "forbidden", "You cannot open this page", false, false, false},
		{errors.New("sql: SECRET-DETAIL"), 500, "internal", "Sorry, something went wrong", true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			logs.Reset()
			r := httptest.NewRequest(http.MethodPost, "/events/7/book", nil)
			w := httptest.NewRecorder()
			s.Error(w, r, tt.err)
			if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.page) {
				t.Errorf("page: got %d, want %d with %q", w.Code, tt.status, tt.page)
			}
			if strings.Contains(w.Body.String(), "SECRET-DETAIL") {
				t.Errorf("page: the error's text reached the browser")
			}
			if got := strings.Contains(logs.String(), "SECRET-DETAIL"); got != tt.logged {
				t.Errorf("logged %v, want %v", got, tt.logged)
			}

			w = httptest.NewRecorder()
			s.ErrorJSON(w, r, tt.err)
			var body jsonError
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("JSON: %v in %q", err, w.Body.String())
			}
			if w.Code != tt.status || body.Error.Code != tt.code || body.Error.Message == "" {
				t.Errorf("JSON: got %d %+v, want %d with code %q and a message", w.Code, body.Error, tt.status, tt.code)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("JSON: Content-Type %q", ct)
			}
			if strings.Contains(w.Body.String(), "SECRET-DETAIL") {
				t.Errorf("JSON: the error's text reached the client")
			}
			if (body.Error.Fields["email"] != "") != tt.fields || (len(body.Error.Reasons) > 0) != tt.reasons {
				t.Errorf("JSON: fields %v and reasons %v, want fields %v and reasons %v", body.Error.Fields, body.Error.Reasons, tt.fields, tt.reasons)
			}
		})
	}
}

// TestThrottledRetryAfter checks a throttled sign-in says when to try
// again in the Retry-After header, as a page and as JSON, and that the
// bad-credentials page does not say which of e-mail or password was wrong.
func TestThrottledRetryAfter(t *testing.T) {
	t.Parallel()
	s := newKit(t, Options{})
	err := fmt.Errorf("sign in: %w", &account.ThrottledError{RetryAfter: 2500 * time.Millisecond})
	for _, write := range []func(http.ResponseWriter, *http.Request, error){
		func(w http.ResponseWriter, r *http.Request, err error) { s.Error(w, r, err) }, s.ErrorJSON} {
		w := httptest.NewRecorder()
		write(w, httptest.NewRequest(http.MethodPost, "/admin/login", nil), err)
		if w.Code != 429 || w.Header().Get("Retry-After") != "3" {
			t.Errorf("got %d with Retry-After %q, want 429 and 3", w.Code, w.Header().Get("Retry-After"))
		}
	}
	w := httptest.NewRecorder()
	s.Error(w, httptest.NewRequest(http.MethodPost, "/admin/login", nil), account.ErrBadCredentials)
	if w.Header().Get("Retry-After") != "" || strings.Contains(w.Body.String(), "password is wrong") ||
		strings.Contains(w.Body.String(), "no account") {
		t.Errorf("bad credentials: %d %q", w.Code, w.Body.String())
	}
}

// TestErrorBack checks the way on an error page offers: the given one for
// a known problem, none for the 500.
func TestErrorBack(t *testing.T) {
	t.Parallel()
	s := newKit(t, Options{})
	back := Link{URL: "/courses/dit", Label: "See the other dates of DIT"}
	for _, tt := range []struct {
		err  error
		want bool
	}{{booking.ErrEventFull, true}, {errors.New("boom"), false}} {
		w := httptest.NewRecorder()
		s.Error(w, httptest.NewRequest(http.MethodGet, "/", nil), tt.err, back)
		if got := strings.Contains(w.Body.String(), `href="/courses/dit"`); got != tt.want {
			t.Errorf("%v: link back %v, want %v", tt.err, got, tt.want)
		}
	}
}

// TestProblemOfEveryEntry checks every entry of the table has a status,
// a code and words, and that codes are unique per status and words.
func TestProblemOfEveryEntry(t *testing.T) {
	seen := map[string]Problem{}
	for _, e := range problems {
		p := e.problem
		if p.Status < 400 || p.Code == "" || p.Heading == "" || p.Message == "" {
			t.Errorf("incomplete problem %+v", p)
		}
		if q, ok := seen[p.Code]; ok && q != p {
			t.Errorf("code %q means two things: %+v and %+v", p.Code, q, p)
		}
		seen[p.Code] = p
	}
}
