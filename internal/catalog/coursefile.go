package catalog

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxCourseFileSize is the largest course file ParseCourseFile reads. A real
// course file is a few kilobytes; the limit keeps a mistaken or hostile file
// from using much memory.
const MaxCourseFileSize = 1 << 20

// FileError lists every problem found in one course file, so that a
// coordinator can fix them all at once. Its Error method writes one problem
// per line, each in the form "name:line: field: message", the form editors
// and terminals recognise.
type FileError struct {
	Name     string // the file name as given to ParseCourseFile
	Problems []FileProblem
}

// FileProblem is one problem in a course file.
type FileProblem struct {
	Line    int    // 1-based line in the file; 0 when no single line is to blame
	Path    string // the field, as in FieldError (e.g. "events[0].days[1].date"); "" for the file as a whole
	Message string
}

// String writes the problem as "line: field: message", leaving out what is
// unknown.
func (p FileProblem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		b.WriteString(strconv.Itoa(p.Line))
		b.WriteString(": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Lines returns one message per problem, each starting with the file name,
// for a command to print one per line.
func (e *FileError) Lines() []string {
	out := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		if p.Line > 0 {
			out[i] = e.Name + ":" + p.String()
		} else {
			out[i] = e.Name + ": " + p.String()
		}
	}
	return out
}

// Error writes every problem, one per line. It has no "catalog:" prefix so
// that each line starts with the file name, as compilers' messages do.
func (e *FileError) Error() string { return strings.Join(e.Lines(), "\n") }

// ParseCourseFile reads a course file: YAML front matter between two "---"
// lines, then a Markdown body of "## " sections (see docs/course-files.md).
// name is used only in messages. The course returned is normalised (see
// Normalize) and has passed Validate; it has no ID, version or
// timestamps. On failure the error is a *FileError listing every problem
// with its line where one is known.
func ParseCourseFile(name string, data []byte) (Course, error) {
	p := &fileParser{
		err:   &FileError{Name: name},
		lines: map[string]int{},
	}
	c, ok := p.parse(data)
	if !ok {
		return Course{}, p.result()
	}
	c.Normalize()
	if err := c.Validate(); err != nil {
		var ve ValidationError
		if !errors.As(err, &ve) {
			return Course{}, fmt.Errorf("catalog: parse course file %s: %w", name, err)
		}
		for _, fe := range ve {
			if p.reportedAt(fe.Path) {
				continue // already explained by a more precise message
			}
			p.err.Problems = append(p.err.Problems, FileProblem{Line: p.lineOf(fe.Path), Path: fe.Path, Message: fe.Message})
		}
	}
	if len(p.err.Problems) > 0 {
		return Course{}, p.result()
	}
	return c, nil
}

// fileParser holds the state of one ParseCourseFile call.
type fileParser struct {
	err *FileError
	// lines maps each field path seen in the file to its line, so that
	// problems found later by Validate can name the line.
	lines map[string]int
}

// problem records a problem at line for path.
func (p *fileParser) problem(line int, path, format string, args ...any) {
	p.err.Problems = append(p.err.Problems, FileProblem{Line: line, Path: path, Message: fmt.Sprintf(format, args...)})
}

// result returns the error with its problems in file order.
func (p *fileParser) result() *FileError {
	slices.SortStableFunc(p.err.Problems, func(a, b FileProblem) int { return cmp.Compare(a.Line, b.Line) })
	return p.err
}

// reportedAt reports whether a problem was already recorded for path or
// for a field that contains it, so a value the parser refused is not also
// reported as missing by Validate.
func (p *fileParser) reportedAt(path string) bool {
	for _, pr := range p.err.Problems {
		if pr.Path == "" {
			continue
		}
		if path == pr.Path || strings.HasPrefix(path, pr.Path+".") || strings.HasPrefix(path, pr.Path+"[") {
			return true
		}
	}
	return false
}

// lineOf returns the line of path, or of the nearest field containing it
// ("events[0]" for a missing "events[0].ref"), or 0.
func (p *fileParser) lineOf(path string) int {
	for path != "" {
		if l, ok := p.lines[path]; ok {
			return l
		}
		path = fieldParent(path)
	}
	return 0
}

// fieldParent strips the last ".key" or "[i]" from a field path.
func fieldParent(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// parse splits the file and reads both parts. It reports whether the
// front matter could be read as YAML at all: if not, there is no course to
// validate. Problems with single values are recorded and do not stop it.
func (p *fileParser) parse(data []byte) (Course, bool) {
	var c Course
	if len(data) > MaxCourseFileSize {
		p.problem(0, "", "is larger than %d bytes (1 MiB); a course file is a few kilobytes", MaxCourseFileSize)
		return c, false
	}
	if !utf8.Valid(data) {
		p.problem(0, "", "is not UTF-8 text")
		return c, false
	}
	text := strings.TrimPrefix(string(data), "\uFEFF")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	front, body, bodyLine, ok := p.split(text)
	if !ok {
		return c, false
	}
	decoded := p.frontMatter(front, &c)
	p.body(body, bodyLine, &c)
	return c, decoded
}

// split cuts the text into front matter (which starts on line 2) and body
// (which starts on bodyLine).
func (p *fileParser) split(text string) (front, body string, bodyLine int, ok bool) {
	first, rest, _ := strings.Cut(text, "\n")
	if strings.TrimRight(first, " \t") != "---" {
		p.problem(1, "", "must start with a line of three hyphens (---), then the front matter in YAML, then another --- line")
		return "", "", 0, false
	}
	line := 2
	for off := 0; off <= len(rest); line++ {
		end := strings.IndexByte(rest[off:], '\n')
		var l string
		next := len(rest) + 1
		if end < 0 {
			l = rest[off:]
		} else {
			l = rest[off : off+end]
			next = off + end + 1
		}
		if strings.TrimRight(l, " \t") == "---" {
			if next > len(rest) {
				return rest[:off], "", line + 1, true
			}
			return rest[:off], rest[next:], line + 1, true
		}
		off = next
	}
	p.problem(1, "", "the front matter has no closing --- line")
	return "", "", 0, false
}
