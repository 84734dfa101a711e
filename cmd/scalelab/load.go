package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime/pprof"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/scalelab/scalelab/driver"
	"github.com/scalelab/scalelab/driver/threshold"
	"github.com/scalelab/scalelab/internal/atomicfile"
	"github.com/scalelab/scalelab/internal/boundedread"
	"github.com/scalelab/scalelab/units"
)

func init() {
	register(&command{
		name:    "load",
		summary: "drive HTTP/1.1 load at URLs and summarize it (the numbers wrk prints, and why requests failed)",
		usage: []string{
			"[flags] URL...",
			"--config FILE|- [--quiet] [--out FILE] [--threshold EXPR]...",
		},
		about: `Drives HTTP/1.1 load at the URLs (clients spread over them round-robin) and
prints a summary: latency percentiles (p50, p95, p99 ...; --latency for the
whole spectrum), responses per second of any status and of ok ones, status
codes, bytes, connect times, and every failed request by error class and
stage. Targets must be loopback or inside a lab network namespace unless
--allow-remote. Every run ends by time and by count.`,
		footer: `Thresholds (--threshold, repeatable) are checked against the run: METRIC OP VALUE
with OP one of < <= > >= and metrics success, errors (percent: 99.9%),
rps (ok responses/s), responses_rps, p50 p75 p90 p95 p99 p99.9 p99.99 max mean
(times: 250us, 10ms, 1s). Without any, load fails when no request succeeded.

Examples:
  scalelab load -c 100 -d 10s http://127.0.0.1:8080/
  scalelab load -c 200 -R 20000 -d 30s --latency http://127.0.0.1:8080/
  scalelab load -m POST -H 'Content-Type: application/json' --body '{"a":1}' http://127.0.0.1:8080/echo
  scalelab load -c 100 -d 10s --threshold 'success>=99.9%' --threshold 'p99<10ms' http://127.0.0.1:8080/

Exit status: 0 ok; 1 a threshold failed (without thresholds: no request
succeeded); 2 usage or configuration error; 3 the run could not happen (no
connection was ever made, the driver failed); 4 interrupted.`,
		setup: setupLoad,
	})
}

// hiddenLoadFlags are flags for tests and profiling, left out of the help.
var hiddenLoadFlags = []string{"nofile", "cpuprofile"}

// withConfigFlags are the flags that may accompany --config: they shape the
// output, the checks and the process, not the load.
// --shard and --start-at choose a slice and a start for one shard of a
// configuration shared by all (a Kubernetes Indexed Job's ConfigMap).
var withConfigFlags = map[string]bool{"config": true, "quiet": true, "json": true, "format": true, "out": true,
	"nofile": true, "cpuprofile": true, "threshold": true, "latency": true, "run-id": true, "shard": true, "start-at": true}

// loadOptions are the parsed flags of `scalelab load`.
type loadOptions struct {
	cfg        driver.Config
	keepAlive  bool
	shard      string
	startAt    string
	json       bool
	format     string
	latency    bool
	quiet      bool
	out        string
	nofile     uint64
	cpuprofile string
	config     string
	bodyFile   string
	thresholds []string
	hlog       string
}

