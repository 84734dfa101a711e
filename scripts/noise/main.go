// Command noise measures the noise margins the verdicts use
// (attrib.NoiseMargin and attrib.SingleTrialMargin) on this machine: it
// runs one client count of gnet with generous limits for many interleaved
// trials in one run (the spread between trials of one run), and the same
// single step in several separate runs (the spread from run to run).
//
//	go run ./scripts/noise [-trials 10] [-runs 5]   (as root; make noise)
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"sort"

	"github.com/scalelab/scalelab/phases"
	"github.com/scalelab/scalelab/runner"
	"github.com/scalelab/scalelab/stats"
	"github.com/scalelab/scalelab/units"
)

func main() {
	trials := flag.Int("trials", 10, "trials of one client count in one run")
	runs := flag.Int("runs", 5, "separate runs of one trial")
	exe := flag.String("exe", "bin/scalelab", "the scalelab binary to start as server and driver")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := measure(ctx, *exe, *trials, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "noise:", err)
		os.Exit(1)
	}
}

// phase is the step measured: gnet with generous limits, 50 keep-alive
// clients, closed loop.
func phase(trials int) (*phases.Phase, error) {
	src := fmt.Sprintf(`schema: scalelab/phase/v1
number: 99
name: noise
hypothesis: {limit: cpu}
server: {variant: gnet, keepalive: true, backlog: 4096}
limits: {nofile: 20000, somaxconn: 4096, port_range: [1024, 65535], tcp_tw_reuse: 1}
driver: {path: /, keepalive: true, warmup: 500ms, duration: 3s, timeout: 2s}
sweep: {clients: [50], trials: %d}
`, trials)
	return phases.Parse("noise.yaml", []byte(src))
}

func measure(ctx context.Context, exe string, trials, runs int) error {
	dir, err := os.MkdirTemp("", "scalelab-noise-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	p, err := phase(trials)
	if err != nil {
		return err
	}
	card, err := runner.Run(ctx, p, runner.Options{Exe: exe, OutDir: filepath.Join(dir, "within")})
	if err != nil {
		return err
	}
	var within []float64
	for _, st := range card.Steps {
		within = append(within, float64(st.RPS))
	}
	report("within one run ("+units.Plural(len(within), "interleaved trial", "interleaved trials")+")", within)
	p1, err := phase(1)
	if err != nil {
		return err
	}
	var between []float64
	for i := range runs {
		c, err := runner.Run(ctx, p1, runner.Options{Exe: exe, OutDir: filepath.Join(dir, fmt.Sprintf("run-%d", i))})
		if err != nil {
			return err
		}
		between = append(between, float64(c.Steps[0].RPS))
	}
	report("from run to run ("+units.Plural(len(between), "run", "runs")+" of one trial)", between)
	return nil
}

// report prints the spread of xs: the largest distance of a value from the
// median, which is the margin a change must exceed to be more than noise.
func report(what string, xs []float64) {
	s := stats.Summarize(xs)
	dev := make([]float64, len(xs))
	for i, x := range xs {
		dev[i] = math.Abs(x/s.Median - 1)
	}
	sort.Float64s(dev)
	fmt.Printf("%s: median %s rps, range %s-%s, largest distance from the median %.1f%%, spread (max/min-1) %.1f%%\n",
		what, units.Rate(s.Median), units.Rate(s.Min), units.Rate(s.Max), 100*dev[len(dev)-1], 100*(s.Max/s.Min-1))
}
