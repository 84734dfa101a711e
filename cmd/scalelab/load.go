package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"

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

// withConfigFlags are the flags that may accompany --config: they shape the
// output and the process, not the load.
var withConfigFlags = map[string]bool{"config": true, "quiet": true, "json": true, "out": true, "nofile": true, "cpuprofile": true}

// loadOptions are the parsed flags of `scalelab load`.
type loadOptions struct {
	cfg        driver.Config
	json       bool
	quiet      bool
	out        string
	nofile     uint64
	cpuprofile string
	config     string
}

// loadFlagSet declares the flags of `scalelab load` into o.
func loadFlagSet(o *loadOptions, keepAlive *bool, shard *string, stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet("load", "URL... [flags]", stderr)
	c := &o.cfg
	fs.IntVar(&c.Clients, "clients", driver.DefaultClients, "concurrent connections (over all shards)")
	fs.DurationVar(&c.Duration, "duration", 0, "measured period after the warmup (default 10s; with --requests-per-client, the run's time limit, default 10m)")
	fs.IntVar(&c.RequestsPerClient, "requests-per-client", 0, "end each client after this many measured requests (0: end by --duration)")
	fs.Float64Var(&c.Rate, "rate", 0, "open loop: total requests per second, latency from the intended send time (0: closed loop)")
	fs.IntVar(&c.Pipeline, "pipeline", driver.DefaultPipeline, "requests in flight per connection")
	fs.BoolVar(keepAlive, "keepalive", true, "reuse connections; false: one request per connection, the client closes first (fills TIME_WAIT)")
	fs.DurationVar(&c.Ramp, "ramp", 0, "stagger connection starts over this period")
	fs.DurationVar(&c.Warmup, "warmup", 0, "run this long before measuring; its numbers are discarded")
	fs.DurationVar(&c.Timeout, "timeout", driver.DefaultTimeout, "per request, from its send to the end of its answer")
	fs.DurationVar(&c.ConnectTimeout, "connect-timeout", 0, "per connect (default: --timeout)")
	fs.BoolVar(&c.AllowRemote, "allow-remote", false, "allow targets outside loopback and lab namespaces (and host names)")
	fs.StringVar(shard, "shard", "", "run slice i of N of the clients (i/N); merge the shards' JSON with 'scalelab merge'")
	fs.IntVar(&c.Loops, "loops", 0, "event loops (default: one per CPU the process may use)")
	fs.StringVar(&o.config, "config", "", "read the whole load configuration as JSON (driver.Config) from `FILE`, - for stdin;\nprints the JSON summary; no URLs or other load flags with it")
	fs.BoolVar(&o.json, "json", false, "print the summary as JSON (schema scalelab/load/v1)")
	fs.BoolVar(&o.quiet, "quiet", false, "no live progress line")
	fs.StringVar(&o.out, "out", "", "also write the JSON summary to this file (for shards)")
	fs.Uint64Var(&o.nofile, "nofile", 0, hiddenLoadFlags["nofile"])
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", hiddenLoadFlags["cpuprofile"])
	fs.Usage = func() { loadUsage(fs, stderr) }
	return fs
}

