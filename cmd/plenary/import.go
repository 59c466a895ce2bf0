package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"plenary/internal/booking"
	"plenary/internal/catalog"
)

// maxCourseFile bounds what import reads from one file.
const maxCourseFile = 1 << 20

func importCmd(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	dryRun := fs.Bool("n", false, "check the files and say what would change, without saving")
	confirmLate := fs.Bool("confirm-late", false, "go ahead with changes to dates inside the minimum notice window (participants are told they may cancel free of charge)")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, `Usage: plenary import [-n] FILE…

Loads course files (see docs/course-files.md) into the catalogue, matching
courses by slug and dates by ref: a re-import updates, never duplicates, and
never removes a date. Every file is checked before anything is saved; if any
file is invalid, nothing changes.`)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	courses, err := readCourseFiles(fs.Args())
	if err != nil {
		return err
	}
	if *dryRun {
		for i, c := range courses {
			fmt.Fprintf(e.stdout, "%s: %s is valid (%d date(s))\n", fs.Arg(i), c.Slug, len(c.Events))
		}
		return nil
	}
	a, err := openApp(ctx, e, noJobs)
	if err != nil {
		return err
	}
	defer a.close()
	a.confirmLate = *confirmLate
	ptrs := make([]*catalog.Course, len(courses))
	for i := range courses {
		ptrs[i] = &courses[i]
	}
	// One transaction for all files: a failure part-way saves none.
	results, err := a.catalog.SaveAll(ctx, ptrs, time.Now())
	if errors.Is(err, booking.ErrLateChange) {
		return fmt.Errorf("nothing imported: %w\nThe people booked will be told of the change and that they may cancel free of charge.\nIf the change is right, run the import again with -confirm-late", err)
	}
	if err != nil {
		return fmt.Errorf("nothing imported: %w", err)
	}
	for i, res := range results {
		printSaveResult(e, fs.Arg(i), courses[i], res)
	}
	// A date with more places than before moves people up from its
	// waiting list.
	now := time.Now()
	for _, c := range courses {
		for _, ev := range c.Events {
			if !ev.StartsAt.After(now) {
				continue // nobody moves up once a date has started
			}
			if err := a.bookings.FillPlaces(ctx, ev.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// readCourseFiles parses every file and returns all their problems
// together, so one run shows everything to fix.
func readCourseFiles(names []string) ([]catalog.Course, error) {
	var courses []catalog.Course
	var errs []error
	seen := map[string]string{}
	for _, name := range names {
		data, err := readLimited(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c, err := catalog.ParseCourseFile(name, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if other, dup := seen[c.Slug]; dup {
			errs = append(errs, fmt.Errorf("%s: slug %q is also used by %s", name, c.Slug, other))
			continue
		}
		seen[c.Slug] = name
		courses = append(courses, c)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("nothing imported:\n%w", errors.Join(errs...))
	}
	return courses, nil
}

func readLimited(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > maxCourseFile {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxCourseFile)
	}
	data := make([]byte, st.Size())
	if _, err := f.ReadAt(data, 0); err != nil && st.Size() > 0 {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return data, nil
}

func printSaveResult(e env, name string, c catalog.Course, res catalog.SaveResult) {
	what := "unchanged"
	switch {
	case res.Created:
		what = "created"
	case res.Changed:
		what = "updated"
	}
	fmt.Fprintf(e.stdout, "%s: %s %s\n", name, c.Slug, what)
	list := func(label string, refs []string) {
		if len(refs) > 0 {
			fmt.Fprintf(e.stdout, "  %s: %s\n", label, strings.Join(refs, ", "))
		}
	}
	list("dates added", res.EventsAdded)
	for _, ch := range res.EventsChanged {
		fmt.Fprintf(e.stdout, "  date %s changed (now version %d):\n", ch.Ref, ch.Version)
		for _, f := range ch.Changes {
			fmt.Fprintf(e.stdout, "    %s: %s → %s\n", f.Field, oneLine(f.Old), oneLine(f.New))
		}
	}
	list("dates updated (not visible to participants)", res.EventsUpdated)
	list("dates kept (in the database, not in the file)", res.EventsKept)
}

func oneLine(s string) string {
	if s == "" {
		return "(none)"
	}
	return strings.ReplaceAll(s, "\n", ", ")
}
