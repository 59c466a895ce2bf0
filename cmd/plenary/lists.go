package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"plenary/internal/lists"
)

const listsUsage = `Usage:
  plenary lists import [-n] -mode confirm|held (-course SLUG | -topic TOPIC | -all)
                       [-source TEXT] [-date YYYY-MM-DD] FILE

Imports subscribers from a CSV file whose first line names the columns:
email, and if you like name, consent_source and consent_date. -mode confirm
sends each new address the double opt-in e-mail; -mode held records consent
you already hold, with -source and -date for every row without its own (a
row without both gets the confirmation e-mail instead). An address that
unsubscribed or was suppressed is never subscribed again; the same file
twice changes nothing. -n prints what would happen and changes nothing.
At most 5 MB and 20,000 rows; all or nothing; recorded in the audit log.`

func listsCmd(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] != "import" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintln(e.stderr, listsUsage)
			return errHelp
		}
		fmt.Fprintln(e.stderr, listsUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("lists import", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, listsUsage)
		fs.PrintDefaults()
	}
	dry := fs.Bool("n", false, "print what would happen; change nothing")
	mode := fs.String("mode", "", "confirm or held")
	slug := fs.String("course", "", "subscribe to this course's new dates (its slug)")
	topic := fs.String("topic", "", "subscribe to new courses on this topic")
	all := fs.Bool("all", false, "subscribe to all new courses")
	source := fs.String("source", "", "where the consent came from (-mode held)")
	date := fs.String("date", "", "the date of consent, YYYY-MM-DD (-mode held)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	targets := 0
	for _, set := range []bool{*slug != "", *topic != "", *all} {
		if set {
			targets++
		}
	}
	if fs.NArg() != 1 || targets != 1 {
		fs.Usage()
		return errUsage
	}
	a, err := openApp(ctx, e, noJobs)
	if err != nil {
		return err
	}
	defer a.close()
	opts := lists.ImportOptions{Mode: lists.ImportMode(*mode), Source: *source, Date: *date}
	switch {
	case *slug != "":
		c, err := a.catalog.CourseBySlug(ctx, *slug)
		if err != nil {
			return fmt.Errorf("course %q: %w", printable(*slug), err)
		}
		opts.Scope, opts.CourseID, opts.CourseTitle = lists.ScopeCourse, c.ID, c.Title
	case *topic != "":
		opts.Scope, opts.Topic = lists.ScopeTopic, *topic
	default:
		opts.Scope = lists.ScopeAll
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	imp, err := lists.ReadImport(f, opts, time.Now())
	var ferr lists.FormError
	if errors.As(err, &ferr) {
		return fmt.Errorf("%s: %s", printable(fs.Arg(0)), ferr.Error())
	}
	if err != nil {
		return err
	}
	var rep lists.ImportReport
	if *dry {
		rep, err = a.lists.PreviewImport(ctx, imp)
	} else {
		rep, err = a.lists.RunImport(ctx, operator(), imp)
	}
	if err != nil {
		return err
	}
	verb := "imported"
	if *dry {
		verb = "would import (nothing changed)"
	}
	fmt.Fprintf(e.stdout, "%s %s\n", printable(fs.Arg(0)), verb)
	fmt.Fprintf(e.stdout, "  new, sent a confirmation e-mail: %d\n", rep.New)
	fmt.Fprintf(e.stdout, "  new or waiting, confirmed on consent held: %d\n", rep.Held)
	fmt.Fprintf(e.stdout, "  without consent source or date, sent a confirmation e-mail: %d\n", rep.Unconfirmed)
	fmt.Fprintf(e.stdout, "  already waiting for confirmation, link still working: %d\n", rep.Waiting)
	fmt.Fprintf(e.stdout, "  waiting with an expired link, sent a fresh one: %d\n", rep.Resent)
	fmt.Fprintf(e.stdout, "  held back by the daily limit of confirmation e-mails (import again tomorrow): %d\n", rep.Capped)
	fmt.Fprintf(e.stdout, "  already confirmed: %d\n", rep.AlreadyConfirmed)
	fmt.Fprintf(e.stdout, "  refused (suppressed on any list, or unsubscribed): %d\n", rep.Refused)
	fmt.Fprintf(e.stdout, "  bad rows: %d\n", len(rep.Bad))
	for _, b := range rep.Bad {
		fmt.Fprintf(e.stdout, "  %s:%d: %s\n", printable(fs.Arg(0)), b.Line, b.Reason)
	}
	return nil
}
