//go:build linux

package runner

import (
	"context"
	"fmt"
	"io"

	"golang.org/x/sys/unix"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/phases"
	"github.com/scalelab/scalelab/scorecards"
	"github.com/scalelab/scalelab/units"
)

// maxVerifyRuns bounds the re-runs a verification may take.
const maxVerifyRuns = 2

// intervention is one way to put a verdict to the test: the phases to run
// the step with (one for a lift, the suspect's and the other side's
// squeeze for a squeeze) and what each changes.
type intervention struct {
	kind    string // "lift" or "squeeze"
	phases  []*phases.Phase
	changes []string
	// why is set when the resource cannot be verified this way.
	why string
}

// verify runs the deciding step again with its root limit lifted (or its
// side squeezed) and records whether the verdict held; a refuted verdict
// moves to the next candidate of the step, within maxVerifyRuns re-runs.
func (r *run) verify(ctx context.Context) {
	l, st, ok := r.decidingStep()
	if !ok {
		r.card.Verification = append(r.card.Verification, scorecards.Verification{
			Outcome: attrib.NotVerifiable, Limit: attrib.None, Why: "no step broke and no resource ran out: there is no verdict to test"})
		return
	}
	budget := maxVerifyRuns
	for _, res := range candidates(st) {
		plan := r.plan(res, l.Clients, st)
		v := scorecards.Verification{Clients: l.Clients, Limit: res.Limit(), Resource: res, Kind: plan.kind}
		if plan.why == "" && len(plan.phases) > budget {
			plan.why = fmt.Sprintf("it needs %d re-runs and %d are left of the %d a verification may take", len(plan.phases), budget, maxVerifyRuns)
		}
		if plan.why != "" {
			v.Outcome, v.Why = attrib.NotVerifiable, plan.why
			r.card.Verification = append(r.card.Verification, v)
			return
		}
		budget -= len(plan.phases)
		for i, p := range plan.phases {
			fmt.Fprintf(r.log, "  verify %s at %s: %s ... ", res, units.Clients(l.Clients), plan.changes[i])
			run, ok := r.rerun(ctx, p, l.Clients, len(r.card.Verification)*maxVerifyRuns+i)
			if !ok {
				v.Outcome, v.Why = attrib.NotVerifiable, "the re-run could not be measured: "+run.Change
				break
			}
			run.Change = plan.changes[i]
			v.Runs = append(v.Runs, run)
			fmt.Fprintf(r.log, "%s rps, %s ok [%s: %s]\n", units.Rate(float64(run.RPS)), units.Pct(float64(run.SuccessRate)), run.State, run.Verdict.Limit)
		}
		if v.Outcome == "" {
			v.Outcome, v.Why = r.judgeVerification(plan, res, st, v.Runs)
		}
		fmt.Fprintf(r.log, "  verification of %s: %s: %s\n", res, v.Outcome, v.Why)
		r.card.Verification = append(r.card.Verification, v)
		if v.Outcome != attrib.RefutedBy || ctx.Err() != nil || budget == 0 {
			return
		}
	}
}

// decidingStep is the level that decides the phase (the breaking point,
// else the first saturated level) and its representative trial.
func (r *run) decidingStep() (attrib.Level, scorecards.Step, bool) {
	var decisive *attrib.Level
	for i, l := range r.card.Levels {
		if l.State == attrib.Dropped {
			decisive = &r.card.Levels[i]
			break
		}
		if l.State == attrib.Saturated && decisive == nil {
			decisive = &r.card.Levels[i]
		}
	}
	if decisive == nil || decisive.Resource == "" {
		return attrib.Level{}, scorecards.Step{}, false
	}
	for _, st := range r.card.Steps {
		if st.Judged() && st.Clients == decisive.Clients && st.Verdict.Resource == decisive.Resource {
			return *decisive, st, true
		}
	}
	return attrib.Level{}, scorecards.Step{}, false
}

// candidates lists the resources a step's verdict may rest on: its root,
// then the other resources that ran out on their own.
func candidates(st scorecards.Step) []attrib.Resource {
	out := []attrib.Resource{st.Verdict.Resource}
	for _, u := range st.USE() {
		if u.Saturated && u.Resource != st.Verdict.Resource {
			out = append(out, u.Resource)
		}
	}
	return out
}

