package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/scalelab/scalelab/driver"
)

func init() {
	commands["load"] = command{summary: "drive HTTP/1.1 load at URLs and summarize it", run: runLoad}
}

// hiddenLoadFlags are flags for tests and profiling, left out of the usage text.
var hiddenLoadFlags = map[string]string{
	"nofile":     "set the driver's own RLIMIT_NOFILE (soft and hard) to N before the run (tests use it to induce EMFILE)",
	"cpuprofile": "write a CPU profile of the run to this file",
}

// loadOptions are the parsed flags of `scalelab load`.
type loadOptions struct {
	cfg        driver.Config
	json       bool
	quiet      bool
	out        string
	nofile     uint64
	cpuprofile string
}

func parseLoadFlags(args []string, stderr io.Writer) (*loadOptions, error) {
	fs := newFlagSet("load", "URL... [flags]", stderr)
	o := &loadOptions{}
	c := &o.cfg
	fs.IntVar(&c.Clients, "clients", driver.DefaultClients, "concurrent connections (over all shards)")
	fs.DurationVar(&c.Duration, "duration", 0, "measured period after the warmup (default 10s; with --requests-per-client, the run's time limit, default 10m)")
	fs.IntVar(&c.RequestsPerClient, "requests-per-client", 0, "end each client after this many measured requests (0: end by --duration)")
	fs.Float64Var(&c.Rate, "rate", 0, "open loop: total requests per second, latency from the intended send time (0: closed loop)")
	fs.IntVar(&c.Pipeline, "pipeline", driver.DefaultPipeline, "requests in flight per connection")
	keepAlive := fs.Bool("keepalive", true, "reuse connections; false: one request per connection, the client closes first (fills TIME_WAIT)")
	fs.DurationVar(&c.Ramp, "ramp", 0, "stagger connection starts over this period")
	fs.DurationVar(&c.Warmup, "warmup", 0, "run this long before measuring; its numbers are discarded")
	fs.DurationVar(&c.Timeout, "timeout", driver.DefaultTimeout, "per request, from its send to the end of its answer")
	fs.DurationVar(&c.ConnectTimeout, "connect-timeout", 0, "per connect (default: --timeout)")
	fs.BoolVar(&c.AllowRemote, "allow-remote", false, "allow targets outside loopback and lab namespaces (and host names)")
	shard := fs.String("shard", "", "run slice i of N of the clients (i/N); merge the shards' JSON with 'scalelab merge'")
	fs.IntVar(&c.Loops, "loops", 0, "event loops (default: one per CPU the process may use)")
	fs.BoolVar(&o.json, "json", false, "print the summary as JSON (schema scalelab/load/v1)")
	fs.BoolVar(&o.quiet, "quiet", false, "no live progress line")
	fs.StringVar(&o.out, "out", "", "also write the JSON summary to this file (for shards)")
	fs.Uint64Var(&o.nofile, "nofile", 0, hiddenLoadFlags["nofile"])
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", hiddenLoadFlags["cpuprofile"])
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: scalelab load URL... [flags]\n\n")
		fmt.Fprintf(stderr, "Drives HTTP/1.1 load at the URLs (clients spread over them round-robin) and\n")
		fmt.Fprintf(stderr, "prints a summary: latency and connect-time percentiles, errors by class, rps.\n")
		fmt.Fprintf(stderr, "Targets must be loopback or inside a lab network namespace unless --allow-remote.\n\nflags:\n")
		fs.VisitAll(func(f *flag.Flag) {
			if _, hidden := hiddenLoadFlags[f.Name]; hidden {
				return
			}
			typ, usage := flag.UnquoteUsage(f)
			fmt.Fprintf(stderr, "  %s\n    \t%s", strings.TrimSpace("--"+f.Name+" "+typ), usage)
			if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "0s" && f.DefValue != "false" {
				fmt.Fprintf(stderr, " (default %s)", f.DefValue)
			}
			fmt.Fprintln(stderr)
		})
	}
	// Flags may come before and after the URLs.
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			return nil, err
		}
		rest = fs.Args()
		for len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
			c.Targets = append(c.Targets, rest[0])
			rest = rest[1:]
		}
		if len(rest) == 0 {
			break
		}
	}
	if len(c.Targets) == 0 {
		fs.Usage()
		return nil, fmt.Errorf("load: no target URL given")
	}
	c.DisableKeepAlive = !*keepAlive
	if *shard != "" {
		s, err := driver.ParseShard(*shard)
		if err != nil {
			return nil, fmt.Errorf("load: --shard: %w", err)
		}
		c.Shard = s
	}
	checks := []struct {
		bad  bool
		flag string
		msg  string
	}{
		{c.Clients < 1, "clients", "must be at least 1"},
		{c.Duration < 0, "duration", "must not be negative"},
		{c.RequestsPerClient < 0, "requests-per-client", "must not be negative"},
		{c.Rate < 0, "rate", "must not be negative"},
		{c.Pipeline < 1, "pipeline", "must be at least 1"},
		{c.DisableKeepAlive && c.Pipeline > 1, "pipeline", "needs --keepalive (one request per connection without it)"},
		{c.Ramp < 0, "ramp", "must not be negative"},
		{c.Warmup < 0, "warmup", "must not be negative"},
		{c.Timeout < time.Millisecond, "timeout", "must be at least 1ms"},
		{c.ConnectTimeout < 0, "connect-timeout", "must not be negative"},
		{c.Loops < 0, "loops", "must not be negative"},
	}
	for _, ch := range checks {
		if ch.bad {
			return nil, fmt.Errorf("load: --%s %s", ch.flag, ch.msg)
		}
	}
	for _, raw := range c.Targets {
		if _, err := driver.ParseTarget(raw, c.AllowRemote); err != nil {
			return nil, fmt.Errorf("load: %w", err)
		}
	}
	return o, nil
}

