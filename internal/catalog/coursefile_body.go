package catalog

import (
	"regexp"
	"strings"
)

// bodySection maps a "## " heading of the body to a course field. The
// order is the order FormatCourseFile writes them.
type bodySection struct {
	Heading string // as written by FormatCourseFile
	Path    string // the field's name in FieldError paths
	field   func(c *Course) *string
}

var bodySections = []bodySection{
	{"About", "about", func(c *Course) *string { return &c.About }},
	{"Who it is for", "audience", func(c *Course) *string { return &c.Audience }},
	{"Aims", "aims", func(c *Course) *string { return &c.Aims }},
	{"Prerequisites", "prerequisites", func(c *Course) *string { return &c.Prerequisites }},
	{"How it runs", "delivery", func(c *Course) *string { return &c.Delivery }},
	{"Cancellation terms", "cancellation_terms", func(c *Course) *string { return &c.CancellationTerms }},
}

var (
	// atxHeadingRE matches a CommonMark ATX heading of level 1 or 2 (up to
	// three spaces of indent, then # or ##, then a space or the line's
	// end). Level 3 and deeper belong to the section they are in.
	atxHeadingRE = regexp.MustCompile(`^ {0,3}(#{1,2})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	// mdFenceRE matches the opening or closing line of a fenced code block,
	// inside which a "## " line is code, not a heading.
	mdFenceRE = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})(.*)$")
)

// sectionNames lists the headings for messages.
func sectionNames() string {
	names := make([]string, len(bodySections))
	for i, s := range bodySections {
		names[i] = s.Heading
	}
	return strings.Join(names, ", ")
}

// markdownLines walks the body's lines, telling fn for each whether it is
// inside a fenced code block. It returns the line (index) of a fence left
// open at the end, or -1.
func markdownLines(lines []string, fn func(i int, line string, inFence bool)) int {
	fence, fenceAt := "", -1
	for i, l := range lines {
		m := mdFenceRE.FindStringSubmatch(l)
		switch {
		case fence == "" && m != nil:
			fence, fenceAt = m[1], i
			fn(i, l, true)
		case fence != "":
			if m != nil && m[1][0] == fence[0] && len(m[1]) >= len(fence) && strings.TrimSpace(m[2]) == "" {
				fence, fenceAt = "", -1
			}
			fn(i, l, true)
		default:
			fn(i, l, false)
		}
	}
	return fenceAt
}

// body reads the Markdown sections after the front matter; firstLine is
// the file line of the body's first line.
func (p *fileParser) body(body string, firstLine int, c *Course) {
	lines := strings.Split(body, "\n")
	var (
		cur     *bodySection
		start   int
		seen    = map[string]int{}
		heading bool // a ## heading has been seen
		stray   bool // text before the first heading was reported
	)
	flush := func(end int) {
		if cur == nil {
			return
		}
		*cur.field(c) = strings.TrimSpace(strings.Join(lines[start:end], "\n"))
		// Name the line of a character the text rules refuse, rather than
		// leaving Validate to name the section's heading.
		for i := start; i < end; i++ {
			if msg := textProblem(lines[i], true); msg != "" {
				p.problem(firstLine+i, cur.Path, "%s", msg)
				return
			}
		}
	}
	open := markdownLines(lines, func(i int, l string, inFence bool) {
		fileLine := firstLine + i
		m := atxHeadingRE.FindStringSubmatch(l)
		if inFence || m == nil {
			if !heading && !stray && strings.TrimSpace(l) != "" {
				p.problem(fileLine, "", "text before the first section; start the body with a heading such as ## About (sections are %s)", sectionNames())
				stray = true
			}
			return
		}
		if len(m[1]) == 1 {
			p.problem(fileLine, "", "use ## for section headings; the course title belongs in the front matter")
			stray = true
			return
		}
		flush(i)
		cur, start, heading = nil, i+1, true
		name := strings.TrimSpace(m[2])
		for k := range bodySections {
			if strings.EqualFold(name, bodySections[k].Heading) {
				cur = &bodySections[k]
			}
		}
		if cur == nil {
			p.problem(fileLine, "", "unknown section %q; the sections are %s", "## "+name, sectionNames())
			return
		}
		if first, dup := seen[cur.Path]; dup {
			p.problem(fileLine, cur.Path, "the section ## %s appears twice (first on line %d)", cur.Heading, first)
			cur = nil
			return
		}
		seen[cur.Path] = fileLine
		p.lines[cur.Path] = fileLine
	})
	flush(len(lines))
	if open >= 0 {
		p.problem(firstLine+open, "", "a code block opened here (``` or ~~~) is never closed")
	}
}

// SectionText returns a course text as a course file carries it under its
// section's heading: trimmed, a level-1 or level-2 heading inside it as
// level 3, and a code block left open closed. The admin editor stores
// texts in this form, so that export then import gives them back
// unchanged.
func SectionText(text string) string {
	text = strings.TrimSpace(text)
	if text == "" {
		return ""
	}
	return safeSectionText(text)
}

// safeSectionText makes a section's text safe to write under its heading: a
// level-1 or level-2 heading inside it (possible in text entered on the
// web) becomes level 3, and a code block left open is closed, so that the
// file reads back with the same sections. Text read from a file is never
// changed by this.
func safeSectionText(text string) string {
	lines := strings.Split(text, "\n")
	open := markdownLines(lines, func(i int, l string, inFence bool) {
		if m := atxHeadingRE.FindStringSubmatch(l); m != nil && !inFence {
			lines[i] = strings.TrimRight("### "+strings.TrimSpace(strings.TrimLeft(l, " #")), " ")
		}
	})
	if open >= 0 {
		m := mdFenceRE.FindStringSubmatch(lines[open])
		lines = append(lines, m[1])
	}
	return strings.Join(lines, "\n")
}
