// Command control runs the control phase — generous limits, a closed
// loop, several client counts, several trials — several times in a row and
// prints how each run judged each client count. A control must never be
// judged dropped: where throughput declines as clients grow, the verdict
// is saturation (retrograde when the decline is significant), with the
// server's CPU cost per request beside it.
//
//	go run ./scripts/control [-runs 5]   (as root; make control)
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/phases"
	"github.com/scalelab/scalelab/runner"
	"github.com/scalelab/scalelab/scorecards"
	"github.com/scalelab/scalelab/stats"
	"github.com/scalelab/scalelab/units"
)

// controlPhase is the control: gnet with generous limits, keep-alive,
// 10 to 1,000 clients, 4 interleaved trials each.
const controlPhase = `schema: scalelab/phase/v1
number: 98
name: control
title: "Control: gnet with generous limits, closed loop"
hypothesis: {limit: cpu, note: "nothing but the CPU runs out; no count breaks"}
server: {variant: gnet, keepalive: true, backlog: 4096}
limits: {nofile: 20000, somaxconn: 4096, port_range: [1024, 65535], tcp_tw_reuse: 1}
driver: {path: /, keepalive: true, warmup: 500ms, duration: 3s, timeout: 2s}
sweep: {clients: [10, 50, 200, 1000], trials: 4}
success_threshold: 0.99
`

func main() {
	runs := flag.Int("runs", 5, "runs of the control phase, one after the other")
	exe := flag.String("exe", "bin/scalelab", "the scalelab binary to start as server and driver")
	out := flag.String("out", "results", "where each run's directory goes")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	dropped, err := control(ctx, *exe, *out, *runs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "control:", err)
		os.Exit(3)
	}
	if dropped > 0 {
		fmt.Printf("FAIL: %s judged dropped\n", units.Plural(dropped, "level of the control was", "levels of the control were"))
		os.Exit(1)
	}
	fmt.Printf("ok: no level of the control judged dropped in %s\n", units.Plural(*runs, "run", "runs"))
}

// control runs the phase runs times and prints every level; it returns how
// many levels were judged dropped.
func control(ctx context.Context, exe, out string, runs int) (int, error) {
	abs, err := filepath.Abs(exe)
	if err != nil {
		return 0, err
	}
	dropped := 0
	for i := 1; i <= runs; i++ {
		p, err := phases.Parse("control.yaml", []byte(controlPhase))
		if err != nil {
			return 0, err
		}
		dir := filepath.Join(out, fmt.Sprintf("%s-control-%d", time.Now().Format("20060102-150405"), i))
		card, err := runner.Run(ctx, p, runner.Options{Exe: abs, OutDir: dir})
		if err != nil {
			return dropped, fmt.Errorf("run %d: %w", i, err)
		}
		fmt.Printf("run %d (%s): hypothesis %s\n", i, dir, card.Summary.Hypothesis)
		dropped += printLevels(card)
	}
	return dropped, nil
}

// printLevels prints one line per client count and returns how many were
// judged dropped.
func printLevels(card *scorecards.Scorecard) int {
	dropped := 0
	for _, l := range card.JudgedLevels() {
		line := fmt.Sprintf("  %6s: %s, %s rps (%s trials)", units.Clients(l.Clients), l.State, units.Rate(l.RPS.Median), units.Int(l.Trials))
		if l.Limit != "" && l.Limit != attrib.None {
			line += fmt.Sprintf(", limit %s", l.Limit)
		}
		if v := l.Versus; v != nil {
			line += fmt.Sprintf(", vs %s: %s [%s]", units.Clients(v.Clients), v.Text, v.Claim)
		}
		if l.Retrograde {
			line += ", retrograde"
		}
		if cost := serverCost(card, l.Clients); cost != "" {
			line += ", server " + cost + " per request"
		}
		if l.State == attrib.Dropped {
			dropped++
			line += "  <- DROPPED: " + l.Reason
		}
		fmt.Println(line)
	}
	return dropped
}

// serverCost is the median server CPU per request over the trials of a
// client count ("" when not measured).
func serverCost(card *scorecards.Scorecard, clients int) string {
	var costs []float64
	for _, st := range card.Steps {
		if st.Clients == clients && st.Judged() && st.Server.CPUPerRequest > 0 {
			costs = append(costs, float64(st.Server.CPUPerRequest))
		}
	}
	if len(costs) == 0 {
		return ""
	}
	return units.Micros(stats.Summarize(costs).Median).String()
}