func setupLoad(fs *pflag.FlagSet) runFunc {
	o := &loadOptions{keepAlive: true}
	c := &o.cfg
	loadShapeFlags(fs, o)
	fs.StringArrayVar(&o.thresholds, "threshold", nil, "fail (exit 1) unless `EXPR` holds, e.g. 'p99<10ms' (repeatable; see below)")
	fs.BoolVar(&o.latency, "latency", false, "print the latency percentile spectrum (as wrk2 does: 50 to 100%, and HdrHistogram's detail)")
	fs.StringVarP(&o.format, "format", "o", "text", "output `FORMAT`: text, json (schema scalelab/load/v1), jsonl (the same JSON on one line) or csv (a header and one row)")
	fs.StringVar(&o.hlog, "hlog", "", "also write the latency as an HdrHistogram interval log, one interval per second, to `FILE` (HistogramLogAnalyzer reads it)")
	fs.BoolVar(&o.json, "json", false, "the same as --format json")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "no live progress line")
	fs.StringVar(&o.out, "out", "", "also write the JSON summary to `FILE` (for shards)")
	fs.BoolVar(&c.AllowRemote, "allow-remote", false, "allow targets outside loopback and lab namespaces (and host names)")
	fs.StringVar(&o.shard, "shard", "", "run slice `i/N` of the clients (auto/N: i from $JOB_COMPLETION_INDEX); merge the shards' JSON with 'scalelab merge' (needs --run-id)")
	fs.StringVar(&o.startAt, "start-at", "", "begin the warmup at `TIME` (RFC 3339 or unix seconds; at most 10m ahead, 1s late), so that shards started apart line up")
	fs.StringVar(&c.RunID, "run-id", "", "name the run `ID` in its summary; the shards of one run share it (default: random)")
	fs.IntVar(&c.Loops, "loops", 0, "event loops (default: one per CPU the process may use)")
	fs.StringVar(&o.config, "config", "", "read the whole load configuration as JSON (driver.Config) from `FILE`, - for stdin; prints the JSON summary; no URLs or other load flags with it")
	fs.Uint64Var(&o.nofile, "nofile", 0, "set the driver's own RLIMIT_NOFILE (soft and hard) to N before the run (tests use it to induce EMFILE)")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the run to this file")
	for _, name := range hiddenLoadFlags {
		_ = fs.MarkHidden(name)
	}
	return func(ctx context.Context, out streams, args []string) error {
		o.cfg.Targets = args
		if err := o.finish(fs); err != nil {
			return err
		}
		return o.run(ctx, out)
	}
}

// loadShapeFlags declares the flags that shape the load itself, shared by
// load and k8s job.
func loadShapeFlags(fs *pflag.FlagSet, o *loadOptions) {
	c := &o.cfg
	fs.IntVarP(&c.Clients, "clients", "c", driver.DefaultClients, "concurrent connections `N` (over all shards)")
	fs.DurationVarP(&c.Duration, "duration", "d", 0, "measured period `D` after the warmup (default 10s; with --requests-per-client, the run's time limit, default 10m)")
	fs.IntVar(&c.RequestsPerClient, "requests-per-client", 0, "end each client after `N` measured requests (0: end by --duration)")
	fs.Float64VarP(&c.Rate, "rate", "R", 0, "open loop: `R` requests per second in total, latency from the intended send time (0: closed loop)")
	fs.StringVarP(&c.Method, "method", "m", driver.DefaultMethod, "request `METHOD` (HEAD is understood)")
	fs.StringArrayVarP(&c.Headers, "header", "H", nil, "add a request header `'Name: value'` (repeatable; Host and User-Agent replace the driver's)")
	fs.StringVar(&c.Body, "body", "", "send `STRING` as every request's body (with its Content-Length)")
	fs.StringVar(&o.bodyFile, "body-file", "", "send the contents of `FILE` as every request's body (- for stdin)")
	fs.IntVar(&c.Pipeline, "pipeline", driver.DefaultPipeline, "requests in flight per connection")
	fs.BoolVar(&c.H2C, "h2c", false, "speak HTTP/2 over cleartext TCP with prior knowledge (h2load's default): --clients are then connections")
	fs.IntVar(&c.Streams, "streams", 0, "with --h2c: requests in flight per connection, one per stream (default 1; h2load's -m; the server's SETTINGS_MAX_CONCURRENT_STREAMS caps it)")
	fs.BoolVar(&o.keepAlive, "keepalive", true, "reuse connections; --keepalive=false: one request per connection, the client closes first (fills TIME_WAIT)")
	fs.DurationVarP(&c.Ramp, "ramp", "", 0, "stagger connection starts over this period")
	fs.DurationVarP(&c.Warmup, "warmup", "", 0, "run this long before measuring; its numbers are discarded")
	fs.DurationVarP(&c.Timeout, "timeout", "", driver.DefaultTimeout, "per request, from its send to the end of its answer")
	fs.DurationVarP(&c.ConnectTimeout, "connect-timeout", "", 0, "per connect (default: --timeout)")
}

