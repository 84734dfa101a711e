package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/scalelab/scalelab/driver"
)

func init() {
	commands["merge"] = command{summary: "combine the JSON summaries of load shards exactly", run: runMerge}
}

// runMerge reads the summaries written by `scalelab load --shard i/N --json`
// (or --out) and prints their exact combination: histograms merged, counters
// summed.
func runMerge(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("merge", "SHARD.json... [--json]", stderr)
	asJSON := fs.Bool("json", false, "print the merged summary as JSON (schema scalelab/load/v1)")
	var files []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			return err
		}
		rest = fs.Args()
		for len(rest) > 0 && (rest[0] == "-" || rest[0] == "" || rest[0][0] != '-') {
			files = append(files, rest[0])
			rest = rest[1:]
		}
		if len(rest) == 0 {
			break
		}
	}
	if len(files) == 0 {
		fs.Usage()
		return fmt.Errorf("merge: no shard summary given")
	}
	parts := make([]*driver.Summary, 0, len(files))
	for _, name := range files {
		s, err := readSummary(name)
		if err != nil {
			return fmt.Errorf("merge: %w", err)
		}
		parts = append(parts, s)
	}
	m, err := driver.Merge(parts...)
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	if *asJSON {
		if err := writeSummaryJSON(stdout, m); err != nil {
			return fmt.Errorf("merge: %w", err)
		}
		return nil
	}
	return driver.WriteText(stdout, m)
}

// readSummary decodes one summary file ("-": standard input), strictly.
func readSummary(name string) (*driver.Summary, error) {
	var r io.Reader = os.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var s driver.Summary
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("read summary %s: %w", name, err)
	}
	return &s, nil
}
