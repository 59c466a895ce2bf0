package site

import (
	"html/template"
	"sync"
	"time"

	"plenary/internal/web"
)

// renderMarkdown turns a course text's Markdown into safe HTML
// (web.Markdown, which the staff area's pages share).
func renderMarkdown(src string) template.HTML { return web.Markdown(src) }

// markdownCache keeps rendered course texts, keyed by course slug, field
// and the course's UpdatedAt, so a changed course is rendered afresh. It
// is emptied when full, which is simple and fine for a catalogue of a few
// hundred courses.
type markdownCache struct {
	mu    sync.Mutex
	max   int
	items map[markdownKey]template.HTML
}

type markdownKey struct {
	slug, field string
	updated     int64 // UnixNano of the course's UpdatedAt
}

func newMarkdownCache(max int) *markdownCache {
	return &markdownCache{max: max, items: map[markdownKey]template.HTML{}}
}

func (c *markdownCache) render(slug, field string, updated time.Time, src string) template.HTML {
	k := markdownKey{slug, field, updated.UnixNano()}
	c.mu.Lock()
	h, ok := c.items[k]
	c.mu.Unlock()
	if ok {
		return h
	}
	h = renderMarkdown(src)
	c.mu.Lock()
	if len(c.items) >= c.max {
		clear(c.items)
	}
	c.items[k] = h
	c.mu.Unlock()
	return h
}