// finish checks the parsed flags and completes the configuration.
func (o *loadOptions) finish(fs *pflag.FlagSet) error {
	if o.json {
		o.format = "json"
	}
	if o.format != "text" && o.format != "json" && o.format != "jsonl" && o.format != "csv" {
		return usageError("load", "-o, --format %q: want text, json, jsonl or csv", o.format)
	}
	if _, err := parseThresholds(o.thresholds); err != nil {
		return usageError("load", "%w", err)
	}
	if o.config != "" {
		if err := o.readConfig(fs); err != nil {
			return err
		}
		return o.shardFlags(fs)
	}
	if len(o.cfg.Targets) == 0 {
		return usageError("load", "no target URL given (scalelab load [flags] URL...)")
	}
	o.cfg.DisableKeepAlive = !o.keepAlive
	if err := o.readBody(); err != nil {
		return err
	}
	if err := explicitZero(fs); err != nil {
		return err
	}
	return o.shardFlags(fs)
}

// shardFlags applies --shard and --start-at (over a --config's own) and
// validates the whole configuration.
func (o *loadOptions) shardFlags(fs *pflag.FlagSet) error {
	if o.shard != "" {
		s, err := driver.ShardFromEnv(o.shard, os.Getenv)
		if err != nil {
			return usageError("load", "--shard: %w", err)
		}
		o.cfg.Shard = s
		if s.Count > 1 && o.cfg.RunID == "" {
			return usageError("load", "--shard %s needs --run-id ID, the same for every shard, so that merge can tell the run's shards from others' (e.g. --run-id $(date +%%s))", o.shard)
		}
	}
	if o.startAt != "" {
		at, err := driver.ParseStartAt(o.startAt)
		if err != nil {
			return usageError("load", "--start-at: %w", err)
		}
		o.cfg.StartAt = at
	}
	if err := o.cfg.Validate(); err != nil {
		if o.config != "" && !fs.Changed("shard") && !fs.Changed("start-at") {
			return configError(configErrorText("--config "+o.config+": ", err, func(field string) string { return field }))
		}
		return &exitError{code: exitUsage, cmd: "load", err: configErrorText("", err, func(field string) string { return flagOf(fs, field) }),
			hint: "Run 'scalelab load -h' for usage."}
	}
	return nil
}

// readBody takes the body from --body-file.
func (o *loadOptions) readBody() error {
	if o.bodyFile == "" {
		return nil
	}
	if o.cfg.Body != "" {
		return usageError("load", "--body and --body-file both give a body; choose one")
	}
	b, err := readFileOrStdin(o.bodyFile, driver.MaxBodyBytes+1)
	if err != nil {
		return usageError("load", "--body-file: %w", err)
	}
	o.cfg.Body = string(b)
	return nil
}

// readFileOrStdin reads the file name ("-": stdin), which must hold at
// most limit bytes.
func readFileOrStdin(name string, limit int64) ([]byte, error) {
	if name != "-" {
		return boundedread.File(name, limit)
	}
	data, err := io.ReadAll(io.LimitReader(os.Stdin, limit+1))
	if err == nil && int64(len(data)) > limit {
		err = fmt.Errorf("standard input: %w: more than %d bytes", boundedread.ErrTooLarge, limit)
	}
	return data, err
}