// rerun measures the step of clients once more with phase p.
func (r *run) rerun(ctx context.Context, p *phases.Phase, clients, index int) (scorecards.VerifyRun, bool) {
	env := *r.env
	env.phase = p
	env.applied = newApplied() // a re-run's limits are its own; the run's record stays the run's
	m := runStep(ctx, &env, clients, 1, 1000+index, io.Discard)
	if m.Driver == nil || m.Err != nil {
		why := "no measurement"
		if m.Err != nil {
			why = m.Err.Error()
		}
		return scorecards.VerifyRun{Change: why}, false
	}
	st := measuredStep(m)
	j := attrib.Judge(st, p.SuccessThreshold)
	return scorecards.VerifyRun{Step: st, State: j.State, Verdict: j.Verdict, Warnings: m.Warnings}, true
}

// judgeVerification says what the re-runs show of the verdict.
func (r *run) judgeVerification(plan intervention, res attrib.Resource, before scorecards.Step, runs []scorecards.VerifyRun) (attrib.VerifyOutcome, string) {
	if plan.kind == "squeeze" {
		return attrib.JudgeSqueeze(res, before.Step, runs[0].Step, runs[1].Step)
	}
	out, why := attrib.JudgeLift(res, before.Step, runs[0].Step, r.phase.SuccessThreshold)
	switch {
	case res == attrib.Ports && out == attrib.Verified && r.phase.Verify.Port == "hosts":
		why += "; " + hostsArithmetic(before.Step, runs[0].Step)
	case res == attrib.Ports && out == attrib.Verified:
		why += "; " + portArithmetic(before)
	}
	return out, why
}

// hostsArithmetic says why more client hosts lift the port limit: every
// client address has its own ephemeral ports, so hosts × range / 60 s of
// TIME_WAIT sustain that many new connections a second.
func hostsArithmetic(before, after attrib.Step) string {
	var ports int64
	for _, h := range after.Hosts {
		ports += h.PortRangeSize
	}
	if ports == 0 || before.DurationS <= 0 || len(after.Hosts) == 0 {
		return "the hosts' port ranges were not read"
	}
	rate := float64(before.Connects) / float64(before.DurationS)
	per := ports / int64(len(after.Hosts))
	text := fmt.Sprintf("%s hosts x %s ports / 60 s sustain %s new connections a second against the %s the step opened",
		units.Int(len(after.Hosts)), units.Int(per), units.Rate(float64(ports)/attrib.TimeWaitSeconds), units.Rate(rate))
	if secs := attrib.ExhaustionSeconds(ports, rate); secs < 1e9 {
		return text + fmt.Sprintf(": they postpone the limit to about %.0f s, %s times as long as one host", secs, units.Int(len(after.Hosts)))
	}
	return text + ": at this rate the ports never run out"
}

// portArithmetic says how long the port range lasts at the step's rate of
// new connections: a wider range only postpones the limit.
func portArithmetic(st scorecards.Step) string {
	ports := attrib.N(st.Kernel.PortRangeSize)
	if ports == 0 || st.DurationS <= 0 {
		return "the port range was not read"
	}
	rate := float64(st.Connects) / float64(st.DurationS)
	secs := attrib.ExhaustionSeconds(ports, rate)
	if secs > 1e9 {
		return fmt.Sprintf("%s ports / 60 s sustain %s new connections a second, more than the %s the step opened: the range would not run out",
			units.Int(ports), units.Rate(float64(ports)/attrib.TimeWaitSeconds), units.Rate(rate))
	}
	return fmt.Sprintf("%s ports / 60 s sustain %s new connections a second against the %s the step opened: any range runs out at this rate, this one in about %.0f s, so only reuse (or keep-alive) lifts it",
		units.Int(ports), units.Rate(float64(ports)/attrib.TimeWaitSeconds), units.Rate(rate), secs)
}

