package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
)

func configCmd(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("config", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: plenary config\n\nPrints the effective configuration with secrets masked.")
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, _, err := setup(e)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	for _, v := range cfg.Values() {
		fmt.Fprintf(tw, "%s\t%s\n", v[0], v[1])
	}
	return tw.Flush()
}
