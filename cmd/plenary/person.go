package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"

	"plenary/internal/person"
)

const personUsage = `Usage:
  plenary person export EMAIL
  plenary person erase [-yes] EMAIL

What Plenary holds about a person, found by their e-mail address in any
case: export writes all of it as JSON to standard output (bookings with
their answers, notes and history, the e-mails sent to them, the audit
entries that mention them); erase erases or anonymises it, keeping what
counts, invoices and the audit log need without the person's details
(docs/privacy.md). erase shows what it will touch and asks you to type
"yes" unless -yes is given; it refuses while the person has a booking on a
date still to come. Both are recorded in the audit log.`

func personCmd(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, personUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("person "+args[0], flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, personUsage)
		fs.PrintDefaults()
	}
	var yes *bool
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(e.stderr, personUsage)
		return errHelp
	case "export":
	case "erase":
		yes = fs.Bool("yes", false, "erase without asking")
	default:
		fmt.Fprintf(e.stderr, "plenary person: unknown command %q\n\n%s\n", printable(args[0]), personUsage)
		return errUsage
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	email, err := person.Normalize(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("%q is not an e-mail address", printable(fs.Arg(0)))
	}
	a, err := openApp(ctx, e, noJobs)
	if err != nil {
		return err
	}
	defer a.close()
	if args[0] == "export" {
		exp, err := a.people.Export(ctx, email, operator())
		if err != nil {
			return err
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(exp)
	}
	preview, err := a.people.Preview(ctx, email)
	if err != nil {
		return err
	}
	if !*yes {
		fmt.Fprintf(e.stderr, "Plenary holds about %s:\n", printable(email))
		for _, c := range preview {
			fmt.Fprintf(e.stderr, "  %-10s %d\n", c.Name, c.Count)
		}
		fmt.Fprint(e.stderr, "Erase or anonymise all of it? This cannot be undone. Type yes: ")
		line, _ := bufio.NewReader(e.stdin).ReadString('\n')
		if strings.TrimSpace(line) != "yes" {
			return errors.New("nothing erased")
		}
	}
	counts, err := a.people.Erase(ctx, email, operator())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Erased or anonymised for %s:\n", printable(email))
	for _, c := range counts {
		fmt.Fprintf(e.stdout, "  %-10s %d\n", c.Name, c.Count)
	}
	return nil
}
