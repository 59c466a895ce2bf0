package api

import (
	"net/http"

	"plenary/internal/web"
)

// Server is the JSON API. Its handlers are its methods; routes.go lists
// them.
type Server struct {
	web *web.Server
}

// New returns the API on kit.
func New(kit *web.Server) *Server { return &Server{web: kit} }

// health is the body of GET /api/v1/health.
type health struct {
	Status string `json:"status"`
}

// healthShow serves GET /api/v1/health: {"status":"ok"} when the
// database answers, the JSON error "unavailable" (503) when it does not.
func (s *Server) healthShow(w http.ResponseWriter, r *http.Request) {
	if err := s.web.Ping(r.Context()); err != nil {
		s.web.ErrorJSON(w, r, err)
		return
	}
	s.web.JSON(w, r, http.StatusOK, health{Status: "ok"})
}

// notFound answers any other path under /api/ with the JSON 404.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.web.ErrorJSON(w, r, web.ErrNotFound)
}
