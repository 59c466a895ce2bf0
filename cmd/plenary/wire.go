package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"plenary/internal/analytics"
	"time"

	"github.com/riverqueue/river"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/certificates"
	"plenary/internal/config"
	"plenary/internal/database"
	"plenary/internal/lists"
	"plenary/internal/messaging"
	"plenary/internal/person"
	"plenary/internal/workdays"
)

// app is Plenary's services wired together: the one place that knows how
// the packages fit.
type app struct {
	cfg      config.Config
	log      *slog.Logger
	db       *database.DB
	catalog  *catalog.Store
	outbox   *messaging.Outbox
	bookings *booking.Service
	accounts *account.Service
	lists    *lists.Service
	// register takes registers, knows trainers' dates and who completed.
	register *certificates.Register
	// views counts page views of visitors who accepted analytics cookies
	// (flushed by serve's loop, startViews); pageViews reads them.
	views     *analytics.Counter
	pageViews *analytics.Report
	// people answers a person's request for their data: every package
	// that holds something about people registers its part here.
	people *person.Registry
	// certificates issues, sends and verifies CPD certificates.
	certificates *certificates.Issuer
	// smtp is the SMTP mailer when one is configured: startJobs's stop
	// ends its kept connections after the runner has stopped.
	smtp *messaging.SMTPMailer
	// runner works the job queue (sending mail, offer expiry); nil unless
	// asked for. Start it with startJobs.
	runner *river.Client[*sql.Tx]
	// uidDomain names calendar UIDs, from the site identity recorded in
	// the database (empty before serve first records it: the base URL's
	// host).
	uidDomain string
}

