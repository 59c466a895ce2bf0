package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/catalog"
)

const userUsage = `Usage:
  plenary user add -email E -role R [-name N] [-courses SLUG,…] [-generate]
  plenary user list [-format text|json]
  plenary user passwd [-generate] E
  plenary user disable E
  plenary user enable E
  plenary user codes-off E

Manages the course team's accounts for the staff area (/admin). The roles
are admin, coordinator, finance and trainer (docs/admin.md shows what each
may do); -courses limits a role to those courses.

A password is read from standard input (one line: echo or a password
manager's pipe), or, when standard input is a terminal or -generate is
given, made up and printed once. A new password signs the user out
everywhere; disable also stops them signing in, keeping their history.
codes-off turns one-time codes off for someone who lost their phone: they
sign in with their password and set codes up again.`

func userCmd(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, userUsage)
		return errUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(e.stderr, userUsage)
		return errHelp
	case "add":
		return userAdd(ctx, e, args[1:])
	case "list":
		return userList(ctx, e, args[1:])
	case "passwd":
		return userPasswd(ctx, e, args[1:])
	case "disable", "enable":
		return userDisable(ctx, e, args[0], args[1:])
	case "codes-off":
		return userCodesOff(ctx, e, args[1:])
	}
	fmt.Fprintf(e.stderr, "plenary user: unknown command %q\n\n%s\n", printable(args[0]), userUsage)
	return errUsage
}

func userFlags(e env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("user "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, userUsage)
		fs.PrintDefaults()
	}
	return fs
}

