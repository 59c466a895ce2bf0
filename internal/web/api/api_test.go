package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"plenary/internal/database/dbtest"
	"plenary/internal/web"
)

// TestHealth checks GET /api/v1/health answers JSON through the kit's
// writer: ok with a database, the table's "unavailable" without one, and
// a JSON 404 for any other API path.
func TestHealth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		db     bool
		path   string
		status int
		want   string // the status, or the error's code
	}{
		{"database answers", true, "/api/v1/health", 200, "ok"},
		{"no database", false, "/api/v1/health", 503, "unavailable"},
		{"no such endpoint", true, "/api/v1/courses", 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := web.Options{Registry: prometheus.NewRegistry()}
			if tt.db {
				opts.DB = dbtest.New(t)
			}
			kit, err := web.New(opts)
			if err != nil {
				t.Fatal(err)
			}
			w := httptest.NewRecorder()
			kit.Handler(New(kit)).ServeHTTP(w, httptest.NewRequest(http.MethodGet, tt.path, nil))
			var body struct {
				Status string
				Error  struct{ Code, Message string }
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("got %q: %v", w.Body.String(), err)
			}
			got := body.Status
			if got == "" {
				got = body.Error.Code
			}
			if w.Code != tt.status || got != tt.want || w.Header().Get("Content-Type") != "application/json" {
				t.Errorf("got %d %q (%s), want %d %q as JSON", w.Code, got, w.Header().Get("Content-Type"), tt.status, tt.want)
			}
		})
	}
}
