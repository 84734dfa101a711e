package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/scalelab/scalelab/servers"
	"github.com/scalelab/scalelab/servers/variants"
)

func init() {
	commands["serve"] = command{summary: "serve HTTP with one server variant until SIGINT/SIGTERM", run: runServe}
}

// serveFlags are the knobs of `scalelab serve`.
type serveFlags struct {
	cfg    servers.Config
	stats  string
	nofile int
	// cpuprofile is where to write a CPU profile of the serving (pprof).
	cpuprofile string
}

func runServe(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	synopsis := "VARIANT [flags]   (variants: " + strings.Join(variants.Names(), ", ") + ")"
	fs := newFlagSet("serve", synopsis, stderr)
	sf := serveFlags{cfg: servers.DefaultConfig()}
	c := &sf.cfg
	fs.StringVar(&c.Addr, "addr", c.Addr, "first listen address host:port (port 0: free ports)")
	fs.IntVar(&c.Backlog, "backlog", c.Backlog, "listen(2) backlog (the kernel caps it at net.core.somaxconn)")
	fs.IntVar(&c.Workers, "workers", c.Workers, "workers of the pool variant")
	fs.IntVar(&c.Queue, "queue", c.Queue, "pool variant: accepted connections waiting for a worker")
	fs.BoolVar(&c.KeepAlive, "keepalive", c.KeepAlive, "keep connections open between requests")
	fs.IntVar(&c.Listeners, "listeners", c.Listeners, "number of ports to listen on (addr's port and the next ones)")
	fs.BoolVar(&c.ReusePort, "reuseport", c.ReusePort, "set SO_REUSEPORT on listening sockets")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", c.ReadTimeout, "close connections idle or slow to send a request for this long (0: never)")
	fs.IntVar(&c.MaxHeaderBytes, "max-header-bytes", c.MaxHeaderBytes, "largest request line + headers; larger ones get 431")
	fs.StringVar(&sf.stats, "stats", "", "serve statistics on this unix socket path (never on the measured listener)")
	fs.IntVar(&sf.nofile, "nofile", 0, "set RLIMIT_NOFILE (soft and hard) to this before listening (0: leave it)")
	fs.StringVar(&sf.cpuprofile, "cpuprofile", "", "write a CPU profile of the serving to this file, for go tool pprof")

	variant := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		variant, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if variant == "" && fs.NArg() > 0 {
		variant = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	if variant == "" {
		fs.Usage()
		return errUsage
	}
	if _, err := variants.Lookup(variant); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if err := sf.cfg.Validate(); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if sf.nofile < 0 {
		return errors.New("serve: --nofile must not be negative")
	}
	if sf.nofile > 0 {
		if err := setNoFile(sf.nofile); err != nil {
			return fmt.Errorf("serve: --nofile: %w", err)
		}
	}
	return serve(ctx, stdout, variant, sf)
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

func serve(ctx context.Context, stdout io.Writer, variant string, sf serveFlags) error {
	st := servers.NewStats()
	srv, err := variants.New(variant, sf.cfg, st)
	if err != nil {
		return fmt.Errorf("serve %s: %w", variant, err)
	}
	if err := srv.Start(); err != nil {
		return fmt.Errorf("serve %s: %w", variant, err)
	}
	if sf.stats != "" {
		ch, err := servers.ServeStats(sf.stats, variant, st, func() []servers.ListenQueue {
			var qs []servers.ListenQueue
			for _, fd := range srv.ListenerFDs() {
				if q, err := servers.QueueOf(fd); err == nil {
					qs = append(qs, q)
				}
			}
			return qs
		})
		if err != nil {
			shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(shutdownCtx)
			return fmt.Errorf("serve %s: %w", variant, err)
		}
		defer ch.Close()
		fmt.Fprintf(stdout, "stats on %s\n", sf.stats)
	}
	for _, a := range srv.Addrs() {
		fmt.Fprintf(stdout, "listening on %s\n", a)
	}
	if sf.cpuprofile != "" {
		stop, err := startCPUProfile(sf.cpuprofile)
		if err != nil {
			shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(shutdownCtx)
			return fmt.Errorf("serve %s: %w", variant, err)
		}
		defer stop()
	}
	fmt.Fprintf(stdout, "ready: %s serving until SIGINT or SIGTERM\n", variant)
	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("serve %s: shutdown: %w", variant, err)
	}
	fmt.Fprintf(stdout, "stopped: %s\n", variant)
	return nil
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