func userAdd(ctx context.Context, e env, args []string) error {
	fs := userFlags(e, "add")
	email := fs.String("email", "", "the user's e-mail `address`, which they sign in with")
	role := fs.String("role", "", "`ROLE`: admin, coordinator, finance or trainer")
	name := fs.String("name", "", "the user's `name`, as the audit log and pages show it")
	courses := fs.String("courses", "", "limit the role to these courses: comma-separated `SLUGS`")
	generate := fs.Bool("generate", false, "make up a password and print it, instead of reading one from standard input")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *email == "" || *role == "" {
		fs.Usage()
		return errUsage
	}
	r, err := account.ParseRole(*role)
	if err != nil {
		return fmt.Errorf("-role: %w", err)
	}
	a, err := openApp(ctx, e, noJobs)
	if err != nil {
		return err
	}
	defer a.close()
	p := account.Profile{Email: *email, Name: *name, Role: r}
	if *courses != "" {
		p.CourseLimited = true
		if p.Courses, err = courseIDs(ctx, a.catalog, *courses); err != nil {
			return err
		}
	}
	if _, err := a.accounts.UserByEmail(ctx, *email); err == nil {
		return fmt.Errorf("%s: %w", printable(*email), account.ErrEmailTaken)
	}
	pw, shown, err := newPassword(e, *generate)
	if err != nil {
		return err
	}
	u, err := a.accounts.AddUser(ctx, operator(), p, pw, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Added %s (%s, user %d).\n", printable(u.Email), u.Role, u.ID)
	if shown {
		fmt.Fprintf(e.stdout, "Password (shown once): %s\n", pw)
	}
	return nil
}

func userList(ctx context.Context, e env, args []string) error {
	fs := userFlags(e, "list")
	format := fs.String("format", "text", "output `format`: text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if *format != "text" && *format != "json" {
		return fmt.Errorf("-format must be text or json, not %q", *format)
	}
	a, err := openApp(ctx, e, noJobs)
	if err != nil {
		return err
	}
	defer a.close()
	users, err := a.accounts.Users(ctx)
	if err != nil {
		return err
	}
	slugs, err := a.catalog.CourseSlugs(ctx)
	if err != nil {
		return err
	}
	named := func(u account.User) []string {
		out := make([]string, 0, len(u.Courses))
		for _, id := range u.Courses {
			out = append(out, slugs[id])
		}
		slices.Sort(out)
		return out
	}
	loc := a.cfg.TimeZone
	if *format == "json" {
		type userJSON struct {
			ID       int64        `json:"id"`
			Email    string       `json:"email"`
			Name     string       `json:"name"`
			Role     account.Role `json:"role"`
			Courses  []string     `json:"courses,omitempty"` // only for a role limited to courses
			Limited  bool         `json:"course_limited"`
			Disabled bool         `json:"disabled"`
			TOTP     bool         `json:"totp"`
			Created  string       `json:"created"`
		}
		out := make([]userJSON, len(users))
		for i, u := range users {
			out[i] = userJSON{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, Courses: named(u), Limited: u.CourseLimited,
				Disabled: u.Disabled, TOTP: u.TOTP, Created: u.CreatedAt.In(loc).Format(time.RFC3339)}
		}
		return writeJSON(e.stdout, out)
	}
	if len(users) == 0 {
		fmt.Fprintln(e.stdout, "(no users: add one with `plenary user add -email E -role admin`)")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tE-MAIL\tNAME\tROLE\tCOURSES\tCODES\tSTATUS\tADDED")
	for _, u := range users {
		cs := "all"
		if u.CourseLimited {
			cs = strings.Join(named(u), ",")
			if cs == "" {
				cs = "none"
			}
		}
		status := "active"
		if u.Disabled {
			status = "disabled"
		}
		codes := "off"
		if u.TOTP {
			codes = "on"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, printable(u.Email), printable(u.Name), u.Role,
			printable(cs), codes, status, timeIn(u.CreatedAt, loc))
	}
	return tw.Flush()
}

func userPasswd(ctx context.Context, e env, args []string) error {
	fs := userFlags(e, "passwd")
	generate := fs.Bool("generate", false, "make up a password and print it, instead of reading one from standard input")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	a, u, err := openUser(ctx, e, fs)
	if err != nil {
		return err
	}
	defer a.close()
	pw, shown, err := newPassword(e, *generate)
	if err != nil {
		return err
	}
	if err := a.accounts.SetPassword(ctx, operator(), u.ID, pw, time.Now()); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Set a new password for %s; they are signed out everywhere.\n", printable(u.Email))
	if shown {
		fmt.Fprintf(e.stdout, "Password (shown once): %s\n", pw)
	}
	return nil
}

func userDisable(ctx context.Context, e env, verb string, args []string) error {
	fs := userFlags(e, verb)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	a, u, err := openUser(ctx, e, fs)
	if err != nil {
		return err
	}
	defer a.close()
	if verb == "enable" {
		if err := a.accounts.Enable(ctx, operator(), u.ID, time.Now()); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Enabled %s: they can sign in again.\n", printable(u.Email))
		return nil
	}
	if err := a.accounts.Disable(ctx, operator(), u.ID, time.Now()); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Disabled %s: they cannot sign in, and their sessions have ended. Their history stays.\n", printable(u.Email))
	return nil
}

// userCodesOff turns a user's one-time codes off (a lost phone) and
// signs them out everywhere, so that a session opened with the lost
// phone's help ends too.
func userCodesOff(ctx context.Context, e env, args []string) error {
	fs := userFlags(e, "codes-off")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	a, u, err := openUser(ctx, e, fs)
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.accounts.DisableTOTP(ctx, operator(), u.ID, time.Now()); err != nil {
		return err
	}
	msg := "Turned one-time codes off for %s and signed them out everywhere: they sign in with their password and can set codes up again.\n"
	if a.accounts.RequiresTOTP(u.Role) {
		msg = "Turned one-time codes off for %s and signed them out everywhere: their role must use codes, so after signing in with their password they can only set them up again.\n"
	}
	fmt.Fprintf(e.stdout, msg, printable(u.Email))
	return nil
}

// courseIDs turns -courses' slugs into course IDs.
func courseIDs(ctx context.Context, store *catalog.Store, list string) ([]int64, error) {
	var ids []int64
	for _, slug := range strings.Split(list, ",") {
		slug = strings.TrimSpace(slug)
		if slug == "" {
			continue
		}
		c, err := store.CourseBySlug(ctx, slug)
		if errors.Is(err, catalog.ErrNotFound) {
			return nil, fmt.Errorf("-courses: no course %q (`plenary export` names courses by slug)", printable(slug))
		}
		if err != nil {
			return nil, err
		}
		if !slices.Contains(ids, c.ID) {
			ids = append(ids, c.ID)
		}
	}
	return ids, nil
}

// newPassword returns the password for a user: read from standard input
// (its first line), or made up — with -generate, or when standard input
// is a terminal, where a typed password would show on the screen. shown
// reports that it was made up, and must be printed once.
func newPassword(e env, generate bool) (pw string, shown bool, err error) {
	if generate || isTerminal(e.stdin) {
		return generatePassword(), true, nil
	}
	line, err := bufio.NewReader(io.LimitReader(e.stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, fmt.Errorf("reading the password from standard input: %w", err)
	}
	pw = strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", false, errors.New("no password on standard input: pipe one in (one line), or give -generate to have one made up")
	}
	return pw, false, nil
}

// generatePassword makes up a password of 26 base32 characters: 130
// random bits.
func generatePassword() string { return rand.Text() }

// isTerminal reports whether r is a terminal (a character device).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// firstAdmin gives a demo site its first admin, when it has no users at
// all: admin@ the base URL's host, with a made-up password printed once
// on stderr with where to sign in.
func firstAdmin(ctx context.Context, e env, a *app) error {
	n, err := a.accounts.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	host := "localhost"
	if u, err := url.Parse(a.cfg.BaseURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	pw := generatePassword()
	u, err := a.accounts.AddUser(ctx, audit.Job("demo"), account.Profile{Email: "admin@" + host, Name: "Demo admin", Role: account.Admin},
		pw, time.Now())
	if err != nil {
		return fmt.Errorf("demo: first admin: %w", err)
	}
	fmt.Fprintf(e.stderr, "\nplenary: made the first admin for the demo. Sign in at %s/admin/login with\n"+
		"  e-mail:   %s\n  password: %s\n"+
		"The password is shown only now; set another with `plenary user passwd %s`.\n\n",
		a.cfg.BaseURL, u.Email, pw, u.Email)
	return nil
}

// openUser opens the app for a command that names one user by e-mail
// (its only argument) and finds them; the caller closes the app.
func openUser(ctx context.Context, e env, fs *flag.FlagSet) (*app, account.User, error) {
	if fs.NArg() != 1 {
		fs.Usage()
		return nil, account.User{}, errUsage
	}
	a, err := openApp(ctx, e, noJobs)
	if err != nil {
		return nil, account.User{}, err
	}
	u, err := a.accounts.UserByEmail(ctx, fs.Arg(0))
	if err != nil {
		a.close()
		return nil, account.User{}, fmt.Errorf("%s: %w", printable(fs.Arg(0)), err)
	}
	return a, u, nil
}
