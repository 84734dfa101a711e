package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/scalelab/scalelab/servers"
	"github.com/scalelab/scalelab/servers/variants"
)

func init() {
	register(&command{
		name:    "serve",
		summary: "serve HTTP with one server variant until SIGINT/SIGTERM",
		usage:   []string{"[flags] VARIANT", "--config FILE|-"},
		about: "Serves the lab's routes (/, /json, /cpu?us=N, /sleep?ms=N, POST /echo: the body's length)\nwith one variant: " +
			strings.Join(variants.Names(), ", ") + ".",
		footer: `Exit status: 0 stopped by SIGINT/SIGTERM; 2 usage error; 3 could not serve.`,
		setup:  setupServe,
	})
}

// serveFlags are the knobs of ` + "`scalelab serve`" + `.
type serveFlags struct {
	spec   servers.Spec
	nofile int
	// config is where to read a servers.Spec as JSON ("-": stdin).
	config string
	// cpuprofile is where to write a CPU profile of the serving (pprof).
	cpuprofile string
}

func setupServe(fs *pflag.FlagSet) runFunc {
	sf := &serveFlags{spec: servers.Spec{Config: servers.DefaultConfig()}}
	c := &sf.spec.Config
	fs.StringVar(&c.Addr, "addr", c.Addr, "first listen address `host:port` (port 0: free ports)")
	fs.IntVar(&c.Backlog, "backlog", c.Backlog, "listen(2) backlog (the kernel caps it at net.core.somaxconn)")
	fs.IntVar(&c.Workers, "workers", c.Workers, "workers of the pool variant")
	fs.IntVar(&c.Queue, "queue", c.Queue, "pool variant: accepted connections waiting for a worker")
	fs.BoolVar(&c.KeepAlive, "keepalive", c.KeepAlive, "keep connections open between requests (--keepalive=false: one request per connection)")
	fs.IntVar(&c.Listeners, "listeners", c.Listeners, "number of ports to listen on (addr's port and the next ones)")
	fs.BoolVar(&c.ReusePort, "reuseport", c.ReusePort, "set SO_REUSEPORT on listening sockets")
	fs.DurationVarP(&c.ReadTimeout, "read-timeout", "", c.ReadTimeout, "close connections idle or slow to send a request for this long (0: never)")
	fs.IntVar(&c.MaxHeaderBytes, "max-header-bytes", c.MaxHeaderBytes, "largest request line + headers; larger ones get 431")
	fs.DurationVarP(&c.AcceptStall, "accept-stall", "", 0, "pool: stop accepting for this long every --accept-stall-every (a pause while connects arrive)")
	fs.DurationVarP(&c.AcceptStallEvery, "accept-stall-every", "", 0, "pool: the period of the accept stalls")
	fs.BoolVar(&c.H2C, "h2c", false, "also serve HTTP/2 over cleartext TCP with prior knowledge (h2c; nethttp only), HTTP/1.1 on the same port")
	fs.IntVar(&c.MaxStreams, "max-streams", 0, "with --h2c: SETTINGS_MAX_CONCURRENT_STREAMS, the streams one connection may have open (0: net/http's 250)")
	fs.StringVar(&sf.spec.Stats, "stats", "", "serve statistics on this unix socket `PATH` (never on the measured listener)")
	fs.IntVar(&sf.nofile, "nofile", 0, "set RLIMIT_NOFILE (soft and hard) to this before listening (0: leave it)")
	fs.StringVar(&sf.config, "config", "", "read the variant and its knobs as JSON (a servers.Spec) from `FILE` or - (stdin), and print a JSON ready line")
	fs.StringVar(&sf.cpuprofile, "cpuprofile", "", "write a CPU profile of the serving to `FILE`, for go tool pprof")
	return func(ctx context.Context, out streams, pos []string) error {
		if err := sf.finish(pos); err != nil {
			return err
		}
		if err := serve(ctx, out.stdout, *sf); err != nil {
			return runtimeError(err)
		}
		return nil
	}
}

