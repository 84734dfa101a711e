package compare

import (
	"fmt"
	"io"

	"golang.org/x/perf/benchfmt"

	"github.com/scalelab/scalelab/units"
)

// benchOrder is the order of the values on a benchmark line.
var benchOrder = []string{"rps", "p99", "p50", "success"}

// WriteBenchfmt writes the trials of run which ("a" or "b") in the Go
// benchmark format, so that benchstat reads them: a configuration header
// (label, phase, machine and every setting of the run, as "key: value"
// lines), whether higher or lower is better for each unit, then one line
// per trial that ran to its end:
//
//	BenchmarkPhase08/clients=200 1 118081.3 rps 3.22 p99-ms 1.63 p50-ms 100 success-%
func (r *Result) WriteBenchfmt(w io.Writer, which string) error {
	var run Run
	switch which {
	case "a", "A":
		run = r.A
	case "b", "B":
		run = r.B
	default:
		return fmt.Errorf("compare: benchfmt: which run? %q (want a or b)", which)
	}
	bw := benchfmt.NewWriter(w)
	for _, name := range benchOrder {
		m := metricNamed(name)
		better := "lower"
		if m.higher {
			better = "higher"
		}
		md := &benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: m.unit, Key: "better"}, OrigUnit: m.unit, Value: better}
		if err := bw.Write(md); err != nil {
			return fmt.Errorf("compare: benchfmt: %w", err)
		}
	}
	config := benchConfig(run)
	for _, st := range run.Card.Steps {
		if !st.Judged() {
			continue
		}
		res := &benchfmt.Result{
			Config: config,
			Name:   benchfmt.Name(fmt.Sprintf("Phase%02d/clients=%d", run.Card.Phase.Number, st.Clients)),
			Iters:  1,
		}
		for _, name := range benchOrder {
			m := metricNamed(name)
			res.Values = append(res.Values, benchfmt.Value{Value: m.bench(m.value(st)), Unit: m.unit})
		}
		if err := bw.Write(res); err != nil {
			return fmt.Errorf("compare: benchfmt: %w", err)
		}
	}
	return nil
}

// benchConfig is the file configuration of a run's trials: its label, its
// phase, its machine and every setting, so that benchstat can group or
// tell runs apart by any of them.
func benchConfig(run Run) []benchfmt.Config {
	sc := run.Card
	kv := []setting{
		{"label", run.Label},
		{"phase", units.Int(sc.Phase.Number)},
		{"phase-name", sc.Phase.Name},
		{"status", string(sc.Status)},
	}
	if !sc.Environment.Date.IsZero() {
		kv = append(kv, setting{"date", sc.Environment.Date.UTC().Format("2006-01-02T15:04:05Z")})
	}
	kv = append(kv, machine(sc.Environment)...)
	kv = append(kv, settings("", sc.Config)...)
	out := make([]benchfmt.Config, 0, len(kv))
	for _, s := range kv {
		out = append(out, benchfmt.Config{Key: s.key, Value: []byte(s.value), File: true})
	}
	return out
}

func metricNamed(name string) metric {
	for _, m := range metrics {
		if m.name == name {
			return m
		}
	}
	panic("compare: no metric " + name)
}
