package main

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/scalelab/scalelab/ladder"
)

func init() {
	register(&command{
		name:    "ladder",
		summary: "the story of the whole ladder from one run of each phase: a table and a chart",
		usage:   []string{"[flags] [RUN...]"},
		about: `RUN is a run directory or a scorecard file; of two runs of one phase the later
is kept. With no RUN, the newest run of each phase under --results. Prints
the table (Markdown) and writes ` + ladder.MarkdownFile + `, ladder.svg and ladder.png into --out.`,
		footer: `Exit status: 0 ok; 1 a rung failed or was abandoned (it could not run); 2
usage error or a scorecard that cannot be read; 3 a file could not be
written.`,
		setup: setupLadder,
	})
}

func setupLadder(fs *pflag.FlagSet) runFunc {
	results := fs.String("results", "results", "with no RUN, the `DIR` whose newest run of each phase is read")
	out := fs.String("out", "", "write ladder.md and its chart into `DIR` (default: --results)")
	return func(ctx context.Context, o streams, pos []string) error {
		runs := pos
		if len(runs) == 0 {
			latest, err := ladder.Latest(*results)
			if err != nil {
				return configError(err)
			}
			runs = latest
		}
		l, err := ladder.Load(runs)
		if err != nil {
			return configError(err)
		}
		dir := *out
		if dir == "" {
			dir = *results
		}
		paths, err := l.Write(dir)
		if err != nil {
			return runtimeError(err)
		}
		if err := l.WriteMarkdown(o.stdout, ""); err != nil {
			return runtimeError(err)
		}
		for _, p := range paths {
			fmt.Fprintln(o.stderr, "written:", p)
		}
		if failed := l.Failed(); len(failed) > 0 {
			return failedError("phase %v could not run or did not finish", failed)
		}
		return nil
	}
}
