package main

import (
	"context"
	"errors"

	"github.com/spf13/pflag"

	"github.com/scalelab/scalelab/scorecards/reference"
)

func init() {
	register(&command{
		name:    "reference",
		summary: "the committed reference runs of the ladder as one dated history",
		usage:   []string{"[--phase N]"},
		about: `Prints (Markdown) a row per phase and date of the reference scorecards
built into the lab (scorecards/reference/<date>/): the limit, the best
throughput, the breaking point, the hypothesis and its verification, with
the machine, kernel and commit that measured each. Every report says how far
its run is from the latest reference of its phase.`,
		footer: `Exit status: 0 ok; 2 a usage error or no reference of --phase; 3 a reference
card cannot be read.`,
		setup: setupReference,
	})
}

func setupReference(fs *pflag.FlagSet) runFunc {
	phase := fs.Int("phase", 0, "only the rows of phase `N`")
	return func(ctx context.Context, o streams, pos []string) error {
		if len(pos) > 0 {
			return usageError("reference", "unexpected argument %q", pos[0])
		}
		if err := reference.WriteHistory(o.stdout, *phase); err != nil {
			if errors.Is(err, reference.ErrNone) {
				return configError(err)
			}
			return runtimeError(err)
		}
		return nil
	}
}