// finish checks the flags and the variant named by pos.
func (sf *serveFlags) finish(pos []string) error {
	variant := ""
	switch {
	case len(pos) > 1:
		return usageError("serve", "unexpected argument %q: serve runs one variant", pos[1])
	case len(pos) == 1:
		variant = pos[0]
	}
	if sf.config != "" {
		if variant != "" {
			return usageError("serve", "--config gives the variant; do not name one (%q) too", variant)
		}
		spec, err := readSpec(sf.config)
		if err != nil {
			return configError(fmt.Errorf("--config %s: %w", sf.config, err))
		}
		sf.spec = spec
	} else {
		if variant == "" {
			return usageError("serve", "no variant given (one of %s)", strings.Join(variants.Names(), ", "))
		}
		sf.spec.Variant = variant
		if err := variants.Check(sf.spec); err != nil {
			return usageError("serve", "%s", knobError(err))
		}
	}
	if sf.nofile < 0 {
		return usageError("serve", "--nofile must not be negative")
	}
	if sf.nofile > 0 {
		if err := setNoFile(sf.nofile); err != nil {
			return runtimeError(fmt.Errorf("--nofile: %w", err))
		}
	}
	return nil
}

// readSpec reads a servers.Spec from path ("-": stdin) and checks it.
func readSpec(path string) (servers.Spec, error) {
	var r io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return servers.Spec{}, err
		}
		defer f.Close()
		r = f
	}
	spec, err := servers.ReadSpec(r)
	if err != nil {
		return spec, err
	}
	return spec, variants.Check(spec)
}

// knobError names the flag of a knob that has no sensible value:
// "backlog: must be at least 1" becomes "--backlog must be at least 1".
func knobError(err error) string {
	var ce *servers.ConfigError
	switch {
	case !errors.As(err, &ce):
		return err.Error()
	case ce.Field == "variant":
		return ce.Msg
	}
	return "--" + strings.ReplaceAll(ce.Field, "_", "-") + " " + ce.Msg
}

// setNoFile sets the soft and the hard RLIMIT_NOFILE of this process. Both,
// because Go raises the soft limit to the hard one at start.
func setNoFile(n int) error {
	lim := unix.Rlimit{Cur: uint64(n), Max: uint64(n)}
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("setrlimit(RLIMIT_NOFILE, %d): %w", n, err)
	}
	return nil
}

// serve runs the spec's server until ctx ends. With --config it prints one
// JSON servers.Ready line once it serves; by hand, a line per listener.
func serve(ctx context.Context, stdout io.Writer, sf serveFlags) error {
	spec := sf.spec
	st := servers.NewStats()
	srv, err := variants.New(spec.Variant, spec.Config, st)
	if err != nil {
		return fmt.Errorf("%s: %w", spec.Variant, err)
	}
	if err := srv.Start(); err != nil {
		return fmt.Errorf("%s: %w", spec.Variant, err)
	}
	shutdown := func() error {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutdownCtx)
	}
	if spec.Stats != "" {
		ch, err := servers.ServeStats(spec.Stats, spec.Variant, st, func() []servers.ListenQueue {
			qs, _ := servers.ListenQueues(srv.ListenerFDs())
			return qs
		})
		if err != nil {
			_ = shutdown()
			return fmt.Errorf("%s: %w", spec.Variant, err)
		}
		defer ch.Close()
	}
	if sf.cpuprofile != "" {
		stop, err := startCPUProfile(sf.cpuprofile)
		if err != nil {
			_ = shutdown()
			return fmt.Errorf("%s: %w", spec.Variant, err)
		}
		defer stop()
	}
	if err := announce(stdout, sf, srv.Addrs()); err != nil {
		_ = shutdown()
		return fmt.Errorf("%s: %w", spec.Variant, err)
	}
	<-ctx.Done()
	if err := shutdown(); err != nil {
		return fmt.Errorf("%s: shutdown: %w", spec.Variant, err)
	}
	if sf.config == "" {
		fmt.Fprintf(stdout, "stopped: %s\n", spec.Variant)
	}
	return nil
}

// announce says that the server serves: a JSON servers.Ready line for the
// runner (--config), or readable lines for a person.
func announce(w io.Writer, sf serveFlags, addrs []string) error {
	if sf.config != "" {
		line, err := json.Marshal(servers.Ready{Ready: true, Variant: sf.spec.Variant, Addrs: addrs, Stats: sf.spec.Stats, PID: os.Getpid()})
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", line)
		return err
	}
	if sf.spec.Stats != "" {
		fmt.Fprintf(w, "stats on %s\n", sf.spec.Stats)
	}
	for _, a := range addrs {
		fmt.Fprintf(w, "listening on %s\n", a)
	}
	_, err := fmt.Fprintf(w, "ready: %s serving until SIGINT or SIGTERM\n", sf.spec.Variant)
	return err
}

// startCPUProfile starts writing a CPU profile to path; the returned
// function stops it and closes the file.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
