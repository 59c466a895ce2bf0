package api

import "plenary/internal/web"

// Routes lists every endpoint of the API.
func (s *Server) Routes() []web.Route {
	return []web.Route{
		{Pattern: "GET /api/v1/health", Handler: s.healthShow},
		{Pattern: "/api/", Handler: s.notFound},
	}
}
