package certificates

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"plenary/internal/catalog"
)

// A meeting provider's participant report, as Zoom and Microsoft Teams
// export it, read into join and leave times per person.
//
// Zoom (Reports → Usage → Participants → Export) writes a CSV, sometimes
// after a block about the meeting and a blank line, with the columns
// "Name (Original Name)", "User Email", "Join Time", "Leave Time",
// "Duration (Minutes)", "Guest"…, one row per join. Teams (Attendance →
// Download) writes UTF-16 text separated by tabs in numbered sections:
// "1. Summary", "2. Participants" (First Join, Last Leave, Email…), and
// "3. In-Meeting Activities" (Name, Join Time, Leave Time, Duration,
// Email, Role), one row per join. The reader finds the header row with a
// join time, a leave time and an e-mail column, and reads the rows under
// it until a blank line or the next section; without one with per-join
// times, it falls back to a "First Join"/"Last Leave" table.

// MaxReportBytes is the largest report the reader takes.
const MaxReportBytes = 2 << 20

// maxReportRows bounds the rows read from one report.
const maxReportRows = 10000

// Report is a participant report, read.
type Report struct {
	Rows []ReportRow
}

// ReportRow is one join of one participant.
type ReportRow struct {
	Line        int // in the file, from 1
	Name, Email string
	Join, Leave time.Time
}

// ReportError lists what is wrong with a report, each with its line.
type ReportError struct {
	Problems []string
}

func (e *ReportError) Error() string {
	return "participant report: " + strings.Join(e.Problems, "; ")
}

// maxProblems bounds how many problems a ReportError lists.
const maxProblems = 20

// sectionRE is a Teams section title: "3. In-Meeting Activities".
var sectionRE = regexp.MustCompile(`^\d+\.\s`)

// ParseReport reads a participant report whose times are wall-clock
// times in loc (the zone the report was exported in) and must fall on
// day. Month and day order (03/10 or 10/03) is taken from day. A file
// that cannot be read is a *ReportError naming the lines.
func ParseReport(data []byte, loc *time.Location, day catalog.Date) (Report, error) {
	if len(data) > MaxReportBytes {
		return Report{}, &ReportError{Problems: []string{fmt.Sprintf("the file is larger than %d MB", MaxReportBytes>>20)}}
	}
	text, err := decodeText(data)
	if err != nil {
		return Report{}, &ReportError{Problems: []string{err.Error()}}
	}
	records, lines, err := readRecords(text)
	if err != nil {
		return Report{}, &ReportError{Problems: []string{err.Error()}}
	}
	h, start := findHeader(records, "join time", "leave time")
	if start < 0 {
		h, start = findHeader(records, "first join", "last leave")
	}
	if start < 0 {
		return Report{}, &ReportError{Problems: []string{`no table with columns for the e-mail address, join time and leave time was found: export the participants report from Zoom ("User Email", "Join Time", "Leave Time") or the attendance report from Teams ("Email", "Join Time", "Leave Time")`}}
	}
	var rep Report
	var problems []string
	add := func(line int, format string, args ...any) {
		if len(problems) < maxProblems {
			problems = append(problems, fmt.Sprintf("line %d: ", line)+fmt.Sprintf(format, args...))
		}
	}
	for i := start + 1; i < len(records); i++ {
		rec, line := records[i], lines[i]
		if blank(rec) || sectionRE.MatchString(strings.TrimSpace(rec[0])) && len(nonEmpty(rec)) == 1 {
			break
		}
		if len(rep.Rows) >= maxReportRows {
			add(line, "more than %d rows", maxReportRows)
			break
		}
		row := ReportRow{Line: line, Name: cell(rec, h.name), Email: strings.TrimSpace(cell(rec, h.email))}
		var ok bool
		if row.Join, ok = parseReportTime(cell(rec, h.join), loc, day, func(f string, a ...any) { add(line, "join time: "+f, a...) }); !ok {
			continue
		}
		if row.Leave, ok = parseReportTime(cell(rec, h.leave), loc, day, func(f string, a ...any) { add(line, "leave time: "+f, a...) }); !ok {
			continue
		}
		if row.Leave.Before(row.Join) {
			add(line, "the leave time is before the join time")
			continue
		}
		if row.Email == "" && row.Name == "" {
			add(line, "the row has neither a name nor an e-mail address")
			continue
		}
		rep.Rows = append(rep.Rows, row)
	}
	if len(problems) > 0 {
		return Report{}, &ReportError{Problems: problems}
	}
	if len(rep.Rows) == 0 {
		return rep, &ReportError{Problems: []string{fmt.Sprintf("line %d: the table has no rows", lines[start])}}
	}
	return rep, nil
}

// ReportText is the report as UTF-8 text (a UTF-16 Teams file decoded),
// for a page to carry between its steps; ParseReport reads it as it
// reads the file.
func ReportText(data []byte) (string, error) {
	s, err := decodeText(data)
	if err != nil {
		return "", &ReportError{Problems: []string{err.Error()}}
	}
	return s, nil
}

