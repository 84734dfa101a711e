package scorecards

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/glossary"
	"github.com/scalelab/scalelab/units"
)

// analysisSections explain each client count: its verdict with the
// evidence, the chain of consequences, the USE table of its resources, the
// operational laws (costs per request, Little's law, the latency budget,
// goodput), and the kernel counters that bear on it.
func analysisSections(v *view) []Section {
	out := []Section{{Level: 2, Heading: "Bottleneck analysis"}}
	if len(v.levels) == 0 {
		out[0].Blocks = append(out[0].Blocks, Paragraph("No step was measured to its end, so there is nothing to attribute."))
		return out
	}
	out[0].Blocks = append(out[0].Blocks, Paragraph(
		"Each step is judged by its own evidence: the USE table reads every resource (utilization, the sign of "+
			"saturation, errors), the bottleneck is the saturated resource that no other explains, and the chain lists "+
			"what followed from it. A break (success below the threshold, clients with no answer, a collapse within the "+
			"step) is decisive from one trial; a fall of throughput is claimed only when it is beyond the noise. Every "+
			"line below is a measured fact."))
	for _, l := range v.levels {
		out = append(out, v.levelSection(l))
	}
	return out
}

func (v *view) levelSection(l attrib.Level) Section {
	s := Section{Level: 3, Heading: units.Clients(l.Clients) + ": " + levelVerdict(l)}
	st, ok := v.representative(l)
	if !ok {
		return s
	}
	line := fmt.Sprintf("Success %s, %s requests/s, p99 %s ms.", units.Pct(float64(st.SuccessRate)),
		units.Rate(float64(st.RPS)), units.MSValue(float64(st.LatencyMS.P99)))
	if l.Trials > 1 {
		line = fmt.Sprintf("%s trials: %s. Shown below: trial %d. %s", units.Int(l.Trials), trialStates(v.trials[l.Clients]), st.Trial, line)
	}
	if l.Reason != "" {
		line += " " + capitalize(l.Reason) + "."
	}
	s.Blocks = append(s.Blocks, Paragraph(line))
	if len(st.Verdict.Evidence) > 0 {
		s.Blocks = append(s.Blocks, Bullets{Lead: "Evidence:", Items: st.Verdict.Evidence})
	}
	if len(st.Verdict.Chain) > 0 {
		s.Blocks = append(s.Blocks, Bullets{Lead: "What followed from it:", Items: st.Verdict.Chain})
	}
	if len(st.Verdict.Also) > 0 {
		var items []string
		for _, f := range st.Verdict.Also {
			items = append(items, fmtLimit(f.Limit)+": "+strings.Join(f.Evidence, "; "))
		}
		s.Blocks = append(s.Blocks, Bullets{Lead: "Also ran out, on its own:", Items: items})
	}
	s.Blocks = append(s.Blocks, useTable(st), Bullets{Lead: "Operational laws:", Items: lawLines(st)})
	facts := st.Facts()
	if k := kernelLine(st); k != "" {
		facts[len(facts)-1] = k
	} else {
		facts = facts[:len(facts)-1]
	}
	s.Blocks = append(s.Blocks, Bullets{Lead: "Measured:", Items: facts})
	if len(st.Warnings) > 0 {
		s.Blocks = append(s.Blocks, Bullets{Lead: "Warnings:", Items: st.Warnings})
	}
	return s
}

