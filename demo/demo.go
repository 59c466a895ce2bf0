// Package demo holds the demo catalogue: a few invented courses in the
// course file format (see docs/course-files.md), used by `plenary serve
// -demo` and by tests.
//
// The files are text/template files. Their dates are written relative to
// the day the demo loads, so the demo always has dates to book:
//
//	{{upcoming 5 "Wednesday"}}     the Wednesday of the 5th week from today
//	{{nth 3 "Thursday" "July"}}    the third Thursday of the next July
//	{{$d := nth 2 "Monday" "March"}}{{$d.AddDays 4}}   four days later
//
// See README.md in this folder. The course file format itself has only
// absolute dates; the templates are a demo-only convenience.
package demo

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"text/template"
	"time"

	"plenary/internal/catalog"
)

//go:embed *.md
var files embed.FS

// Files returns the demo course files as templates, before their dates are
// filled in.
func Files() fs.FS { return files }

// Names lists the demo course files, in name order.
func Names() []string {
	entries, _ := fs.ReadDir(files, ".") // embedded: cannot fail
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".md") && !strings.EqualFold(e.Name(), "README.md") {
			names = append(names, e.Name())
		}
	}
	return names
}

// Render returns the demo course file name (e.g. "dit-refresher.md") with
// its dates filled in for today.
func Render(name string, today catalog.Date) ([]byte, error) {
	src, err := fs.ReadFile(files, name)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	t, err := template.New(name).Option("missingkey=error").Funcs(funcs(today)).Parse(string(src))
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, nil); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return b.Bytes(), nil
}

// Courses returns the demo courses with their dates filled in for today,
// each parsed and validated as `plenary import` would. Their events are in
// start order. Messages name the files as "demo/dit-refresher.md".
func Courses(today catalog.Date) ([]catalog.Course, error) {
	var courses []catalog.Course
	for _, name := range Names() {
		data, err := Render(name, today)
		if err != nil {
			return nil, err
		}
		c, err := catalog.ParseCourseFile(path.Join("demo", name), data)
		if err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		slices.SortStableFunc(c.Events, func(a, b catalog.Event) int { return a.StartsAt.Compare(b.StartsAt) })
		courses = append(courses, c)
	}
	return courses, nil
}

// funcs are the template functions, relative to today.
func funcs(today catalog.Date) template.FuncMap {
	return template.FuncMap{
		"upcoming": func(week int, weekday string) (catalog.Date, error) { return Upcoming(today, week, weekday) },
		"nth": func(n int, weekday, month string) (catalog.Date, error) {
			return Nth(today, n, weekday, month)
		},
	}
}

// Upcoming returns the given weekday in the week-th week after today: the
// first such weekday after today when week is 1, seven days later when it
// is 2, and so on. A date that falls in the Christmas break (20 December to
// 3 January) moves on a week at a time until it is clear of it.
func Upcoming(today catalog.Date, week int, weekday string) (catalog.Date, error) {
	wd, err := parseWeekday(weekday)
	if err != nil {
		return catalog.Date{}, err
	}
	if week < 1 || week > 52 {
		return catalog.Date{}, fmt.Errorf("demo: upcoming: week %d is not between 1 and 52", week)
	}
	ahead := (int(wd)-int(today.Weekday())+6)%7 + 1 // 1..7 days
	d := today.AddDays(ahead + 7*(week-1))
	for christmas(d) {
		d = d.AddDays(7)
	}
	return d, nil
}

// Nth returns the n-th given weekday (n from 1 to 4) of the first month
// named month whose such day comes after today: this year's if it is still
// to come, otherwise next year's.
func Nth(today catalog.Date, n int, weekday, month string) (catalog.Date, error) {
	wd, err := parseWeekday(weekday)
	if err != nil {
		return catalog.Date{}, err
	}
	m, err := parseMonth(month)
	if err != nil {
		return catalog.Date{}, err
	}
	if n < 1 || n > 4 {
		return catalog.Date{}, fmt.Errorf("demo: nth: %d is not between 1 and 4", n)
	}
	for year := today.Year; ; year++ {
		first := catalog.Date{Year: year, Month: m, Day: 1}
		d := first.AddDays((int(wd)-int(first.Weekday())+7)%7 + 7*(n-1))
		if today.Before(d) {
			return d, nil
		}
	}
}

func christmas(d catalog.Date) bool {
	return (d.Month == time.December && d.Day >= 20) || (d.Month == time.January && d.Day <= 3)
}

func parseWeekday(s string) (time.Weekday, error) {
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		if strings.EqualFold(wd.String(), s) {
			return wd, nil
		}
	}
	return 0, fmt.Errorf("demo: %q is not a weekday such as Friday", s)
}

func parseMonth(s string) (time.Month, error) {
	for m := time.January; m <= time.December; m++ {
		if strings.EqualFold(m.String(), s) {
			return m, nil
		}
	}
	return 0, fmt.Errorf("demo: %q is not a month such as July", s)
}
