// Command plenary runs the Plenary course catalogue and booking system:
// the web site, the admin area and the background mail, in one binary.
//
// Usage:
//
//	plenary serve [-addr HOST:PORT] [-demo]
//	plenary worker
//	plenary migrate
//	plenary import FILE…
//	plenary export [-o FILE] SLUG
//	plenary bookings -event ID [-format text|csv|json] | -approve ID | -decline ID
//	plenary attention [-offers DURATION] [-format text|json]
//	plenary messages [-due|-all] [-booking ID] [-format text|json]
//	plenary schedule -event ID
//	plenary audit [-object KIND[:ID]] [-actor KIND[:WHO]] [-action ACTION] [-since DATE] [-format text|json]
//	plenary person export EMAIL | erase [-yes] EMAIL
//	plenary user add -email E -role R [-name N] [-courses SLUG,…] [-generate] | list | passwd [-generate] E | disable E | enable E
//	plenary config
//	plenary version
//
// Configuration comes from PLENARY_* environment variables; see the README.
// Only serve and migrate create a database; serve records the site's
// address in it, and the other commands build links and calendar UIDs
// from that record.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	_ "time/tzdata" // event zones must resolve on machines without zoneinfo

	"plenary/internal/config"
	"plenary/internal/database"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv); err != nil {
		printError(os.Stderr, err)
		os.Exit(1)
	}
}

// printError prints a command's error. Errors quote input (a course
// file's line, a name), so control characters in them are escaped.
func printError(w io.Writer, err error) {
	if !errors.Is(err, errUsage) {
		fmt.Fprintln(w, "plenary:", printableText(err.Error()))
	}
}

// errUsage means the usage has been printed already; errHelp that help
// was asked for and printed.
var (
	errUsage = errors.New("usage")
	errHelp  = errors.New("help")
)

// env bundles what every subcommand gets from main.
type env struct {
	stdin          io.Reader // read only by commands that take a password
	stdout, stderr io.Writer
	getenv         func(string) string
}

type command struct {
	name, summary string
	run           func(ctx context.Context, e env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the web site", serveCmd},
		{"migrate", "apply database migrations", migrateCmd},
		{"worker", "work the job queue (mail, offer expiry) without the web site", workerCmd},
		{"import", "load course files into the catalogue", importCmd},
		{"export", "write a course as a course file", exportCmd},
		{"bookings", "list an event's bookings; settle reviews", bookingsCmd},
		{"attention", "what needs the course team: reviews waiting, offers lapsing, mail failing", attentionCmd},
		{"messages", "list e-mails: queued, due, failed or all", messagesCmd},
		{"schedule", "when a date's joining instructions go, and whether they went", scheduleCmd},
		{"audit", "who changed what: courses, dates, bookings", auditCmd},
		{"person", "a person's data on request: export it as JSON, or erase it", personCmd},
		{"lists", "import subscribers to new dates from a CSV file", listsCmd},
		{"user", "staff accounts: add, list, set a password, disable", userCmd},
		{"config", "print the effective configuration, secrets masked", configCmd},
		{"version", "print the version", versionCmd},
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	return runWithInput(ctx, args, os.Stdin, stdout, stderr, getenv)
}

// runWithInput is run with standard input given: tests pass a password
// there as a person would pipe one in.
func runWithInput(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	e := env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, e, args[1:])
			if errors.Is(err, errHelp) {
				return nil
			}
			return err
		}
	}
	fmt.Fprintf(stderr, "plenary: unknown command %q\n\n", args[0])
	usage(stderr)
	return errUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: plenary <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'plenary <command> -h' for a command's flags. Settings come from PLENARY_* environment variables.")
}

// parseFlags parses a subcommand's flags, printing errors and usage to
// stderr; -h prints the usage and is not an error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return errHelp
	case err != nil:
		return errUsage
	}
	return nil
}

// setup loads the configuration and builds the logger.
func setup(e env) (config.Config, *slog.Logger, error) {
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return cfg, nil, fmt.Errorf("configuration:\n%w", err)
	}
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var h slog.Handler = slog.NewJSONHandler(e.stderr, opts)
	if cfg.LogFormat == "text" {
		h = slog.NewTextHandler(e.stderr, opts)
	}
	return cfg, slog.New(h), nil
}

// openDB opens the configured database and checks its schema is up to
// date (migrating it only with PLENARY_AUTO_MIGRATE). Only serve (create
// true) may create a new database; the other commands refuse one that
// does not exist, saying where they looked, rather than answer from an
// empty database made on the spot.
func openDB(ctx context.Context, cfg config.Config, create bool) (*database.DB, error) {
	open := database.OpenExisting
	if create {
		open = database.Open
	}
	db, err := open(ctx, cfg.DatabaseURL)
	if errors.Is(err, database.ErrNoDatabase) {
		return nil, noDatabaseError(cfg.DatabaseURL)
	}
	if err != nil {
		return nil, err
	}
	if err := db.Prepare(ctx, cfg.AutoMigrate); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// noDatabaseError says which database a command looked at, what is wrong
// with it, and how to point the command at the right one.
func noDatabaseError(rawURL string) error {
	var where, what string
	if path, ok := database.SQLitePath(rawURL); ok {
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		where = rawURL
		what = "the file " + path + " has no Plenary tables"
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			what = "the file " + path + " does not exist"
		}
	} else {
		where, what = rawURL, "the database has no Plenary tables"
		if u, err := url.Parse(rawURL); err == nil {
			where = u.Redacted()
			if sp := u.Query().Get("search_path"); sp != "" {
				what = "schema " + sp + " has no Plenary tables"
			}
		}
	}
	return fmt.Errorf("no Plenary database at PLENARY_DATABASE_URL=%s: %s.\n"+
		"Set PLENARY_DATABASE_URL to the database `plenary serve` uses (`plenary config` on the server shows it), "+
		"or run `plenary migrate` to create a new, empty one there.", where, what)
}