// newApp builds the services on db. withRunner also builds the client
// that works jobs in this process (serve with PLENARY_JOBS=on, worker);
// without it jobs are only inserted, for another process to work.
//
// Links in e-mails and calendar UIDs come from the site identity recorded
// in the database (see database.Site), not from cfg: every process and
// command that shares the database builds the same ones. Until serve has
// recorded one, cfg.BaseURL is used.
func newApp(cfg config.Config, db *database.DB, logger *slog.Logger, withRunner bool) (*app, error) {
	site, err := db.Site(context.Background())
	switch {
	case err == nil:
		cfg = cfg.WithBaseURL(site.BaseURL)
	case !errors.Is(err, database.ErrNoSite):
		return nil, err
	}
	// The outbox inserts send jobs in the callers' transactions through an
	// insert-only client; the workers hold the outbox, so they run on a
	// second client.
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{Logger: logger})
	if err != nil {
		return nil, err
	}
	// The settings arrive parsed (config.Load); each package takes them
	// with the meaning the setting documents, 0 included.
	cal, err := workdays.New(cfg.Region, cfg.Holidays)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: logger, db: db, uidDomain: site.UIDDomain, pageViews: analytics.NewReport(db)}
	if a.views, err = analytics.New(db, nil); err != nil {
		return nil, err
	}
	// The booking e-mails are parsed once, here; a broken one stops the
	// start. The outbox renders them when they are sent or read, never
	// under a date's booking lock.
	mail, err := booking.NewMail()
	if err != nil {
		return nil, err
	}
	// Every save of a date, whoever makes it, tells the people booked on it
	// of a participant-visible change and fills the places it freed, in
	// the save's own transaction; the save's options (who, -confirm-late,
	// -n) travel with it. The hook is fixed when the store is made; it
	// calls the booking service made just below, before any save.
	a.catalog = catalog.NewStore(db, catalog.Hooks{
		EventSaved: func(ctx context.Context, tx *sql.Tx, ev catalog.EventSave) error {
			return a.bookings.EventSaved(ctx, tx, ev)
		},
	})
	listMail, err := lists.NewMail()
	if err != nil {
		return nil, err
	}
	renderers := messaging.Renderers{Default: mail, ByKind: map[string]messaging.Renderer{}}
	for _, k := range lists.MailKinds {
		renderers.ByKind[k] = listMail
	}
	certMail, err := certificates.NewMail()
	if err != nil {
		return nil, err
	}
	for _, k := range certificates.MailKinds {
		renderers.ByKind[k] = certMail
	}
	from, replyTo := cfg.MailFrom.String(), cfg.ReplyTo().String()
	a.outbox = messaging.NewOutbox(db, inserter, messaging.OutboxOptions{From: from, ReplyTo: replyTo, Renderer: renderers})
	// Lists: PLENARY_LIST_SECRET signs unsubscribe links (serve -demo
	// keeps a key in the database instead); a List-Unsubscribe mailto:
	// goes to the course team's Reply-To address.
	// PLENARY_LIST_UNCONFIRMED_DAYS: how long a request never confirmed is kept.
	days := func(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }
	// New dates are announced after PLENARY_LIST_ANNOUNCE_GRACE; places
	// left come from booking through listPlaces (lists never imports it).
	a.lists = lists.NewService(lists.Options{DB: db, Outbox: a.outbox, BaseURL: cfg.BaseURL,
		Secret: []byte(cfg.ListSecret), UnsubscribeMailbox: cfg.ReplyTo().Addr,
		Catalog: a.catalog, Places: listPlaces(a), Grace: cfg.ListAnnounceGrace,
		ForgetAfter: days(cfg.ListUnconfirmedDays)})
	// Staff accounts: sessions last PLENARY_SESSION_IDLE_TIMEOUT unused and
	// PLENARY_SESSION_MAX_AGE at most; PLENARY_TOTP_REQUIRED_ROLES must use
	// one-time codes, which authenticator apps list under the site's name.
	a.accounts = account.New(account.Options{
		DB: db, IdleTimeout: cfg.SessionIdleTimeout, MaxAge: cfg.SessionMaxAge,
		RequireTOTP: cfg.TOTPRequiredRoles, Issuer: cfg.SiteName,
	})
	// The staff who may approve a booking are e-mailed when it starts to
	// wait for review (with PLENARY_STAFF_EMAIL), and PLENARY_ATTENTION_DIGEST_AT
	// sets the daily digest's time (unset: none).
	var digestAt catalog.Clock
	if cfg.AttentionDigestAt != nil {
		digestAt = catalog.Clock{Minutes: cfg.AttentionDigestAt.Minutes, Valid: true}
	}
	// CPD certificates print PLENARY_PROVIDER_NAME and link to
	// {base}/verify/{code}. Who completed a date is the register's
	// answer (registerCompletions: the register reads bookings, and
	// booking's thank-you asks the issuer, so the register is built after
	// booking and found at call time).
	a.certificates = certificates.NewIssuer(certificates.IssuerOptions{DB: db, Events: a.catalog, Outbox: a.outbox,
		BaseURL: cfg.BaseURL, Provider: cfg.ProviderName, Completions: registerCompletions{a}})
	a.bookings = booking.NewService(booking.Options{
		DB: db, Catalog: a.catalog, Outbox: a.outbox, BaseURL: cfg.BaseURL, UIDDomain: a.uidDomain,
		Organizer: from, Workdays: cal, JoiningTime: catalog.Clock{Minutes: cfg.JoiningTime.Minutes, Valid: true},
		MinNoticeWorkingDays: cfg.MinNoticeWorkingDays,
		StaffEmail:           config.Strings(cfg.StaffEmail),
		Staff:                a.accounts,
		DigestAt:             digestAt,
		// The thank-you after a date: with the certificate to those the
		// register says completed, another message to the others.
		Thanks: a.certificates,
	})
	a.register = certificates.New(certificates.Options{DB: db, Bookings: a.bookings, Accounts: a.accounts})
	// A person's data, export and erasure: each holder in turn, the audit
	// log last (it redacts what the others recorded). Another package
	// that holds people's data registers here, before "audit".
	a.people = person.New(db, nil)
	a.people.Register("bookings", booking.People{})
	a.people.Register("messages", messaging.People{})
	a.people.Register("lists", lists.People{})
	a.people.Register("register", certificates.RegisterMarks{})
	a.people.Register("certificates", certificates.People{})
	a.people.Register("audit", audit.People{})
	if !withRunner {
		return a, nil
	}
	var mailer messaging.Mailer = messaging.DevMailbox{}
	if cfg.SMTPURL == "" && logger != nil {
		// Not an error (the demo and development need it), but on a real
		// install it means no participant gets any e-mail: say so loudly.
		logger.Warn("PLENARY_SMTP_URL is not set: e-mails are kept in the database and not sent to anyone")
	}
	if cfg.SMTPURL != "" {
		if a.smtp, err = messaging.NewSMTPMailer(cfg.SMTPURL, from, replyTo); err != nil {
			return nil, err
		}
		mailer = a.smtp
	}
	workers := river.NewWorkers()
	// PLENARY_MAIL_RESCUE_AFTER: how soon a send left running by a dead
	// process goes again; the send worker's timeouts are cut from it.
	messaging.AddWorkers(workers, a.outbox, mailer, messaging.SendOptions{RescueAfter: cfg.MailRescueAfter})
	// Retention of each kind of data (docs/privacy.md, and the privacy
	// page from the same settings): access needs after
	// PLENARY_ACCESS_NEEDS_RETENTION_DAYS, unconfirmed subscriptions after
	// PLENARY_LIST_UNCONFIRMED_DAYS, e-mail bodies after
	// PLENARY_MESSAGE_BODY_RETENTION_DAYS and page-view counts after
	// PLENARY_PAGE_VIEW_RETENTION_DAYS (0 keeps those two).
	periodic := booking.AddWorkers(workers, a.bookings, days(cfg.AccessNeedsRetentionDays))
	periodic = append(periodic, lists.AddWorkers(workers, a.lists)...)
	periodic = append(periodic, messaging.AddRetention(workers, a.outbox, days(cfg.MessageBodyRetentionDays))...)
	periodic = append(periodic, analytics.AddRetention(workers, a.pageViews, cfg.PageViewRetentionDays, nil)...)
	a.runner, err = messaging.NewJobs(db, workers, periodic, messaging.JobsOptions{
		Logger: logger, Run: true, RescueAfter: cfg.MailRescueAfter,
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// jobsMode says whether a command works the job queue in its process.
type jobsMode int

const (
	noJobs           jobsMode = iota // only insert jobs (CLI commands)
	jobsIfConfigured                 // serve: PLENARY_JOBS decides
	jobsAlways                       // worker
)

// openApp loads the configuration, opens the database (refusing an old
// schema unless PLENARY_AUTO_MIGRATE) and builds the services. The caller
// closes the app.
//
// Only serve (jobsIfConfigured) creates a database that does not exist,
// and records its PLENARY_BASE_URL as the site's address. Every other
// command needs an existing database and takes the address and the
// calendar UID domain from it; where its own PLENARY_BASE_URL differs, it
// says so on stderr.
func openApp(ctx context.Context, e env, mode jobsMode) (*app, error) {
	cfg, logger, err := setup(e)
	if err != nil {
		return nil, err
	}
	serving := mode == jobsIfConfigured
	db, err := openDB(ctx, cfg, serving)
	if err != nil {
		return nil, err
	}
	if err := siteIdentity(ctx, e, cfg, db, serving); err != nil {
		db.Close()
		return nil, err
	}
	a, err := newApp(cfg, db, logger, mode == jobsAlways || (mode == jobsIfConfigured && cfg.Jobs))
	if err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

// close closes the database.
func (a *app) close() { a.db.Close() }

// startJobs starts the job runner and returns the function that stops it,
// waiting for running jobs to finish.
func (a *app) startJobs(ctx context.Context, logger *slog.Logger) (stop func(), err error) {
	if a.runner == nil {
		return func() {}, nil
	}
	if err := a.runner.Start(ctx); err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	// Sends left running by a process that died go again as soon as they
	// are PLENARY_MAIL_RESCUE_AFTER old, checked at start and every
	// quarter of that, without waiting for River's leader.
	rescueCtx, stopRescue := context.WithCancel(context.WithoutCancel(ctx))
	rescued := make(chan struct{})
	go func() {
		defer close(rescued)
		messaging.KeepRescuingSends(rescueCtx, a.db, a.cfg.MailRescueAfter, func(n int64, err error) {
			if err != nil {
				logger.Warn("rescuing sends left by a stopped process", "error", err)
				return
			}
			logger.Info("sends left running by a stopped process will go again", "jobs", n)
		})
	}()
	return func() {
		stopRescue()
		<-rescued
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := a.runner.Stop(stopCtx); err != nil {
			logger.Warn("job queue did not stop cleanly", "error", err)
		}
		if a.smtp != nil {
			a.smtp.Close() // QUIT on the connections kept for the next message
		}
	}, nil
}

// siteIdentity records serve's base URL as the site's address (record
// true), or, for the other commands, tells the person running one when
// the address its links will use is not the PLENARY_BASE_URL it was
// given.
func siteIdentity(ctx context.Context, e env, cfg config.Config, db *database.DB, record bool) error {
	site, err := db.Site(ctx)
	if record {
		// A serve started without PLENARY_BASE_URL (a shell without the
		// service's environment) must not replace the real address with
		// the default http://localhost:8080 in every later e-mail.
		if err == nil && !cfg.IsSet("PLENARY_BASE_URL") {
			fmt.Fprintf(e.stderr, "plenary: PLENARY_BASE_URL is not set; keeping the site's recorded address %s\n",
				printable(site.BaseURL))
			return nil
		}
		_, err := db.RecordSite(ctx, cfg.BaseURL, time.Now())
		return err
	}
	own := ""
	if cfg.IsSet("PLENARY_BASE_URL") {
		own = cfg.BaseURL
	}
	switch {
	case errors.Is(err, database.ErrNoSite):
		fmt.Fprintf(e.stderr, "plenary: `plenary serve` has not recorded the site's address in this database yet; links use %s\n",
			printable(cfg.BaseURL))
		return nil
	case err != nil:
		return err
	case own != "" && own != site.BaseURL:
		fmt.Fprintf(e.stderr, "plenary: PLENARY_BASE_URL here is %s, but the site's address recorded by `plenary serve` is %s: links use %s\n",
			printable(own), printable(site.BaseURL), printable(site.BaseURL))
	}
	return nil
}

// listPlaces tells the lists the places left on dates and who waits for
// them, from booking (made after the lists' Service, so read at call time).
func listPlaces(a *app) lists.Places {
	return lists.PlacesFunc(func(ctx context.Context, events []catalog.Event) (map[int64]lists.PlaceCount, error) {
		got, err := a.bookings.PlacesFor(ctx, events)
		if err != nil {
			return nil, err
		}
		out := make(map[int64]lists.PlaceCount, len(got))
		for id, p := range got {
			out[id] = lists.PlaceCount{Left: p.Left(), Waiting: p.Waiting}
		}
		return out, nil
	})
}

// registerCompletions is the register as the certificates' Completions,
// looked up when asked: the register is built after booking, whose
// thank-you asks the issuer.
type registerCompletions struct{ a *app }

func (c registerCompletions) Completed(ctx context.Context, eventID int64) ([]certificates.Completion, error) {
	return c.a.register.Completed(ctx, eventID)
}

func (c registerCompletions) Taken(ctx context.Context, eventID int64) (bool, error) {
	return c.a.register.Taken(ctx, eventID)
}