func runLoad(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	o, err := parseLoadFlags(args, stderr)
	if err != nil {
		return err
	}
	if o.nofile > 0 {
		lim := unix.Rlimit{Cur: o.nofile, Max: o.nofile}
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
			return fmt.Errorf("load: --nofile %d: %w", o.nofile, err)
		}
	}
	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return fmt.Errorf("load: --cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("load: --cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if !o.quiet && isTerminal(stderr) {
		o.cfg.Progress = stderr
	}
	sum, err := driver.Run(ctx, o.cfg)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	if o.out != "" {
		b, err := json.MarshalIndent(sum, "", "  ")
		if err != nil {
			return fmt.Errorf("load: encode summary: %w", err)
		}
		if err := os.WriteFile(o.out, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("load: --out: %w", err)
		}
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			return fmt.Errorf("load: write summary: %w", err)
		}
		return nil
	}
	return writeSummary(stdout, sum)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// writeSummary prints a summary the way wrk does, plus the error classes.
func writeSummary(w io.Writer, s *driver.Summary) error {
	var b strings.Builder
	mode := "closed loop"
	if s.Mode == "open" {
		mode = fmt.Sprintf("open loop at %.0f req/s", s.Rate)
	}
	ka := "keep-alive"
	if !s.KeepAlive {
		ka = "no keep-alive (client closes)"
	}
	fmt.Fprintf(&b, "%.2fs load @ %s\n", s.DurationS, strings.Join(s.Targets, " "))
	fmt.Fprintf(&b, "  %d clients (shard %s), %s, %s, pipeline %d, %d event loops\n",
		s.Clients, s.Shard, mode, ka, s.Pipeline, s.Driver.Loops)
	l := s.LatencyMs
	fmt.Fprintf(&b, "  Latency  p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  mean %s\n",
		ms(l.P50), ms(l.P90), ms(l.P99), ms(l.P999), ms(l.Max), ms(l.Mean))
	cn := s.ConnectMs
	fmt.Fprintf(&b, "  Connect  p50 %s  p99 %s  max %s  (%d of %d connects ok)\n",
		ms(cn.P50), ms(cn.P99), ms(cn.Max), s.ConnectsOK, s.ConnectsAttempted)
	fmt.Fprintf(&b, "  %d requests in %.2fs: %d ok, %d failed (%.2f%% success), %d unfinished, %d in warmup\n",
		s.Requests, s.DurationS, s.OK, s.Failed, s.SuccessRate*100, s.Unfinished, s.WarmupRequests)
	fmt.Fprintf(&b, "Requests/sec: %.1f\n", s.RPS)
	if s.Failed > 0 {
		b.WriteString("Errors:\n")
		steps := make([]string, 0, len(s.ErrorsByStep))
		for st := range s.ErrorsByStep {
			steps = append(steps, st)
		}
		sort.Strings(steps)
		for _, st := range steps {
			classes := make([]string, 0, len(s.ErrorsByStep[st]))
			for c := range s.ErrorsByStep[st] {
				classes = append(classes, c)
			}
			sort.Strings(classes)
			for _, c := range classes {
				fmt.Fprintf(&b, "  %-22s %10d  (at %s)\n", c, s.ErrorsByStep[st][c], st)
			}
		}
	}
	fmt.Fprintf(&b, "Driver: %.1f%% of one core, RSS %.1f MB (peak %.1f MB), %d CPUs allowed\n",
		s.Driver.CPUPct, s.Driver.RSSMB, s.Driver.RSSPeakMB, s.Driver.CPUs)
	_, err := io.WriteString(w, b.String())
	return err
}

func ms(v float64) string {
	switch {
	case v >= 1000:
		return fmt.Sprintf("%.2fs", v/1000)
	case v >= 1:
		return fmt.Sprintf("%.2fms", v)
	default:
		return fmt.Sprintf("%.0fus", v*1000)
	}
}
