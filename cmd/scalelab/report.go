package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/scalelab/scalelab/runner"
	"github.com/scalelab/scalelab/scorecards"
)

func init() {
	register(&command{
		name:    "report",
		summary: "write a run's report, charts and CSV again from its scorecard",
		usage:   []string{"[flags] RUN..."},
		about: `RUN is a run directory (holding ` + runner.ScorecardFile + `). The report (` + runner.ReportFile + `), the charts
(SVG and PNG) and ` + scorecards.CSVFile + ` are views of the scorecard: this renders them again
into the run directory, after an upgrade of the lab or an edit of the card.
With --print the report goes to standard output and nothing is written.`,
		footer: `Exit status: 0 ok; 2 usage error or a scorecard that cannot be read; 3 a
file could not be written.`,
		setup: setupReport,
	})
}

func setupReport(fs *pflag.FlagSet) runFunc {
	printOnly := fs.Bool("print", false, "print the report on standard output instead of writing the files")
	return func(ctx context.Context, o streams, pos []string) error {
		if len(pos) == 0 {
			return usageError("report", "want at least one run directory")
		}
		for _, dir := range pos {
			sc, _, err := loadRun(dir)
			if err != nil {
				return configError(err)
			}
			if *printOnly {
				if err := scorecards.RenderReport(o.stdout, sc); err != nil {
					return runtimeError(err)
				}
				continue
			}
			if err := rerender(dir, sc); err != nil {
				return runtimeError(err)
			}
			fmt.Fprintf(o.stdout, "written: %s, %s and the charts in %s\n", runner.ReportFile, scorecards.CSVFile, dir)
		}
		return nil
	}
}

// rerender writes the report, the charts and the CSV of the card sc into
// its run directory dir.
func rerender(dir string, sc *scorecards.Scorecard) error {
	if filepath.Base(dir) == runner.ScorecardFile {
		dir = filepath.Dir(dir)
	}
	if err := scorecards.WriteReport(filepath.Join(dir, runner.ReportFile), sc); err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	if _, err := scorecards.WriteCharts(dir, sc); err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	if err := scorecards.WriteCSVFile(filepath.Join(dir, scorecards.CSVFile), sc); err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	return nil
}