// readConfig replaces the load flags by the JSON configuration --config
// names; only flags that shape the output may come with it.
func (o *loadOptions) readConfig(fs *pflag.FlagSet) error {
	var others []string
	fs.Visit(func(f *pflag.Flag) {
		if !withConfigFlags[f.Name] {
			others = append(others, "--"+f.Name)
		}
	})
	if len(o.cfg.Targets) > 0 {
		others = append(others, "URL "+o.cfg.Targets[0])
	}
	if len(others) > 0 {
		return usageError("load", "--config holds the whole load configuration; remove %s (with --config only %s)",
			strings.Join(others, ", "), strings.Join(slices.Sorted(maps.Keys(withConfigFlags)), ", "))
	}
	r := io.Reader(os.Stdin)
	if o.config != "-" {
		f, err := os.Open(o.config)
		if err != nil {
			return configError(fmt.Errorf("--config: %w", err))
		}
		defer f.Close()
		r = f
	}
	runID := o.cfg.RunID
	cfg, err := driver.DecodeConfig(r)
	if err != nil {
		return configError(configErrorText("--config "+o.config+": ", err, func(field string) string { return field }))
	}
	o.cfg = cfg
	if runID != "" {
		o.cfg.RunID = runID
	}
	if !fs.Changed("format") && !fs.Changed("json") {
		o.format = "json"
	}
	return nil
}

// explicitZero refuses 0 given for a flag whose default is not 0 (clients,
// pipeline, timeout): in driver.Config zero means "the default", which is
// not what a 0 typed on the command line asks for.
func explicitZero(fs *pflag.FlagSet) error {
	var err error
	fs.Visit(func(f *pflag.Flag) {
		v := f.Value.String()
		zeroDefault := f.DefValue == "" || f.DefValue == "0" || f.DefValue == "0s"
		if err == nil && (v == "0" || v == "0s") && !zeroDefault {
			err = usageError("load", "%s must not be 0 (leave it out for the default, %s)", flagName(f), f.DefValue)
		}
	})
	return err
}

// flagOf names the flag that sets the Config field with JSON name field.
func flagOf(fs *pflag.FlagSet, field string) string {
	switch field {
	case "disable_keepalive":
		return "--keepalive"
	case "headers":
		return "-H, --header"
	}
	if f := fs.Lookup(strings.ReplaceAll(field, "_", "-")); f != nil {
		return flagName(f)
	}
	return field
}

// loadConfigError is a driver configuration error told in the command's
// terms (flags, or the config file); errors.Is(err, driver.ErrConfig) holds.
type loadConfigError struct {
	msg string
	err error
}

func (e *loadConfigError) Error() string { return e.msg }
func (e *loadConfigError) Unwrap() error { return e.err }

// configErrorText rewrites the *driver.ConfigError values joined in err
// with each field named by name (targets are named by their URL already).
func configErrorText(prefix string, err error, name func(field string) string) error {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	lines := make([]string, 0, len(errs))
	for _, e := range errs {
		var ce *driver.ConfigError
		switch {
		case !errors.As(e, &ce):
			lines = append(lines, e.Error())
		case ce.Field == "targets":
			lines = append(lines, ce.Msg)
		default:
			lines = append(lines, name(ce.Field)+": "+ce.Msg)
		}
	}
	return &loadConfigError{msg: prefix + strings.Join(lines, "\n"), err: err}
}

// run drives the load, prints the summary and decides the exit status.
func (o *loadOptions) run(ctx context.Context, out streams) error {
	stop, err := o.process()
	if err != nil {
		return err
	}
	defer stop()
	if o.cfg.RunID == "" {
		o.cfg.RunID = newRunID()
	}
	if o.hlog != "" {
		o.cfg.SecondHistograms = true
	}
	if !o.quiet && isTerminal(out.stderr) {
		o.cfg.Progress = out.stderr
	}
	sum, err := driver.Run(ctx, o.cfg)
	switch {
	case errors.Is(err, driver.ErrConfig) || errors.Is(err, driver.ErrRemoteTarget):
		return configError(err)
	case err != nil:
		return runtimeError(err)
	}
	ts, _ := parseThresholds(o.thresholds) // checked in finish
	sum.Thresholds, _ = threshold.CheckAll(ts, sum.Metric)
	if err := o.write(out.stdout, sum); err != nil {
		return runtimeError(err)
	}
	return loadOutcome(sum)
}

