package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"plenary/demo"
	"plenary/internal/audit"
	"plenary/internal/catalog"
	"plenary/internal/config"
	"plenary/internal/database"
	"plenary/internal/web"
	"plenary/internal/web/admin"
	"plenary/internal/web/api"
	"plenary/internal/web/site"
)

func serveCmd(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "listen on `HOST:PORT`")
	withDemo := fs.Bool("demo", false, "load the demo catalogue when the database has no courses, and turn on the dev mailbox unless PLENARY_SMTP_URL is set")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: plenary serve [-addr HOST:PORT] [-demo]\n\nRuns the web site until interrupted.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	a, err := openApp(ctx, e, jobsIfConfigured)
	if errors.Is(err, database.ErrSchemaOutdated) {
		return fmt.Errorf("%w\nrefusing to start on an old schema", err)
	}
	if err != nil {
		return err
	}
	defer a.close()
	cfg, logger, db := a.cfg, a.log, a.db
	if *withDemo {
		if err := loadDemo(ctx, a.catalog, cfg.TimeZone, logger); err != nil {
			return err
		}
		if err := firstAdmin(ctx, e, a); err != nil {
			return err
		}
		if cfg.ListSecret == "" {
			a.lists.UseStoredKey()
		}
	}

	devMailbox, why := devMailboxOn(cfg, *withDemo)
	if devMailbox {
		logger.Warn("the dev mailbox is on: e-mails are kept, not sent; staff read them in the mail log (/admin/messages)",
			"why", why)
	}

	handler, err := webHandler(a, devMailbox)
	if err != nil {
		return err
	}
	// Page views are counted in memory and written once a minute; the
	// last ones when the server has stopped (deferred after the HTTP
	// shutdown, before the database closes).
	defer a.startViews(logger)()
	stopJobs, err := a.startJobs(ctx, logger)
	if err != nil {
		return err
	}
	// Stopped after the HTTP server, so requests still in flight can queue
	// their mail.
	defer stopJobs()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	// The start (migrations, the demo catalogue, every page and e-mail
	// template parsed and checked, then let go) leaves garbage, and a heap
	// goal sized for it, that an idle server would keep resident until
	// enough allocation brings the next GC. One collection now, returning
	// the free pages to the OS, costs a few milliseconds once.
	debug.FreeOSMemory()
	logger.Info("plenary is serving", "addr", ln.Addr().String(), "base_url", cfg.BaseURL,
		"database", string(db.Dialect), "jobs", cfg.Jobs, "smtp", cfg.SMTPURL != "", "version", version)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// webHandler builds the shared web kit and mounts the public site, the
// staff area and the API on it.
func webHandler(a *app, devMailbox bool) (http.Handler, error) {
	cfg := a.cfg
	kit, err := web.New(web.Options{
		DB:             a.db,
		Logger:         a.log,
		BaseURL:        cfg.BaseURL,
		Dev:            cfg.Dev,
		SiteName:       cfg.SiteName,
		PageCacheTTL:   cfg.PageCacheTTL,
		BookingLimit:   cfg.BookingLimit,
		TrustedProxies: cfg.TrustedProxies,
		MetricsToken:   cfg.MetricsToken,
		ContactEmail:   cfg.ContactEmail.String(),

		AnalyticsProvider: cfg.AnalyticsProvider,
		AnalyticsID:       cfg.AnalyticsID,
		AnalyticsScript:   cfg.AnalyticsScript,
		AnalyticsCookies:  cfg.AnalyticsCookies,
		CountView:         a.views.Add,
	})
	if err != nil {
		return nil, err
	}
	pub, err := site.New(kit, site.Options{
		Catalog:   a.catalog,
		Bookings:  a.bookings,
		Lists:     a.lists,
		UIDDomain: a.uidDomain,

		Certificates: a.certificates,

		AccessNeedsRetentionDays: cfg.AccessNeedsRetentionDays,
		MessageBodyRetentionDays: cfg.MessageBodyRetentionDays,
		PageViewRetentionDays:    cfg.PageViewRetentionDays,
		ListUnconfirmedDays:      cfg.ListUnconfirmedDays,
		PageViews:                true, // counted with consent (CountView above), erased by analytics.AddRetention
	})
	if err != nil {
		return nil, err
	}
	staff, err := admin.New(kit, admin.Options{Accounts: a.accounts, DB: a.db, Outbox: a.outbox, DevMailbox: devMailbox, People: a.people,
		Bookings: a.bookings, PageViews: a.pageViews, Lists: a.lists, Register: a.register,
		Catalog: a.catalog, Certificates: a.certificates})
	if err != nil {
		return nil, err
	}
	return kit.Handler(pub, staff, api.New(kit)), nil
}

// startViews writes the page-view counts every minute until the returned
// function is called, which writes the last ones and waits for it.
func (a *app) startViews(logger *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.views.Run(ctx, time.Minute, func(err error) { logger.Error("page views", "error", err) })
	}()
	return func() {
		cancel()
		<-done
	}
}

// devMailboxOn decides whether serve shows the dev mailbox, and why: only
// when PLENARY_DEV_MAILBOX asks for it or -demo is given, and never when
// mail goes out by SMTP (the e-mails would be real people's).
func devMailboxOn(cfg config.Config, demo bool) (on bool, why string) {
	switch {
	case cfg.SMTPURL != "":
		return false, "PLENARY_SMTP_URL is set"
	case cfg.DevMailbox:
		return true, "PLENARY_DEV_MAILBOX is true"
	case demo:
		return true, "serve -demo without PLENARY_SMTP_URL"
	}
	return false, "off by default"
}

// loadDemo fills an empty catalogue with the demo courses, their upcoming
// dates placed relative to today so the demo never looks stale. A
// catalogue that has any course is left alone.
func loadDemo(ctx context.Context, store *catalog.Store, loc *time.Location, logger *slog.Logger) error {
	n, err := store.CountCourses(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		logger.Info("demo not loaded: the catalogue already has courses", "courses", n)
		return nil
	}
	now := time.Now()
	courses, err := demo.Courses(catalog.DateOf(now.In(loc)))
	if err != nil {
		return fmt.Errorf("demo catalogue: %w", err)
	}
	ptrs := make([]*catalog.Course, len(courses))
	for i := range courses {
		ptrs[i] = &courses[i]
	}
	if _, err := store.Save(ctx, ptrs, catalog.SaveOptions{Actor: audit.Job("demo"), Now: now}); err != nil {
		return fmt.Errorf("demo catalogue: %w", err)
	}
	logger.Info("demo catalogue loaded", "courses", len(courses))
	return nil
}
