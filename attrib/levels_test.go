package attrib

import (
	"strings"
	"testing"

	"github.com/scalelab/scalelab/units"
)

// trials builds one step per rps value at a client count, saturated on the
// server's CPU (a closed loop at a full core) with every request answered.
func trials(clients int, cpuPerRequest float64, rps ...float64) []Step {
	var out []Step
	for i, r := range rps {
		s := base()
		s.Clients, s.Trial, s.RPS = clients, i+1, units.PerSecond(r)
		s.Requests, s.OK = int64(3*r), int64(3*r)
		s.Server.Workers, s.Server.BusyWorkersMax, s.Server.QueueCap = 0, 0, 0
		s.Server.CPUPct, s.Server.CPUPerRequest = 99, units.Micros(cpuPerRequest)
		s.LatencyMS = Latency{P50: units.Millis(float64(clients) / r * 1000), P99: 2, Mean: units.Millis(float64(clients) / r * 1000)}
		out = append(out, s)
	}
	return out
}

func judgeAll(steps []Step) []Judgment {
	var js []Judgment
	for _, s := range steps {
		js = append(js, Judge(s, 0.99))
	}
	return js
}

// TestClosedLoopControl is the control phase of the verdicts issue: gnet
// with generous limits, 10, 50 and 200 keep-alive clients, 4 trials each,
// measured here at 88-91k, 78-81k and 77-80k rps, all at 100% success. The
// decline is real and repeatable but nothing broke: saturation on the
// CPU, retrograde and significant, explained by the cost per request.
func TestClosedLoopControl(t *testing.T) {
	var steps []Step
	steps = append(steps, trials(10, 10.9, 88000, 91000, 89500, 90200)...)
	steps = append(steps, trials(50, 12.4, 78000, 81000, 79800, 80300)...)
	steps = append(steps, trials(200, 12.6, 77000, 80000, 78400, 79100)...)
	levels := Levels(steps, judgeAll(steps))
	if len(levels) != 3 {
		t.Fatalf("%d levels", len(levels))
	}
	for _, l := range levels {
		if l.State != Saturated || l.Limit != CPU {
			t.Errorf("%d clients: %s/%s, want saturated/cpu", l.Clients, l.State, l.Limit)
		}
	}
	v := levels[1].Versus
	if v == nil || v.Claim != ClaimSignificant || !levels[1].Retrograde || v.P > 0.05 || v.N1 != 4 || v.N2 != 4 {
		t.Fatalf("50 clients vs 10: %+v (retrograde %v)", v, levels[1].Retrograde)
	}
	if !strings.HasPrefix(v.Text, "-10.9") || !strings.Contains(v.Text, "p=0.029 n=4") {
		t.Errorf("text %q, want -10.9x%% (p=0.029 n=4)", v.Text)
	}
	if !strings.Contains(v.Why, "server's CPU per request rose +14% (10.9 µs -> 12.4 µs)") {
		t.Errorf("why %q", v.Why)
	}
	sum := Summarize(levels, CPU, Setup{Variant: "gnet", KeepAlive: true})
	if sum.BreakingPoint != nil || sum.Hypothesis != Confirmed || sum.Limit != CPU || sum.SweetSpot == nil || sum.SweetSpot.Clients != 10 {
		t.Errorf("summary %+v (sweet spot %+v)", sum, sum.SweetSpot)
	}
	if strings.Contains(sum.Next, "gnet (") || !strings.Contains(sum.Next, "cheapest variant") {
		t.Errorf("advice for gnet suggests a variant in use or none: %q", sum.Next)
	}
}

