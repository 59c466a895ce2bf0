package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"plenary/internal/catalog"
)

func exportCmd(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	out := fs.String("o", "", "write to `FILE` instead of standard output")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, `Usage: plenary export [-o FILE] SLUG

Writes the course as a course file. Importing that file again changes
nothing. The file holds private meeting details: keep it safe.`)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	a, err := openApp(ctx, e, noJobs)
	if err != nil {
		return err
	}
	defer a.close()
	c, err := a.catalog.CourseBySlug(ctx, fs.Arg(0))
	if errors.Is(err, catalog.ErrNotFound) {
		return fmt.Errorf("no course with slug %q", fs.Arg(0))
	}
	if err != nil {
		return err
	}
	data := catalog.FormatCourseFile(c)
	if *out == "" {
		_, err = e.stdout.Write(data)
		return err
	}
	// Write beside the target and rename, so a failed export never leaves
	// half a file where a good one was.
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".export-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), *out)
}
