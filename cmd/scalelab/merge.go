package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/scalelab/scalelab/driver"
	"github.com/scalelab/scalelab/driver/threshold"
)

func init() {
	register(&command{
		name:    "merge",
		summary: "combine the JSON summaries of load shards exactly",
		usage:   []string{"[flags] SHARD.json..."},
		about: `Reads the summaries written by 'scalelab load --shard i/N --run-id ID --out FILE'
(or --format json) and prints their exact combination: histograms merged,
counters summed. The files must be every shard of one run, each once: merge
refuses a shard given twice, shards of different runs (another run id), and
a missing shard. "-" reads one summary from stdin.`,
		footer: `Examples:
  scalelab load -c 1000 -d 10s --shard 0/2 --run-id r1 --out s0.json URL &
  scalelab load -c 1000 -d 10s --shard 1/2 --run-id r1 --out s1.json URL
  scalelab merge --threshold 'p99<10ms' s0.json s1.json

Exit status: 0 ok; 1 a threshold failed; 2 usage error or shards that do
not make one run.`,
		setup: setupMerge,
	})
}

func setupMerge(fs *pflag.FlagSet) runFunc {
	format := fs.StringP("format", "o", "text", "output `FORMAT`: text or json (schema scalelab/load/v1)")
	asJSON := fs.Bool("json", false, "the same as --format json")
	latency := fs.Bool("latency", false, "print the latency percentile spectrum")
	thresholds := fs.StringArray("threshold", nil, "fail (exit 1) unless `EXPR` holds on the merged run, e.g. 'p99<10ms' (repeatable; see scalelab help load)")
	return func(ctx context.Context, out streams, files []string) error {
		if *asJSON {
			*format = "json"
		}
		if *format != "text" && *format != "json" {
			return usageError("merge", "-o, --format %q: want text or json", *format)
		}
		ts, err := parseThresholds(*thresholds)
		if err != nil {
			return usageError("merge", "%w", err)
		}
		if len(files) == 0 {
			return usageError("merge", "no shard summary given (scalelab merge SHARD.json...)")
		}
		m, err := mergeFiles(files)
		if err != nil {
			return err
		}
		m.Thresholds, _ = threshold.CheckAll(ts, m.Metric)
		if *format == "json" {
			err = writeSummaryJSON(out.stdout, m)
		} else {
			err = driver.WriteTextOptions(out.stdout, m, driver.TextOptions{Spectrum: *latency})
		}
		if err != nil {
			return runtimeError(err)
		}
		return loadOutcome(m)
	}
}

// mergeFiles reads and merges the shard summaries; its errors name the
// files.
func mergeFiles(files []string) (*driver.Summary, error) {
	parts := make([]*driver.Summary, 0, len(files))
	for _, name := range files {
		s, err := readSummary(name)
		if err != nil {
			return nil, configError(err)
		}
		parts = append(parts, s)
	}
	if err := driver.CheckShards(files, parts); err != nil {
		return nil, configError(err)
	}
	m, err := driver.Merge(parts...)
	if err != nil {
		return nil, configError(err)
	}
	return m, nil
}

// maxSummaryBytes bounds a summary file merge reads; a shard's summary with
// its per-second histograms is well under a megabyte a minute.
const maxSummaryBytes = 256 << 20

// readSummary decodes one summary file ("-": standard input), strictly.
func readSummary(name string) (*driver.Summary, error) {
	data, err := readFileOrStdin(name, maxSummaryBytes)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s driver.Summary
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("read summary %s: %w", name, err)
	}
	return &s, nil
}
