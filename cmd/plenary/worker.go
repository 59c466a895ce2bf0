package main

import (
	"context"
	"flag"
	"fmt"
)

// workerCmd runs the job queue alone: sending mail, lapsing offers,
// erasing access needs. Use it beside web-only instances
// (PLENARY_JOBS=off), or to keep mail flowing while the site is down.
func workerCmd(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: plenary worker\n\nWorks the job queue (mail, offer expiry, erasure) until interrupted.")
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, logger, err := setup(e)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	a, err := newApp(cfg, db, logger, true)
	if err != nil {
		return err
	}
	stop, err := a.startJobs(ctx, logger)
	if err != nil {
		return err
	}
	logger.Info("plenary worker is running", "database", string(db.Dialect), "smtp", cfg.SMTPURL != "")
	<-ctx.Done()
	logger.Info("worker shutting down")
	stop()
	return nil
}