func TestVersusClaims(t *testing.T) {
	tests := []struct {
		name      string
		old, new  []float64
		wantClaim Claim
		wantRetro bool
	}{
		{"one trial each within the run-to-run margin", []float64{90000}, []float64{60000}, ClaimInconclusive, false},
		{"one trial each beyond the margin", []float64{90000}, []float64{30000}, ClaimSignificant, true},
		{"three against three can never reach p<0.05", []float64{90, 91, 92}, []float64{80, 81, 82}, ClaimInconclusive, false},
		{"significant but within the noise margin", []float64{1000, 1001, 1002, 1003, 1004}, []float64{990, 991, 992, 993, 994}, ClaimWithinNoise, false},
		{"same distribution", []float64{100, 103, 99, 101}, []float64{102, 98, 100, 101}, ClaimWithinNoise, false},
		{"a clear rise is no retrograde", []float64{100, 101, 99, 100}, []float64{150, 151, 149, 150}, ClaimSignificant, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps := append(trials(10, 10, tt.old...), trials(50, 10, tt.new...)...)
			levels := Levels(steps, judgeAll(steps))
			v := levels[1].Versus
			if v.Claim != tt.wantClaim || levels[1].Retrograde != tt.wantRetro {
				t.Errorf("claim %s retrograde %v (%s), want %s %v", v.Claim, levels[1].Retrograde, v.Text, tt.wantClaim, tt.wantRetro)
			}
		})
	}
}

// TestBreakFromOneTrial: absolute evidence is decisive from one trial, and
// the level says in how many trials it broke.
func TestBreakFromOneTrial(t *testing.T) {
	steps := trials(100, 10, 50000, 51000, 50500, 49800)
	broken := &steps[2]
	broken.Errors = map[string]int64{"too_many_open_files": broken.Requests / 2}
	broken.OK, broken.SuccessRate = broken.Requests/2, 0.5
	levels := Levels(steps, judgeAll(steps))
	l := levels[0]
	if l.State != Dropped || l.Limit != FD || l.Broke != 1 || !strings.Contains(l.Reason, "broke in 1 of 4 trials") {
		t.Fatalf("level %+v", l)
	}
	sum := Summarize(levels, FD, Setup{Variant: "nethttp", KeepAlive: true})
	if sum.BreakingPoint == nil || sum.Hypothesis != Confirmed || !strings.Contains(sum.Next, "limits.driver_nofile") {
		t.Errorf("summary %+v", sum)
	}
}

// TestIssueCases are the four cases the verdicts issue names, each with
// the root it must find.
func TestIssueCases(t *testing.T) {
	t.Run("retry storm: cpu is the root, the full accept queue its consequence", func(t *testing.T) {
		// net/http on one core, 0.5 ms of CPU per request, 400 keep-alive
		// clients with a 100 ms timeout.
		s := base()
		s.Clients, s.DurationS = 400, 5
		s.Requests, s.OK, s.RPS, s.SuccessRate = 9700, 245, 49, 0.0253
		s.Errors = map[string]int64{"read_timeout": 9453}
		s.Connects = 9853
		s.LatencyMS = Latency{P50: 95, P99: 99, Mean: 96}
		s.Server.Workers, s.Server.BusyWorkersMax, s.Server.QueueCap = 0, 0, 0
		s.Server.CPUPct, s.Server.CPUPerRequest, s.Server.Requests = 99, 500, 9900
		s.Server.HandlerMS = Latency{P50: 0.5, P99: 1.2, Mean: 0.55}
		s.Server.Backlog, s.Server.ListenQueueMax = 4096, 4097
		s.Kernel.ListenOverflows, s.Kernel.ListenDrops = Of(1872), Of(1872)
		j := Judge(s, 0.99)
		if j.State != Dropped || j.Limit != CPU || j.Resource != ServerCPU || !j.Diagnosis.RetryStorm {
			t.Fatalf("%s/%s (%s), storm %v\nevidence %q\nchain %q", j.State, j.Limit, j.Resource, j.Diagnosis.RetryStorm, j.Evidence, j.Chain)
		}
		contains(t, "chain", j.Chain, []string{"9,453 requests outlasted the timeout", "9,853 new connections",
			"filled the accept queue (4,097 of 4,096): ListenOverflows +1,872", "98% of its answers did not reach a client as ok"})
		for _, f := range j.Also {
			if f.Limit == Backlog {
				t.Errorf("the overflow is listed as a limit of its own: %+v", j.Also)
			}
		}
		levels := Levels([]Step{s}, []Judgment{j})
		sum := Summarize(levels, Backlog, Setup{Variant: "nethttp", KeepAlive: true})
		if sum.Hypothesis != Refuted || !strings.Contains(sum.Next, "retry storm") || strings.Contains(sum.Next, "raise server.backlog") {
			t.Errorf("summary %+v", sum)
		}
	})
	t.Run("a single step of a pool is judged on its own: queueing", func(t *testing.T) {
		// 100 clients, a pool of 8 workers, a 10 ms handler, a connection
		// per request: 700 rps, p99 167 ms, workers 8/8, queue full.
		s := base()
		s.Clients, s.RPS, s.Requests, s.OK, s.Connects = 100, 700, 2100, 2100, 2100
		s.LatencyMS = Latency{P50: 140, P99: 167, Mean: 142}
		s.Server.CPUPct, s.Server.Workers, s.Server.BusyWorkersMax, s.Server.QueueCap, s.Server.QueueMax = 12, 8, 8, 64, 64
		s.Server.HandlerMS = Latency{P50: 10.1, P99: 10.6, Mean: 10.2}
		s.Server.ListenQueueMax = 28
		j := Judge(s, 0.99)
		if j.State != Saturated || j.Limit != Queueing || j.Resource != Workers {
			t.Fatalf("%s/%s (%s)\nevidence %q", j.State, j.Limit, j.Resource, j.Evidence)
		}
		contains(t, "evidence", j.Evidence, []string{"workers busy 8/8", "queue 64/64", "latency 142 ms ≈ 100 clients / 700 rps = 143 ms (Little's law)"})
	})
	t.Run("the driver's descriptors: fd on the driver side, driver-side advice", func(t *testing.T) {
		s := base()
		s.Clients, s.OK, s.SuccessRate = 2000, 1000, 0.25
		s.Requests = 4000
		s.Errors["too_many_open_files"] = 3000
		s.Driver.NoFile, s.Driver.FDsMax = 1024, 1024
		j := Judge(s, 0.99)
		if j.State != Dropped || j.Limit != FD || j.Resource != DriverFDs {
			t.Fatalf("%s/%s (%s)", j.State, j.Limit, j.Resource)
		}
		sum := Summarize(Levels([]Step{s}, []Judgment{j}), FD, Setup{Variant: "gnet", KeepAlive: true})
		if !strings.Contains(sum.Next, "limits.driver_nofile") || strings.Contains(sum.Next, "(limits.nofile)") {
			t.Errorf("advice %q", sum.Next)
		}
	})
}

