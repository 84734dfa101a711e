//go:build linux

package runner

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scalelab/scalelab/phases"
	"github.com/scalelab/scalelab/scorecards"
)

// TestInducedLimits induces each limit for real in a namespace and checks
// the verdict and that its evidence carries the measured numbers; each
// limit's control (the same phase with the limit lifted) must come out
// clean with a verdict of none.
func TestInducedLimits(t *testing.T) {
	needNamespaces(t)
	tests := []struct {
		file    string
		clients int          // the step to check
		limit   phases.Limit // its verdict
		facts   []string     // evidence lines must contain each
		kernel  map[string]func(int64) bool
	}{
		{file: "fd", clients: 100, limit: phases.LimitFD,
			facts: []string{"server accept EMFILE: ", "of nofile 64", "clients got no answer"}},
		{file: "fd-control", clients: 100, limit: phases.LimitNone},
		{file: "port", clients: 10, limit: phases.LimitPort,
			facts:  []string{"driver connect EADDRNOTAVAIL (addr_unavailable): ", "of 500 ephemeral ports"},
			kernel: map[string]func(int64) bool{"tw_max": func(n int64) bool { return n >= 450 }}},
		{file: "port-control", clients: 10, limit: phases.LimitNone},
		{file: "backlog", clients: 300, limit: phases.LimitBacklog,
			facts:  []string{"TcpExt ListenOverflows +", "listen queue peaked at ", "of backlog 16"},
			kernel: map[string]func(int64) bool{"ListenOverflows": func(n int64) bool { return n > 0 }}},
		{file: "backlog-control", clients: 300, limit: phases.LimitNone,
			kernel: map[string]func(int64) bool{"ListenOverflows": func(n int64) bool { return n == 0 }}},
		{file: "queueing", clients: 32, limit: phases.LimitQueueing,
			facts: []string{"workers busy 4/4", "clients got no answer", "Little's law"}},
		{file: "queueing-control", clients: 32, limit: phases.LimitNone},
		{file: "cpu", clients: 64, limit: phases.LimitCPU,
			facts: []string{"server CPU "}},
		{file: "cpu-control", clients: 64, limit: phases.LimitNone},
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
			if v.Limit != tt.limit {
				t.Fatalf("verdict %s (%s), want %s\nevidence: %q\nalso: %+v\nwarnings: %q",
					v.Limit, step.State, tt.limit, v.Evidence, v.Also, step.Warnings)
			}
			evidence := strings.Join(v.Evidence, "\n")
			for _, f := range tt.facts {
				if !strings.Contains(evidence, f) {
					t.Errorf("evidence lacks %q:\n%s", f, evidence)
				}
			}
			for k, ok := range tt.kernel {
				if !ok(step.Kernel[k]) {
					t.Errorf("kernel %s = %d", k, step.Kernel[k])
				}
			}
			want := scorecards.Confirmed
			if card.Summary.Hypothesis != want {
				t.Errorf("hypothesis %s: %s (%s)", p.Hypothesis.Limit, card.Summary.Hypothesis, card.Summary.HypothesisNote)
			}
			if tt.limit == phases.LimitNone && step.State != "clean" {
				t.Errorf("control step is %s: %q", step.State, v.Evidence)
			}
		})
	}
}
