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
	dryRun := fs.Bool("n", false, "dry run: do the whole import, say what it did and whom it would tell, then undo it")
	confirmLate := fs.Bool("confirm-late", false, "go ahead with changes to dates inside the minimum notice window (participants are told they may cancel free of charge)")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, `Usage: plenary import [-n] [-confirm-late] FILE…

Loads course files (see docs/course-files.md) into the catalogue, matching
courses by slug and dates by ref: a re-import updates, never duplicates, and
never removes a date. Every file is checked before anything is saved; if any
file is invalid, nothing changes. The people booked on a changed date are
told in the same transaction, and places a date now has free go to its
waiting list. With -n the import runs in full and is then rolled back: it
prints what would change, whom it would tell and whether -confirm-late is
needed, and saves and sends nothing.`)
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
	a, err := openApp(ctx, e, noJobs)
	if err != nil {
		return err
	}
	defer a.close()
	ptrs := make([]*catalog.Course, len(courses))
	for i := range courses {
		ptrs[i] = &courses[i]
	}
	// One transaction for all files: a failure part-way saves none. The
	// hooks tell people and fill freed places inside it, and every change
	// is recorded as the operator's. No BasedOn: an import overwrites
	// courses by slug, whatever their version.
	opts := catalog.SaveOptions{Actor: operator(), Now: time.Now(), ConfirmLate: *confirmLate, DryRun: *dryRun}
	results, err := a.catalog.Save(ctx, ptrs, opts)
	if err != nil {
		return importError(err, *dryRun)
	}
	if *dryRun {
		fmt.Fprintln(e.stdout, "Dry run (-n): nothing was saved and nobody was told. The import would do this:")
	}
	var refused []string
	for i, res := range results {
		printSaveResult(e, fs.Arg(i), courses[i], res, *dryRun)
		for _, r := range res.Reports {
			if r.Refused != nil {
				refused = append(refused, fmt.Sprintf("%s: %s", fs.Arg(i), cleanError(r.Refused)))
			}
		}
	}
	if len(refused) > 0 {
		return fmt.Errorf("the import would be refused:\n%s\nThe people booked would be told of the change and that they may cancel free of charge.\nIf the change is right, import with -confirm-late", strings.Join(refused, "\n"))
	}
	return nil
}

// importError says why nothing was imported, in the words of the problem
// rather than the packages it passed through.
func importError(err error, dryRun bool) error {
	what := "nothing imported"
	if dryRun {
		what = "the import would be refused"
	}
	var late *booking.LateChangeError
	if errors.As(err, &late) {
		return fmt.Errorf("%s: %s.\nThe people booked will be told of the change and that they may cancel free of charge.\nIf the change is right, run the import again with -confirm-late", what, late.Message())
	}
	var v catalog.ValidationError
	if errors.As(err, &v) {
		lines := make([]string, len(v))
		for i, fe := range v {
			lines[i] = "  " + fe.Error()
		}
		return fmt.Errorf("%s:\n%s", what, strings.Join(lines, "\n"))
	}
	return fmt.Errorf("%s: %w", what, err)
}

// cleanError is an error a hook recorded in a dry run, as importError
// would say it.
func cleanError(err error) string {
	var late *booking.LateChangeError
	if errors.As(err, &late) {
		return late.Message() + " (needs -confirm-late)"
	}
	return err.Error()
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

func printSaveResult(e env, name string, c catalog.Course, res catalog.SaveResult, dryRun bool) {
	what := "unchanged"
	switch {
	case res.Created:
		what = "created"
	case res.Changed:
		what = "updated"
	}
	if dryRun && what != "unchanged" {
		what = "would be " + what
	}
	fmt.Fprintf(e.stdout, "%s: %s %s\n", printable(name), printable(c.Slug), what)
	list := func(label string, refs []string) {
		if len(refs) > 0 {
			fmt.Fprintf(e.stdout, "  %s: %s\n", label, printable(strings.Join(refs, ", ")))
		}
	}
	list("dates added", res.EventsAdded)
	for _, ch := range res.EventsChanged {
		fmt.Fprintf(e.stdout, "  date %s changed (now version %d):\n", ch.Ref, ch.Version)
		days := 0
		for _, ev := range c.Events {
			if ev.Ref == ch.Ref {
				days = len(ev.Days)
			}
		}
		for _, line := range changeLines(ch.Changes, days) {
			fmt.Fprintf(e.stdout, "    %s\n", printable(line))
		}
	}
	list("dates updated (not visible to participants)", res.EventsUpdated)
	list("dates kept (in the database, not in the file)", res.EventsKept)
	told, moved := "told", "moved up from the waiting list"
	if dryRun {
		told, moved = "would tell", "would move up from the waiting list"
	}
	for _, r := range res.Reports {
		if len(r.Told) > 0 {
			fmt.Fprintf(e.stdout, "  date %s: %s %s", r.Ref, told, byStatus(r.Told))
			if r.JoiningSent > 0 {
				fmt.Fprintf(e.stdout, "; new joining instructions to %d", r.JoiningSent)
			}
			fmt.Fprintln(e.stdout)
		}
		if r.Late {
			fmt.Fprintf(e.stdout, "  date %s: a late change, inside the minimum-notice window: the people told may cancel free of charge", r.Ref)
			if r.Refused != nil {
				fmt.Fprint(e.stdout, " (needs -confirm-late)")
			}
			fmt.Fprintln(e.stdout)
		}
		if len(r.MovedUp) > 0 {
			fmt.Fprintf(e.stdout, "  date %s: %s %s\n", r.Ref, moved, byStatus(r.MovedUp))
		}
	}
}

// changeLines writes the changes of a date of days days for the person
// importing, one line each. Joining details are private: they are said to
// have changed, never shown.
func changeLines(changes []catalog.Change, days int) []string {
	var out []string
	joining := false
	for _, ch := range changes {
		if ch.Private {
			if !joining {
				out = append(out, "joining details changed")
				joining = true
			}
			continue
		}
		label := map[catalog.Field]string{
			catalog.FieldDays: "Dates", catalog.FieldDayTimes: "Times", catalog.FieldTimeZone: "Time zone",
			catalog.FieldFormat: "Format", catalog.FieldVenueName: "Venue", catalog.FieldVenueAddress: "Venue address",
			catalog.FieldVenueDirections: "Directions", catalog.FieldMeetingProvider: "Meeting provider",
			catalog.FieldStatus: "Status", catalog.FieldAgenda: "Agenda",
		}[ch.Field]
		if label == "" {
			label = string(ch.Field)
		}
		if ch.Day > 0 && days > 1 {
			label = fmt.Sprintf("Day %d %s", ch.Day, strings.ToLower(label))
		}
		if ch.Field == catalog.FieldAgenda {
			out = append(out, label+" updated")
			continue
		}
		out = append(out, fmt.Sprintf("%s: %s → %s", label, oneLine(ch.Old), oneLine(ch.New)))
	}
	return out
}

// byStatus writes counts by booking status: "1 confirmed, 2 waitlisted".
func byStatus(counts map[string]int) string {
	var parts []string
	for _, st := range []booking.Status{booking.Confirmed, booking.PendingReview, booking.Offered, booking.Waitlisted} {
		if n := counts[string(st)]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ToLower(st.Label())))
		}
	}
	return strings.Join(parts, ", ")
}

func oneLine(s string) string {
	var parts []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	if len(parts) == 0 {
		return "(none)"
	}
	return strings.Join(parts, ", ")
}
