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
	a, err := openApp(ctx, e, jobsAlways)
	if err != nil {
		return err
	}
	defer a.close()
	stop, err := a.startJobs(ctx, a.log)
	if err != nil {
		return err
	}
	a.log.Info("plenary worker is running", "database", string(a.db.Dialect), "smtp", a.cfg.SMTPURL != "")
	<-ctx.Done()
	a.log.Info("worker shutting down")
	stop()
	return nil
}