// process applies the process-level flags (--nofile, --cpuprofile); stop
// ends the profile.
func (o *loadOptions) process() (stop func(), err error) {
	stop = func() {}
	if o.nofile > 0 {
		lim := unix.Rlimit{Cur: o.nofile, Max: o.nofile}
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
			return stop, runtimeError(fmt.Errorf("--nofile %d: %w", o.nofile, err))
		}
	}
	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return stop, runtimeError(fmt.Errorf("--cpuprofile: %w", err))
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return stop, runtimeError(fmt.Errorf("--cpuprofile: %w", err))
		}
		stop = func() { pprof.StopCPUProfile(); f.Close() }
	}
	return stop, nil
}

// write prints the summary (text or JSON) and writes --out.
func (o *loadOptions) write(w io.Writer, sum *driver.Summary) error {
	if o.out != "" {
		if err := writeSummaryFile(o.out, sum); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	if o.hlog != "" {
		err := atomicfile.Write(o.hlog, 0o644, func(f io.Writer) error { return driver.WriteIntervalLog(f, sum) })
		if err != nil {
			return fmt.Errorf("--hlog: %w", err)
		}
	}
	switch o.format {
	case "json":
		return writeSummaryJSON(w, sum)
	case "csv":
		return driver.WriteCSV(w, sum)
	case "jsonl":
		return writeSummaryLine(w, sum)
	}
	return driver.WriteTextOptions(w, sum, driver.TextOptions{Spectrum: o.latency})
}

// loadOutcome is the exit status of a run, from its summary: interrupted
// (4), nothing got through (3), a threshold failed or, without thresholds,
// no request succeeded (1).
func loadOutcome(s *driver.Summary) error {
	switch {
	case s.EndedBy == "canceled":
		return inconclusiveError("interrupted after %s: the summary is partial", units.Seconds(s.DurationS))
	case s.Requests > 0 && s.ConnectsOK == 0 && s.Responses == 0 && s.OK == 0:
		return runtimeError(fmt.Errorf("could not run: no connection was made (%s)", errorCounts(s)))
	}
	if len(s.Thresholds) > 0 {
		var failed []string
		for _, r := range s.Thresholds {
			if !r.Passed {
				failed = append(failed, r.Threshold+" (measured "+r.MeasuredText()+")")
			}
		}
		if len(failed) > 0 {
			return failedError("%s of %s failed: %s", units.Int(len(failed)), units.Plural(len(s.Thresholds), "threshold", "thresholds"), strings.Join(failed, ", "))
		}
		return nil
	}
	switch {
	case s.Requests == 0:
		return failedError("no request completed in the measured period (%s unfinished)", units.Int(s.Unfinished))
	case s.OK == 0:
		return failedError("no request succeeded: 0 ok of %s (%s)", units.Int(s.Requests), errorCounts(s))
	}
	return nil
}

// errorCounts lists the error classes of a run, largest first.
func errorCounts(s *driver.Summary) string {
	m := make(map[string]int64, len(s.Errors))
	for k, v := range s.Errors {
		m[k] = int64(v)
	}
	return strings.ReplaceAll(units.Counts(m, 3), "`", "")
}

// parseThresholds parses --threshold values; its error names the flag
// once per bad value.
func parseThresholds(exprs []string) ([]threshold.Threshold, error) {
	ts, err := threshold.ParseAll(exprs)
	if err != nil {
		lines := strings.Split(err.Error(), "\n")
		for i, l := range lines {
			lines[i] = "--" + l
		}
		return nil, errors.New(strings.Join(lines, "\n"))
	}
	return ts, nil
}

// newRunID returns a random run id: 16 hex digits.
func newRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// writeSummaryJSON writes s as indented JSON (schema scalelab/load/v1).
func writeSummaryJSON(w io.Writer, s *driver.Summary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

// writeSummaryLine writes s as JSON on one line: the last line a pod of a
// sharded Job prints, which scripts/k8s-collect.sh picks up.
func writeSummaryLine(w io.Writer, s *driver.Summary) error {
	if err := json.NewEncoder(w).Encode(s); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

// writeSummaryFile writes s as JSON to the file name.
func writeSummaryFile(name string, s *driver.Summary) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := writeSummaryJSON(f, s); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
