//go:build linux

package driver

import (
	"bytes"
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
	inLab, err := inLabNamespace(c.NetnsFD)
	if err != nil {
		return nil, err
	}
	if err := checkTargets(targets, inLab, c.AllowRemote); err != nil {
		return nil, err
	}

	lo, hi := c.Shard.clients(c.Clients)
	n := hi - lo
	cpus := allowedCPUs()
	loops := c.Loops
	if loops == 0 {
		loops = cpus
	}
	loops = min(loops, n)
	pacer := c.Pacer
	if pacer == nil {
		pacer = PerConnection(c.Rate, c.Clients)
	}
	_, paced := pacer.Due(0)

	p := &plan{
		targets:      targets,
		depth:        uint32(c.Pipeline),
		keepAlive:    !c.DisableKeepAlive,
		pacer:        pacer,
		paced:        paced,
		perClient:    uint32(c.RequestsPerClient),
		timeout:      int64(c.Timeout),
		connTimeout:  int64(c.ConnectTimeout),
		sweepEvery:   int64(min(max(min(c.Timeout, c.ConnectTimeout)/20, time.Millisecond), maxPoll)),
		measureStart: int64(c.Warmup),
		end:          int64(c.Warmup + c.Duration),
		netnsFD:      c.NetnsFD,
		stop:         new(atomic.Bool),
		timeline:     &timeline{},
	}
	for _, t := range targets {
		sa, family := sockaddrOf(t)
		p.sockaddrs = append(p.sockaddrs, sa)
		p.families = append(p.families, family)
		req := t.request(p.keepAlive)
		p.reqs = append(p.reqs, bytes.Repeat(req, c.Pipeline))
		p.reqLen = append(p.reqLen, uint32(len(req)))
	}

	// Clients are dealt to loops round-robin so a ramp spreads over all of
	// them; each starts after its share of the ramp (and, in an open loop,
	// a phase within one interval so sends do not bunch up).
	perLoop := make([][]int, loops)
	origins := make([][]int64, loops)
	for g := lo; g < hi; g++ {
		j := (g - lo) % loops
		origin := int64(c.Ramp) * int64(g) / int64(c.Clients)
		if cr, ok := pacer.(ConstantRate); ok {
			origin += int64(cr.Interval) * int64(g) / int64(c.Clients)
		}
		perLoop[j] = append(perLoop[j], g)
		origins[j] = append(origins[j], origin)
	}

	ls := make([]*loop, loops)
	for j := range ls {
		if ls[j], err = newLoop(p, perLoop[j], origins[j]); err != nil {
			for _, l := range ls[:j] {
				unix.Close(l.ep)
			}
			return nil, err
		}
	}
	p.base = time.Now()
	var wg sync.WaitGroup
	for j := range ls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ls[j].run()
		}()
	}
	finished := make(chan struct{})
	var cpu cpuSampler
	samplerDone := make(chan struct{})
	go func() {
		defer close(samplerDone)
		cpu.run(p.base, c.Warmup, finished)
	}()
	var canceled atomic.Bool
	go func() {
		select {
		case <-ctx.Done():
			canceled.Store(true)
			p.stop.Store(true)
		case <-finished:
		}
	}()
	progressDone := make(chan struct{})
	if c.Progress != nil {
		go func() {
			defer close(progressDone)
			reportProgress(c.Progress, p, n, finished)
		}()
	} else {
		close(progressDone)
	}
	wg.Wait()
	endWall := time.Since(p.base)
	endCPU, cpuErr := processCPU()
	close(finished)
	<-progressDone
	<-samplerDone

	// Merge the loops.
	// The first loop's histograms collect the others' (no extra copies).
	st := loopStats{lat: ls[0].st.lat, conn: ls[0].st.conn, other: map[string]uint64{}}
	var loopErrs []error
	allDone := true
	for _, l := range ls {
		if l.st.err != nil {
			loopErrs = append(loopErrs, l.st.err)
		}
		if l.active > 0 {
			allDone = false
		}
		st.ok += l.st.ok
		st.warmup += l.st.warmup
		st.unfinished += l.st.unfinished
		st.starved += l.st.starved
		st.connectsAttempted += l.st.connectsAttempted
		st.connectsOK += l.st.connectsOK
		for s := range l.st.errs {
			for k := range l.st.errs[s] {
				st.errs[s][k] += l.st.errs[s][k]
			}
		}
		for k, v := range l.st.other {
			st.other[k] += v
		}
		if l != ls[0] {
			st.lat.Merge(l.st.lat)
			st.conn.Merge(l.st.conn)
		}
		st.lastEvent = max(st.lastEvent, l.st.lastEvent)
	}
	if len(loopErrs) > 0 {
		return nil, errors.Join(loopErrs...)
	}

	endedBy := "duration"
	measuredEnd := min(int64(endWall), p.end)
	switch {
	case canceled.Load():
		endedBy = "canceled"
	case allDone && c.RequestsPerClient > 0:
		endedBy = "requests"
		measuredEnd = min(measuredEnd, max(st.lastEvent, p.measureStart))
	}
	durationS := math.Max(float64(measuredEnd-p.measureStart)/1e9, 0)

	s := &Summary{
		Schema:            SummarySchema,
		Targets:           append([]string(nil), c.Targets...),
		Clients:           n,
		ClientsTotal:      c.Clients,
		Shard:             c.Shard.String(),
		Shards:            c.Shard.Count,
		Mode:              "closed",
		Pipeline:          c.Pipeline,
		KeepAlive:         p.keepAlive,
		DurationS:         math.Round(durationS*1e6) / 1e6,
		EndedBy:           endedBy,
		OK:                st.ok,
		WarmupRequests:    st.warmup,
		Unfinished:        st.unfinished,
		ClientsStarved:    int(st.starved),
		ConnectsAttempted: st.connectsAttempted,
		ConnectsOK:        st.connectsOK,
		LatencyMs:         latencyOf(st.lat),
		ConnectMs:         connectOf(st.conn),
		Errors:            map[string]uint64{},
		ErrorsByStep:      map[string]map[string]uint64{},
	}
	if paced {
		s.Mode = "open"
		s.Rate = c.Rate * float64(n) / float64(c.Clients)
		if cr, ok := pacer.(ConstantRate); ok && c.Rate == 0 && cr.Interval > 0 {
			s.Rate = float64(n) * float64(time.Second) / float64(cr.Interval)
		}
	}
	for k, name := range classNames {
		s.Errors[name] = 0
		for step := Step(0); step < numSteps; step++ {
			if v := st.errs[step][k]; v > 0 {
				s.Errors[name] += v
				addByStep(s.ErrorsByStep, step.String(), name, v)
			}
		}
	}
	for name, v := range st.other {
		s.Errors[name] += v
		addByStep(s.ErrorsByStep, stepOfOther(name), name, v)
	}
	seconds := int(math.Ceil(durationS - 1e-9))
	if s.Timeline, err = p.timeline.entries(seconds, c.Shard.Count > 1); err != nil {
		return nil, err
	}
	if s.Histogram, err = encodeHist(st.lat); err != nil {
		return nil, err
	}
	if s.ConnectHistogram, err = encodeHist(st.conn); err != nil {
		return nil, err
	}
	s.Driver = Usage{CPUs: cpus, Loops: loops, NoFile: noFile()}
	if cpuErr == nil {
		total, perSecond := cpu.usage(endCPU, time.Duration(measuredEnd-p.measureStart), seconds)
		s.Driver.CPUPct = total
		for k := range s.Timeline {
			s.Timeline[k].CPUPct = perSecond[k]
		}
	}
	if cur, peak, err := processRSS(); err == nil {
		s.Driver.RSSMB = math.Round(cur*10) / 10
		s.Driver.RSSPeakMB = math.Round(peak*10) / 10
	}
	s.finish()
	return s, nil
}

func addByStep(m map[string]map[string]uint64, step, class string, v uint64) {
	if m[step] == nil {
		m[step] = map[string]uint64{}
	}
	m[step][class] += v
}

// stepOfOther recovers the step from an "other_<ERRNO>_<step>" name.
func stepOfOther(name string) string {
	for s := Step(0); s < numSteps; s++ {
		if len(name) > len(s.String()) && name[len(name)-len(s.String())-1:] == "_"+s.String() {
			return s.String()
		}
	}
	return "unknown"
}

func sockaddrOf(t Target) (unix.Sockaddr, int) {
	a := t.Addr.Addr()
	if a.Is4() {
		return &unix.SockaddrInet4{Port: int(t.Addr.Port()), Addr: a.As4()}, unix.AF_INET
	}
	return &unix.SockaddrInet6{Port: int(t.Addr.Port()), Addr: a.As16()}, unix.AF_INET6
}
