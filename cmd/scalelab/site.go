package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/scalelab/scalelab/docs/course"
	"github.com/scalelab/scalelab/site"
)

func init() {
	register(&command{
		name:    "site",
		summary: "the results as a static HTML site: the ladder, every report and comparison, the course",
		usage:   []string{"[flags] [RUN|RESULTS...]"},
		about: `Writes a self-contained site into --out: the story of the ladder with its chart,
the report of every reference run and of every RUN given (a run directory, a
scorecard file, or a directory of runs such as results/), comparisons (each
rung against the one before it, each run against the reference of its
phase), the phase files, the glossary and the course. Charts are inline SVG,
there is one stylesheet and no script, and every link is relative: open
OUT/index.html from the disk, no server or network needed.`,
		footer: `Examples:
  scalelab site -o public/
  scalelab site results/ -o public/

Exit status: 0 ok; 2 usage error or a scorecard that cannot be read; 3 the
site could not be written.`,
		setup: setupSite,
	})
}

func setupSite(fs *pflag.FlagSet) runFunc {
	out := fs.StringP("out", "o", "bin/site", "write the site into `DIR`")
	noCourse := fs.Bool("no-course", false, "leave the course out")
	return func(ctx context.Context, o streams, pos []string) error {
		opt := site.Options{Runs: pos}
		if !*noCourse {
			files, err := course.Files(nil)
			if err != nil {
				return runtimeError(err)
			}
			opt.Course = files
		}
		res, err := site.Build(*out, opt)
		if err != nil {
			if res == nil {
				return configError(err)
			}
			return runtimeError(err)
		}
		fmt.Fprintf(o.stdout, "written: %d pages, %d files in %s; open %s\n", len(res.Pages), len(res.Files), *out,
			filepath.Join(*out, "index.html"))
		return nil
	}
}