// plan chooses the intervention on res for a step of clients.
func (r *run) plan(res attrib.Resource, clients int, st scorecards.Step) intervention {
	p := r.phase
	lift := func(change string, edit func(q *phases.Phase)) intervention {
		q := clonePhase(p)
		edit(q)
		return intervention{kind: "lift", phases: []*phases.Phase{q}, changes: []string{change}}
	}
	switch res {
	case attrib.ServerFDs:
		n := coverFDs(clients, p.Limits.NoFile)
		return lift(fmt.Sprintf("limits.nofile %s -> %s", units.Int(st.Server.NoFile), units.Int(n)), func(q *phases.Phase) { q.Limits.NoFile = n })
	case attrib.DriverFDs:
		n := coverFDs(clients, p.Limits.DriverNoFile)
		return lift(fmt.Sprintf("limits.driver_nofile %s -> %s", units.Int(p.Limits.DriverNoFile), units.Int(n)), func(q *phases.Phase) { q.Limits.DriverNoFile = n })
	case attrib.Ports:
		if p.Verify.Port == "hosts" {
			n := p.Verify.Hosts
			return lift(fmt.Sprintf("driver.hosts %s -> %s (the same load from %s client addresses, each with ephemeral ports of its own)",
				units.Int(max(p.Driver.Hosts, 1)), units.Int(n), units.Int(n)),
				func(q *phases.Phase) { q.Driver.Hosts = n })
		}
		if p.Verify.Port == "range" {
			return lift("limits.port_range -> [1024, 65535]", func(q *phases.Phase) { q.Limits.PortRange = phases.PortRange{1024, 65535} })
		}
		one := 1
		return lift("limits.tcp_tw_reuse -> 1 (the kernel may reuse TIME_WAIT ports)", func(q *phases.Phase) { q.Limits.TCPTwReuse = &one })
	case attrib.AcceptQueue:
		b, s := 8*p.Server.Backlog, 8*max(p.Limits.SoMaxConn, st.Server.Backlog)
		return lift(fmt.Sprintf("server.backlog %s -> %s, limits.somaxconn -> %s", units.Int(p.Server.Backlog), units.Int(b), units.Int(s)),
			func(q *phases.Phase) { q.Server.Backlog, q.Limits.SoMaxConn = b, s })
	case attrib.Workers, attrib.PoolQueue:
		if !p.Server.Variant.HasWorkers() {
			return intervention{why: "the variant has no pool of workers to enlarge"}
		}
		w := max(p.Server.Workers, clients)
		return lift(fmt.Sprintf("server.workers %s -> %s, server.queue -> %s", units.Int(p.Server.Workers), units.Int(w), units.Int(max(p.Server.Queue, clients))),
			func(q *phases.Phase) { q.Server.Workers, q.Server.Queue = w, max(p.Server.Queue, clients) })
	case attrib.DriverCPU:
		if p.Limits.DriverCPU > 0 {
			return lift(fmt.Sprintf("limits.driver_cpu %v -> none (the driver's cap removed)", p.Limits.DriverCPU), func(q *phases.Phase) { q.Limits.DriverCPU = 0 })
		}
		return r.squeeze(true)
	case attrib.ServerCPU:
		if p.Limits.ServerCPU > 0 {
			return lift(fmt.Sprintf("limits.server_cpu %v -> none (the server's cap removed)", p.Limits.ServerCPU), func(q *phases.Phase) { q.Limits.ServerCPU = 0 })
		}
		return r.squeeze(false)
	}
	return intervention{why: fmt.Sprintf("the lab has no knob that lifts %s alone", res)}
}

// squeeze caps the suspected side at half a core, then the other side.
func (r *run) squeeze(driverSuspect bool) intervention {
	s, o := clonePhase(r.phase), clonePhase(r.phase)
	if driverSuspect {
		s.Limits.DriverCPU, o.Limits.ServerCPU = attrib.SqueezeShare, attrib.SqueezeShare
		return intervention{kind: "squeeze", phases: []*phases.Phase{s, o},
			changes: []string{"limits.driver_cpu -> 0.5 (the suspect squeezed)", "limits.server_cpu -> 0.5 (the other side squeezed)"}}
	}
	s.Limits.ServerCPU, o.Limits.DriverCPU = attrib.SqueezeShare, attrib.SqueezeShare
	return intervention{kind: "squeeze", phases: []*phases.Phase{s, o},
		changes: []string{"limits.server_cpu -> 0.5 (the suspect squeezed)", "limits.driver_cpu -> 0.5 (the other side squeezed)"}}
}

// coverFDs is a descriptor limit that covers clients connections with room
// to spare, within this process's hard limit.
func coverFDs(clients, current int) int {
	n := max(2*clients+256, 4*current)
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &lim) == nil && uint64(n) > lim.Max {
		n = int(lim.Max)
	}
	return n
}

// clonePhase copies a phase deeply enough to edit its knobs.
func clonePhase(p *phases.Phase) *phases.Phase {
	q := *p
	q.Sweep.Clients = append([]int(nil), p.Sweep.Clients...)
	if p.Limits.TCPTwReuse != nil {
		v := *p.Limits.TCPTwReuse
		q.Limits.TCPTwReuse = &v
	}
	if p.Limits.SynCookies != nil {
		v := *p.Limits.SynCookies
		q.Limits.SynCookies = &v
	}
	q.Driver.Targets = append([]string(nil), p.Driver.Targets...)
	return &q
}