func TestAdviceNeverSuggestsTheVariantInUse(t *testing.T) {
	for _, v := range []string{"naive", "pool", "nethttp", "fasthttp", "gnet"} {
		got := Advise(CPU, ServerCPU, false, Setup{Variant: v, KeepAlive: true})
		if strings.Contains(got, v+" (") || strings.Contains(got, ", "+v+",") {
			t.Errorf("%s: %q", v, got)
		}
	}
	if got := Advise(CPU, ServerCPU, false, Setup{Variant: "fasthttp"}); !strings.Contains(got, "gnet") || strings.Contains(got, "fasthttp (") {
		t.Errorf("fasthttp: %q", got)
	}
}

func TestInDoubt(t *testing.T) {
	steps := append(trials(10, 10, 90000, 91000), trials(50, 10, 80000, 81500)...) // -11%, 2 vs 2: cannot tell yet
	steps = append(steps, trials(200, 10, 80500, 81000)...)                        // within the margin of 10's best? -11% too
	levels := Levels(steps, judgeAll(steps))
	got := InDoubt(levels)
	if len(got) != 3 || got[0] != 10 || got[1] != 50 || got[2] != 200 {
		t.Errorf("in doubt %v, want [10 50 200]", got)
	}
	// With 4 trials each the fall is significant: nothing is in doubt.
	steps = append(trials(10, 10, 90000, 91000, 90500, 89800), trials(50, 10, 80000, 81500, 80200, 80900)...)
	if got := InDoubt(Levels(steps, judgeAll(steps))); len(got) != 0 {
		t.Errorf("in doubt %v after 4 trials each", got)
	}
	// A change within the noise margin is not worth more trials.
	steps = append(trials(10, 10, 90000), trials(50, 10, 88000)...)
	if got := InDoubt(Levels(steps, judgeAll(steps))); len(got) != 0 {
		t.Errorf("in doubt %v for a 2%% change", got)
	}
}
