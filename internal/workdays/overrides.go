package workdays

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// defaultOverrides is Plenary's own list of one-off bank holidays.
//
//go:embed overrides.txt
var defaultOverrides string

// Override years are bounded so that a typo such as 0222-09-19 is caught.
const (
	minOverrideYear = 1900
	maxOverrideYear = 2999
)

// Override is one line of an overrides file: a one-off bank holiday, or
// (Remove) a day that is a working day after all because the holiday the
// library puts there was moved.
type Override struct {
	Date    Date
	Regions []Region // never empty; "all" is spelled out as Regions()
	Name    string   // the holiday's name; optional when Remove
	Remove  bool
	Source  string // file:line, for messages
}

// String writes o as a line of an overrides file.
func (o Override) String() string {
	var b strings.Builder
	if o.Remove {
		b.WriteByte('-')
	}
	b.WriteString(o.Date.String())
	b.WriteByte(' ')
	if len(o.Regions) == len(Regions()) {
		b.WriteString("all")
	} else {
		for i, r := range o.Regions {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(string(r))
		}
	}
	if o.Name != "" {
		b.WriteByte(' ')
		b.WriteString(o.Name)
	}
	return b.String()
}

// DefaultOverrides returns the overrides embedded in Plenary
// (internal/workdays/overrides.txt).
func DefaultOverrides() []Override {
	ovs, err := ParseOverrides("overrides.txt", strings.NewReader(defaultOverrides))
	if err != nil {
		// The file is compiled in and tested; this cannot happen in a build
		// whose tests pass.
		panic(err)
	}
	return ovs
}

// ParseOverrides reads an overrides file. name is used in messages only.
// Each line is
//
//	[-]YYYY-MM-DD REGIONS NAME
//
// where REGIONS is "all" or a comma-separated list of region names, and a
// leading "-" removes the holiday on that date instead of adding one (NAME
// is then an optional note). Blank lines and lines starting with # are
// skipped. Every error names the file and line.
func ParseOverrides(name string, r io.Reader) ([]Override, error) {
	var out []Override
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		o, err := parseOverride(text)
		if err != nil {
			return nil, fmt.Errorf("workdays: %s:%d: %w", name, line, err)
		}
		o.Source = fmt.Sprintf("%s:%d", name, line)
		out = append(out, o)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("workdays: %s:%d: %w", name, line+1, err)
	}
	return out, nil
}

func parseOverride(text string) (Override, error) {
	if !utf8.ValidString(text) {
		return Override{}, fmt.Errorf("not valid UTF-8")
	}
	for _, c := range text {
		if unicode.IsControl(c) && c != '\t' {
			return Override{}, fmt.Errorf("control character %U", c)
		}
	}
	fields := strings.Fields(text)
	if len(fields) < 2 {
		return Override{}, fmt.Errorf("want \"[-]YYYY-MM-DD REGIONS NAME\", got %q", text)
	}
	var o Override
	date := fields[0]
	if rest, ok := strings.CutPrefix(date, "-"); ok {
		o.Remove = true
		date = rest
	}
	d, err := ParseDate(date)
	if err != nil {
		return Override{}, err
	}
	if d.Year < minOverrideYear || d.Year > maxOverrideYear {
		return Override{}, fmt.Errorf("year %d is outside %d-%d", d.Year, minOverrideYear, maxOverrideYear)
	}
	o.Date = d
	if o.Regions, err = parseRegions(fields[1]); err != nil {
		return Override{}, err
	}
	o.Name = strings.Join(fields[2:], " ")
	if o.Name == "" && !o.Remove {
		return Override{}, fmt.Errorf("holiday on %s has no name", d)
	}
	return o, nil
}

func parseRegions(s string) ([]Region, error) {
	if s == "all" {
		return Regions(), nil
	}
	listed := map[Region]bool{}
	for part := range strings.SplitSeq(s, ",") {
		r := Region(part)
		if !r.Valid() {
			return nil, fmt.Errorf("%q is not a region (want all, england-and-wales, scotland or northern-ireland, or a comma-separated list)", part)
		}
		if listed[r] {
			return nil, fmt.Errorf("region %s is listed twice", r)
		}
		listed[r] = true
	}
	// Keep Regions' order, so equal lists compare equal.
	var rs []Region
	for _, r := range Regions() {
		if listed[r] {
			rs = append(rs, r)
		}
	}
	return rs, nil
}
