package site

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"plenary/internal/catalog"
)

// eventCalendar serves GET /events/{id}.ics: the calendar file of one
// date of a published course (see catalog.Calendar). It never contains
// the meeting's joining details.
func (s *Server) eventCalendar(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	idText, ok := strings.CutSuffix(file, ".ics")
	id, err := strconv.ParseInt(idText, 10, 64)
	if !ok || err != nil || id <= 0 || strconv.FormatInt(id, 10) != idText {
		s.web.NotFound(w, r)
		return
	}
	c, e, err := s.catalog.Event(r.Context(), id)
	if err == nil && c.Status != catalog.Published {
		err = catalog.ErrNotFound
	}
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	body := catalog.Calendar(c, e, catalog.CalendarOptions{
		BaseURL:   s.web.AbsoluteBase(r),
		UIDDomain: s.uidDomain,
		Now:       s.web.Now(),
		Method:    "PUBLISH",
	})
	name := c.Slug
	if len(e.Days) > 0 {
		name += "-" + e.Days[0].Date.String()
	}
	h := w.Header()
	h.Set("Content-Type", "text/calendar; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.ics"`, name))
	h.Set("Cache-Control", "no-cache")
	w.Write(body)
}
