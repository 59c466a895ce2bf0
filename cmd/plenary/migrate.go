package main

import (
	"context"
	"flag"
	"fmt"

	"plenary/internal/database"
)

func migrateCmd(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() { fmt.Fprintln(e.stderr, "Usage: plenary migrate\n\nApplies every pending database migration.") }
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, _, err := setup(e)
	if err != nil {
		return err
	}
	db, err := database.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	current, _, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "applied %d migration(s); %s schema is at version %d\n", n, db.Dialect, current)
	return nil
}
