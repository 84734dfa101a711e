//go:build linux

package driver

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Run runs the load described by cfg and returns its summary. It returns an
// error only when the run could not happen (bad config, refused target,
// event-loop failure); failed requests are counted in the summary. Cancelling
// ctx ends the run early with EndedBy "canceled".
//
// Before any load socket exists, Run refuses (ErrRemoteTarget) a run whose
// targets are not all loopback unless Config.AllowRemote is set, the network
// namespace the sockets will live in (Config.NetnsFD's, else the calling
// thread's) has no interface but loopback up, or Config.NamespaceMark
// matches that namespace's mark (MarkNamespace).
func Run(ctx context.Context, cfg Config) (*Summary, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	targets := make([]Target, len(c.Targets))
	for i, raw := range c.Targets {
		if targets[i], err = ParseTarget(raw, c.AllowRemote); err != nil {
			return nil, fmt.Errorf("driver: %w", err)
		}
	}
	nsFD, release, err := guard(c, targets)
	if err != nil {
		return nil, err
	}
	defer release()
	r, err := prepare(c, newPlan(c, targets, nsFD))
	if err != nil {
		return nil, err
	}
	r.execute(ctx)
	t, err := r.merge()
	if err != nil {
		return nil, err
	}
	return r.summarize(t)
}

// execution is one run in progress and, once executed, how it ended.
type execution struct {
	c      Config
	p      *plan
	loops  []*loop
	cpus   int // CPUs the process may run on
	n      int // clients of this shard
	cpu    cpuSampler
	wall   time.Duration // when the loops ended, from p.base
	endCPU time.Duration // the process's CPU time then
	cpuErr error
	cancel atomic.Bool // ended by ctx
}

// prepare makes the event loops: one per CPU the process may use (or
// c.Loops), never more than the shard's clients.
func prepare(c Config, p *plan) (*execution, error) {
	lo, hi := c.Shard.clients(c.Clients)
	r := &execution{c: c, p: p, cpus: allowedCPUs(), n: hi - lo}
	loops := c.Loops
	if loops == 0 {
		loops = r.cpus
	}
	clients, origins := p.deal(c, min(loops, r.n))
	r.loops = make([]*loop, len(clients))
	for j := range r.loops {
		l, err := newLoop(p, clients[j], origins[j])
		if err != nil {
			for _, l := range r.loops[:j] {
				unix.Close(l.ep)
			}
			return nil, err
		}
		if c.H2C {
			l.h2 = newH2Loop(l, c)
		}
		r.loops[j] = l
	}
	return r, nil
}

// execute starts the loops, the CPU sampler, the progress reporter and the
// cancel watcher, and returns when the loops have ended.
func (r *execution) execute(ctx context.Context) {
	p := r.p
	p.base = time.Now()
	if !r.c.StartAt.IsZero() {
		// Every shard given this StartAt begins here, and its timeline
		// counts from it: a shard a little late (StartLate at most) has
		// a shorter first second, not a shifted timeline.
		if !sleepUntil(ctx, r.c.StartAt) {
			r.cancel.Store(true)
			p.stop.Store(true)
		}
		p.base = r.c.StartAt
	}
	var wg sync.WaitGroup
	for _, l := range r.loops {
		wg.Go(l.run)
	}
	finished := make(chan struct{})
	var helpers sync.WaitGroup
	helpers.Go(func() { r.cpu.run(p.base, r.c.Warmup, finished) })
	helpers.Go(func() {
		select {
		case <-ctx.Done():
			r.cancel.Store(true)
			p.stop.Store(true)
		case <-finished:
		}
	})
	if r.c.Progress != nil {
		helpers.Go(func() {
			reportProgress(r.c.Progress, p.base, time.Duration(p.measureStart), p.timeline, r.n, finished)
		})
	}
	wg.Wait()
	r.wall = time.Since(p.base)
	r.endCPU, r.cpuErr = processCPU()
	close(finished)
	helpers.Wait()
}

// sleepUntil waits until t; it reports false when ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// merge sums the loops' tallies; the first loop's histograms collect the
// others' (no extra copies).
func (r *execution) merge() (*tally, error) {
	var errs []error
	var total *tally
	for _, l := range r.loops {
		if l.st.err != nil {
			errs = append(errs, l.st.err)
			continue
		}
		if total == nil {
			total = l.st.tally()
		} else if err := total.add(l.st.tally()); err != nil {
			errs = append(errs, fmt.Errorf("driver: merge event loops: %w", err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return total, nil
}

// summarize writes the summary of an executed run with tally t.
func (r *execution) summarize(t *tally) (*Summary, error) {
	c, p := r.c, r.p
	endedBy, measuredEnd := r.ending()
	durationS := math.Max(float64(measuredEnd-p.measureStart)/1e9, 0)
	s := &Summary{
		Schema:       SummarySchema,
		RunID:        c.RunID,
		Targets:      append([]string(nil), c.Targets...),
		Method:       specOf(c).method,
		BodyBytes:    len(c.Body),
		Clients:      r.n,
		ClientsTotal: c.Clients,
		Shard:        c.Shard.String(),
		Shards:       c.Shard.Count,
		Mode:         "closed",
		Rate:         p.rate(c, r.n),
		Pipeline:     c.Pipeline,
		KeepAlive:    p.keepAlive,
		DurationS:    math.Round(durationS*1e6) / 1e6,
		EndedBy:      endedBy,
		MeasuredFrom: p.base.Add(time.Duration(p.measureStart)).UTC(),
		StartAt:      c.StartAt.UTC(),
		StartedAt:    p.base.UTC().Round(0),
	}
	if p.paced {
		s.Mode = "open"
	}
	seconds := int(math.Ceil(durationS - 1e-9))
	var err error
	if s.Timeline, err = p.timeline.entries(seconds, c.Shard.Count > 1 || c.SecondHistograms); err != nil {
		return nil, err
	}
	s.Driver = Usage{CPUs: r.cpus, Loops: len(r.loops), NoFile: noFile()}
	if r.cpuErr == nil {
		total, perSecond := r.cpu.usage(r.endCPU, time.Duration(measuredEnd-p.measureStart), seconds)
		s.Driver.CPUPct = total
		for k := range s.Timeline {
			s.Timeline[k].CPUPct = perSecond[k]
		}
	}
	if cur, peak, err := processRSS(); err == nil {
		s.Driver.RSSMB = math.Round(cur*10) / 10
		s.Driver.RSSPeakMB = math.Round(peak*10) / 10
	}
	if err := t.fill(s); err != nil {
		return nil, err
	}
	if s.H2, err = r.h2Summary(durationS); err != nil {
		return nil, err
	}
	return s, nil
}

// ending tells why the run ended and when its measured period did (ns
// since base): at the planned end, or earlier when it was canceled, or when
// every client finished its requests.
func (r *execution) ending() (endedBy string, measuredEnd int64) {
	p := r.p
	measuredEnd = min(int64(r.wall), p.end)
	allDone := true
	var lastEvent int64
	for _, l := range r.loops {
		allDone = allDone && l.active == 0
		lastEvent = max(lastEvent, l.st.lastEvent)
	}
	switch {
	case r.cancel.Load():
		return "canceled", measuredEnd
	case allDone && r.c.RequestsPerClient > 0:
		return "requests", min(measuredEnd, max(lastEvent, p.measureStart))
	}
	return "duration", measuredEnd
}
