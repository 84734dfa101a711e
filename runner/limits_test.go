//go:build linux

package runner

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/phases"
	"github.com/scalelab/scalelab/scorecards"
)

// TestInducedLimits induces each limit for real in a namespace and checks
// the verdict and that its evidence carries the measured numbers; each
// limit's control (the same phase with the limit lifted) must not break
// and must not be capped by the lifted limit (a closed loop always runs
// into something: usually the CPU).
func TestInducedLimits(t *testing.T) {
	needNamespaces(t)
	tests := []struct {
		file    string
		clients int          // the step to check
		limit   attrib.Limit // its verdict
		lifted  attrib.Limit // for a control: the limit lifted
		facts   []string     // evidence lines must contain each
		kernel  map[string]func(attrib.KernelEvidence) bool
	}{
		{file: "fd", clients: 100, limit: attrib.FD,
			facts: []string{"server accept EMFILE: ", "of nofile 64", "clients got no answer"}},
		{file: "fd-control", lifted: attrib.FD, clients: 100},
		{file: "port", clients: 10, limit: attrib.Port,
			facts:  []string{"driver connect EADDRNOTAVAIL (addr_unavailable): ", "of 500 ephemeral ports"},
			kernel: map[string]func(attrib.KernelEvidence) bool{"tw_max >= 450": func(k attrib.KernelEvidence) bool { return attrib.N(k.TimeWaitMax) >= 450 }}},
		{file: "port-control", lifted: attrib.Port, clients: 10},
		{file: "backlog", clients: 200, limit: attrib.Backlog,
			facts:  []string{"TcpExt ListenOverflows +", "listen queue peaked at ", "of backlog 16"},
			kernel: map[string]func(attrib.KernelEvidence) bool{"ListenOverflows > 0": func(k attrib.KernelEvidence) bool { return attrib.N(k.ListenOverflows) > 0 }}},
		{file: "backlog-control", lifted: attrib.Backlog, clients: 200,
			kernel: map[string]func(attrib.KernelEvidence) bool{"ListenOverflows == 0": func(k attrib.KernelEvidence) bool { return k.ListenOverflows != nil && *k.ListenOverflows == 0 }}},
		{file: "queueing", clients: 32, limit: attrib.Queueing,
			facts: []string{"workers busy 4/4", "clients got no answer", "Little's law"}},
		{file: "queueing-control", lifted: attrib.Queueing, clients: 32},
		{file: "cpu", clients: 64, limit: attrib.CPU,
			// The server's core is full: of the server's own work, or
			// shared with another process on a busy machine.
			kernel: map[string]func(attrib.KernelEvidence) bool{"server's CPU busy >= 85%": func(k attrib.KernelEvidence) bool {
				return k.ServerCPUsBusyPct() >= attrib.BusyCPU
			}}},
		{file: "cpu-control", lifted: attrib.CPU, clients: 64},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p, err := phases.Load(filepath.Join("testdata", "limits", tt.file+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			card, err := Run(context.Background(), p, Options{Exe: exe, OutDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			var step *scorecards.Step
			for i := range card.Steps {
				if card.Steps[i].Clients == tt.clients {
					step = &card.Steps[i]
				}
			}
			if step == nil {
				t.Fatalf("no step at %d clients", tt.clients)
			}
			v := step.Verdict
			if tt.lifted != "" {
				// A CPU control's own demand is a fraction of its core; on a
				// busy machine another process may still fill that core, and
				// then the verdict rightly names it, as shared with other work.
				busyElsewhere := tt.lifted == attrib.CPU && float64(step.Server.CPUPct) < attrib.BusyCPU/2
				if step.State == attrib.Dropped || (v.Limit == tt.lifted && !busyElsewhere) {
					t.Errorf("control step %s, capped by %s with %s lifted: %q", step.State, v.Limit, tt.lifted, v.Evidence)
				}
			} else if v.Limit != tt.limit {
				t.Fatalf("verdict %s (%s), want %s\nevidence: %q\nalso: %+v\nwarnings: %q",
					v.Limit, step.State, tt.limit, v.Evidence, v.Also, step.Warnings)
			}
			evidence := strings.Join(v.Evidence, "\n")
			for _, f := range tt.facts {
				if !strings.Contains(evidence, f) {
					t.Errorf("evidence lacks %q:\n%s", f, evidence)
				}
			}
			for what, ok := range tt.kernel {
				if !ok(step.Kernel) {
					t.Errorf("kernel: want %s, got %+v", what, step.Kernel.Counts())
				}
			}
			want := attrib.Confirmed
			if card.Summary.Hypothesis != want {
				t.Errorf("hypothesis %s: %s (%s)", p.Hypothesis.Limit, card.Summary.Hypothesis, card.Summary.Note)
			}
		})
	}
}