// trialStates counts the trials by verdict: "4 saturated (cpu)".
func trialStates(trials []Step) string {
	counts := map[string]int{}
	var order []string
	for _, st := range trials {
		k := fmt.Sprintf("%s (%s)", st.State, st.Verdict.Limit)
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	parts := make([]string, len(order))
	for i, k := range order {
		parts[i] = fmt.Sprintf("%d %s", counts[k], k)
	}
	return strings.Join(parts, ", ")
}

// useTable is the USE method's table of the step, the bottleneck in bold.
func useTable(st Step) Table {
	t := Table{Header: []string{"Resource", "Used", "Utilization", "Saturation", "Errors"}, Right: []bool{false, false, true, false, false}}
	for _, u := range st.USE() {
		name := string(u.Resource)
		switch {
		case u.Resource == st.Verdict.Resource:
			name = "**" + name + " (bottleneck)**"
		case u.Saturated:
			name += " (ran out)"
		}
		util := units.NA
		if !math.IsNaN(u.Utilization) {
			util = units.Float(100*u.Utilization, 0) + "%"
		}
		errs := "none"
		if u.Errors > 0 {
			errs = units.Int(u.Errors) + " " + u.ErrorText
		}
		t.Rows = append(t.Rows, []string{name, orNA(u.Used), util, orDash(u.Saturation), errs})
	}
	return t
}

func orNA(s string) string {
	if s == "" {
		return units.NA
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// lawLines applies the operational laws to the step.
func lawLines(st Step) []string {
	var out []string
	c := st.Costs()
	if c.Server > 0 || c.Driver > 0 {
		line := fmt.Sprintf("Utilization law (D = U / X): the server spent %s of CPU per request, the driver %s.", orNAString(c.Server), orNAString(c.Driver))
		if c.Driver > 0 {
			line += fmt.Sprintf(" The driver's CPUs had room for %s more requests/s (%.0f%% of what it drove).",
				units.Rate(float64(c.DriverHeadroom)), 100*c.DriverHeadroomShare)
			if c.DriverHeadroomShare < 0.3 && st.Verdict.Limit == attrib.CPU {
				line += " With under 30% headroom the server's number is a lower bound: a faster or sharded driver may get more."
			}
		}
		out = append(out, line)
	}
	if st.OK > 0 && st.Server.HandlerMS.P99 > 0 {
		out = append(out, fmt.Sprintf("Where the time goes: the clients saw p99 %s, the server's handler p99 %s (seed 000 asks exactly this: a large gap with an idle server is the client's).",
			st.LatencyMS.P99, st.Server.HandlerMS.P99))
	}
	if l := st.Little(); l.Measured > 0 {
		out = append(out, fmt.Sprintf("Little's law (R = N / X): %s / %s requests completed per second predicts %s per request; measured %s.",
			l.InSystem(), units.Rate(float64(l.Throughput)), l.Predicted, l.Measured))
	}
	if b := st.Budget(); b.Total > 0 {
		rest := "the rest (network, scheduling, the client)"
		if math.IsNaN(float64(b.Connect)) || math.IsNaN(float64(b.QueueWait)) || math.IsNaN(float64(b.Handler)) {
			rest = "the rest (network, scheduling, the client, and the parts not measured)"
		}
		out = append(out, fmt.Sprintf("Latency budget, measured: %s per request = connect %s + wait for a worker %s + handler %s + %s %s.",
			b.Total, b.Connect, b.QueueWait, b.Handler, rest, b.Rest))
	}
	if g := st.Goodput(); g.Handled > 0 {
		line := "Goodput: " + g.String(st.DurationS) + "."
		if g.Abandoned > 0 {
			line += fmt.Sprintf(" %s answers were written to clients that had already gone.", units.Int(g.Abandoned))
		}
		out = append(out, line)
	}
	return out
}

func orNAString(m units.Micros) string {
	if m <= 0 {
		return units.NA
	}
	return m.String()
}

// relevant lists, for each limit, the kernel values that bear on it.
var relevant = map[attrib.Limit][]string{
	attrib.Backlog:  {"ListenOverflows", "ListenDrops", "TCPReqQFullDrop", "TCPReqQFullDoCookies", "SyncookiesSent", "lo_drops", "softnet_dropped"},
	attrib.Port:     {"tw", "tw_max", "port_range_size", "TW", "ActiveOpens"},
	attrib.CPU:      {"server_cpus_tasks_pct", "server_cpus_softirq_pct", "server_cpus_steal_pct"},
	attrib.Client:   {"driver_cpus_tasks_pct", "driver_cpus_softirq_pct", "client_recvq_bytes_mid"},
	attrib.FD:       {"established_mid"},
	attrib.Queueing: {"ListenOverflows", "established_mid"},
}

// kernelLine lists the kernel values that bear on the step's verdict and
// its chain (all of them stay in the card); "" when none does.
func kernelLine(st Step) string {
	want := map[string]bool{}
	for _, n := range relevant[st.Verdict.Limit] {
		want[n] = true
	}
	for _, f := range st.Verdict.Also {
		for _, n := range relevant[f.Limit] {
			want[n] = true
		}
	}
	if strings.Contains(strings.Join(st.Verdict.Chain, " "), "accept queue") {
		for _, n := range relevant[attrib.Backlog] {
			want[n] = true
		}
	}
	var parts []string
	for _, c := range st.Kernel.Counts() {
		if want[c.Name] {
			parts = append(parts, fmt.Sprintf("`%s` %s", c.Name, units.Int(c.Value)))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	lead := "Kernel (the values that bear on this verdict; the card has all of them): "
	if len(st.Hosts) > 0 {
		lead = "Kernel, in the server's namespace (each client host's own ports are in the line above; the card has every value): "
	}
	return lead + strings.Join(parts, ", ") + "."
}

// glossarySection explains every counter and error class the report
// shows, in one line each.
func glossarySection(v *view) Section {
	s := Section{Level: 2, Heading: "Glossary"}
	names := map[string]bool{}
	for _, l := range v.levels {
		st, ok := v.representative(l)
		if !ok {
			continue
		}
		names[string(l.Limit)] = true
		for n := range st.Errors {
			names[n] = true
		}
		line := kernelLine(st)
		for _, c := range st.Kernel.Counts() {
			if strings.Contains(line, "`"+c.Name+"`") {
				names[c.Name] = true
			}
		}
	}
	var sorted []string
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	var items []string
	for _, e := range glossary.Of(sorted...) {
		items = append(items, fmt.Sprintf("**%s** (%s): %s", e.Name, e.Kind, e.Meaning))
	}
	if len(items) == 0 {
		s.Blocks = append(s.Blocks, Paragraph("Nothing in this report needs explaining beyond its own words."))
		return s
	}
	s.Blocks = append(s.Blocks, Bullets{Items: items})
	return s
}
