package web

import "net/http"

// systemCheckPage helps people check their camera, microphone and
// speakers before an online course.
type systemCheckPage struct {
	base
	ProviderName string
	ProviderTest string // the meeting provider's own test page
}

// systemCheck serves GET /system-check.
func (s *Server) systemCheck(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "system_check", systemCheckPage{
		base:         s.base(r),
		ProviderName: "Zoom",
		ProviderTest: "https://zoom.us/test",
	})
}