// decodeText turns the file into UTF-8 text: UTF-16 with a byte-order
// mark (as Teams writes it) is decoded, a UTF-8 mark dropped.
func decodeText(b []byte) (string, error) {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}), bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		le := b[0] == 0xFF
		b = b[2:]
		if len(b)%2 != 0 {
			return "", errors.New("the file is cut short (UTF-16 with an odd number of bytes)")
		}
		u := make([]uint16, len(b)/2)
		for i := range u {
			if le {
				u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
			} else {
				u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
			}
		}
		return string(utf16.Decode(u)), nil
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		b = b[3:]
	}
	if !utf8.Valid(b) {
		return "", errors.New("the file is not text (UTF-8 or UTF-16): export it again as CSV")
	}
	return string(b), nil
}

// readRecords splits the text into records, by tabs when the text has
// more tabs than commas (Teams), else by commas; each with its line.
func readRecords(text string) ([][]string, []int, error) {
	r := csv.NewReader(strings.NewReader(text))
	if strings.Count(text, "\t") > strings.Count(text, ",") {
		r.Comma = '\t'
	}
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	var recs [][]string
	var lines []int
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, nil, fmt.Errorf("line %d: %v", pe.StartLine, pe.Err)
			}
			return nil, nil, err
		}
		line, _ := r.FieldPos(0)
		recs = append(recs, rec)
		lines = append(lines, line)
	}
	// encoding/csv skips empty lines; a Zoom meeting block is separated
	// from the participants by one, which the header search does not
	// need.
	return recs, lines, nil
}

// header is where a report's columns are; -1 when absent.
type header struct{ name, email, join, leave int }

// findHeader finds the first record with columns named join and leave
// and an e-mail column, and returns it with its index (-1 when none).
func findHeader(recs [][]string, join, leave string) (header, int) {
	for i, rec := range recs {
		h := header{name: -1, email: -1, join: -1, leave: -1}
		var emails []int
		for j, f := range rec {
			switch normal(f) {
			case join:
				h.join = j
			case leave:
				h.leave = j
			case "user email", "email", "e-mail", "email address":
				emails = append(emails, j)
			case "name (original name)", "name", "full name", "user name", "participant":
				if h.name < 0 || normal(f) == "name (original name)" {
					h.name = j
				}
			}
		}
		if h.join < 0 || h.leave < 0 || len(emails) == 0 {
			continue
		}
		// Zoom's one-table export repeats "User Email" (the host's, then
		// the participant's): take the last before the join time.
		h.email = emails[0]
		for _, e := range emails {
			if e < h.join {
				h.email = e
			}
		}
		return h, i
	}
	return header{}, -1
}

func normal(s string) string {
	s = strings.TrimPrefix(s, "\uFEFF")
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

func cell(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

func blank(rec []string) bool { return len(nonEmpty(rec)) == 0 }

func nonEmpty(rec []string) []string {
	var out []string
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			out = append(out, f)
		}
	}
	return out
}

// The layouts of report times: month first (Zoom in the US, Teams),
// day first (Zoom elsewhere), and ISO.
var (
	monthFirst = []string{
		"01/02/2006 03:04:05 PM", "1/2/2006 3:04:05 PM", "01/02/2006 03:04 PM", "1/2/2006 3:04 PM",
		"1/2/06, 3:04:05 PM", "1/2/2006, 3:04:05 PM", "1/2/06, 3:04 PM", "1/2/2006, 3:04 PM",
		"01/02/2006 15:04:05", "1/2/2006 15:04:05", "01/02/2006 15:04", "1/2/2006 15:04",
	}
	dayFirst = []string{
		"02/01/2006 15:04:05", "2/1/2006 15:04:05", "02/01/2006 15:04", "2/1/2006 15:04",
		"02/01/2006, 15:04:05", "2/1/2006, 15:04:05", "2/1/06, 15:04:05", "02/01/2006 03:04:05 PM", "2/1/2006 3:04:05 PM",
	}
	iso = []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02T15:04"}
)

// parseReportTime reads a time in loc that must fall on day; it reports
// a problem through fail and returns false otherwise.
func parseReportTime(s string, loc *time.Location, day catalog.Date, fail func(string, ...any)) (time.Time, bool) {
	if s == "" {
		fail("is empty")
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		if catalog.DateOf(t.In(loc)) != day {
			fail("%q is not on %s", s, day)
			return time.Time{}, false
		}
		return t, true
	}
	parsed := false
	for _, layouts := range [][]string{iso, monthFirst, dayFirst} {
		for _, l := range layouts {
			t, err := time.ParseInLocation(l, s, loc)
			if err != nil {
				continue
			}
			parsed = true
			if catalog.DateOf(t) == day {
				return t, true
			}
		}
	}
	if parsed {
		fail("%q is not on %s: is this the report of that day?", s, day)
	} else {
		fail("%q is not a date and time the reader knows (e.g. 03/10/2026 09:58:12 AM)", s)
	}
	return time.Time{}, false
}