func loadUsage(fs *flag.FlagSet, stderr io.Writer) {
	fmt.Fprintf(stderr, "usage: scalelab load URL... [flags]\n       scalelab load --config FILE|- [--quiet] [--out FILE]\n\n")
	fmt.Fprintf(stderr, "Drives HTTP/1.1 load at the URLs (clients spread over them round-robin) and\n")
	fmt.Fprintf(stderr, "prints a summary: latency and connect-time percentiles, errors by class, rps.\n")
	fmt.Fprintf(stderr, "Targets must be loopback or inside a lab network namespace unless --allow-remote.\n\nflags:\n")
	fs.VisitAll(func(f *flag.Flag) {
		if _, hidden := hiddenLoadFlags[f.Name]; hidden {
			return
		}
		typ, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(stderr, "  %s\n    \t%s", strings.TrimSpace("--"+f.Name+" "+typ), strings.ReplaceAll(usage, "\n", "\n    \t"))
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "0s" && f.DefValue != "false" {
			fmt.Fprintf(stderr, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(stderr)
	})
}

func parseLoadFlags(args []string, stderr io.Writer) (*loadOptions, error) {
	o := &loadOptions{}
	keepAlive, shard := true, ""
	fs := loadFlagSet(o, &keepAlive, &shard, stderr)
	// Flags may come before and after the URLs.
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return nil, err
		}
		rest = fs.Args()
		for len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
			o.cfg.Targets = append(o.cfg.Targets, rest[0])
			rest = rest[1:]
		}
		if len(rest) == 0 {
			break
		}
	}
	if o.config != "" {
		return o, o.readConfig(fs)
	}
	if len(o.cfg.Targets) == 0 {
		fs.Usage()
		return nil, fmt.Errorf("load: no target URL given")
	}
	o.cfg.DisableKeepAlive = !keepAlive
	if shard != "" {
		s, err := driver.ParseShard(shard)
		if err != nil {
			return nil, fmt.Errorf("load: --shard: %w", err)
		}
		o.cfg.Shard = s
	}
	if err := explicitZero(fs); err != nil {
		return nil, err
	}
	if err := o.cfg.Validate(); err != nil {
		return nil, configError("", err, func(field string) string { return flagOf(fs, field) })
	}
	return o, nil
}

// readConfig replaces the load flags by the JSON configuration --config
// names; only flags that shape the output may come with it.
func (o *loadOptions) readConfig(fs *flag.FlagSet) error {
	var others []string
	fs.Visit(func(f *flag.Flag) {
		if !withConfigFlags[f.Name] {
			others = append(others, "--"+f.Name)
		}
	})
	if len(o.cfg.Targets) > 0 {
		others = append(others, "URL "+o.cfg.Targets[0])
	}
	if len(others) > 0 {
		fs.Usage()
		return fmt.Errorf("load: --config holds the whole load configuration; remove %s (with --config only --quiet, --json, --out, --nofile and --cpuprofile)", strings.Join(others, ", "))
	}
	r := io.Reader(os.Stdin)
	if o.config != "-" {
		f, err := os.Open(o.config)
		if err != nil {
			return fmt.Errorf("load: --config: %w", err)
		}
		defer f.Close()
		r = f
	}
	cfg, err := driver.DecodeConfig(r)
	if err != nil {
		return configError("--config "+o.config+": ", err, func(field string) string { return field })
	}
	o.cfg = cfg
	o.json = true
	return nil
}

// explicitZero refuses 0 given for a flag whose default is not 0 (clients,
// pipeline, timeout): in driver.Config zero means "the default", which is
// not what a 0 typed on the command line asks for.
func explicitZero(fs *flag.FlagSet) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		v := f.Value.String()
		zeroDefault := f.DefValue == "" || f.DefValue == "0" || f.DefValue == "0s"
		if err == nil && (v == "0" || v == "0s") && !zeroDefault {
			err = fmt.Errorf("load: --%s must not be 0 (leave it out for the default, %s)", f.Name, f.DefValue)
		}
	})
	return err
}

// flagOf names the flag that sets the Config field with JSON name field.
func flagOf(fs *flag.FlagSet, field string) string {
	if field == "disable_keepalive" {
		return "--keepalive"
	}
	if name := strings.ReplaceAll(field, "_", "-"); fs.Lookup(name) != nil {
		return "--" + name
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

// configError rewrites the *driver.ConfigError values joined in err with
// each field named by name (targets are named by their URL already).
func configError(prefix string, err error, name func(field string) string) error {
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
	return &loadConfigError{msg: "load: " + prefix + strings.Join(lines, "\n  "), err: err}
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
		if err := writeSummaryFile(o.out, sum); err != nil {
			return fmt.Errorf("load: --out: %w", err)
		}
	}
	if o.json {
		if err := writeSummaryJSON(stdout, sum); err != nil {
			return fmt.Errorf("load: %w", err)
		}
		return nil
	}
	return driver.WriteText(stdout, sum)
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
