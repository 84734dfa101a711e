package main

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/scalelab/scalelab/driver"
	"github.com/scalelab/scalelab/k8s"
	"github.com/scalelab/scalelab/units"
)

func init() {
	register(&command{
		name:    "k8s",
		summary: "print the Kubernetes manifests of a sharded load (an Indexed Job and its ConfigMap)",
		usage:   []string{"job --shards N [load flags] URL..."},
		about: `Prints, for kubectl apply -f -, a ConfigMap with the load's configuration and an
Indexed Job of N pods (completions = parallelism = N) that each run one shard
of it: 'scalelab load --config /etc/scalelab/load.json --shard auto/N', the
index from JOB_COMPLETION_INDEX. The pods request --cpus each, are kept on
different nodes (pod anti-affinity, --spread), share one run id and one start
time, so that their timelines line up, and print their JSON summary as their
last line; scripts/k8s-collect.sh JOB gathers and merges them.

A target in a cluster is not loopback: --allow-remote is required, and the
target may then be a service's name. The shards begin at --start-at, or
--start-in after the manifests are written: apply them before then (a shard
more than 1s late refuses to run, and the Job does not retry).`,
		footer: `Examples:
  scalelab k8s job --shards 4 -c 4000 -d 60s --allow-remote http://web.bench.svc:8080/ | kubectl apply -f -
  scripts/k8s-collect.sh scalelab-load

Exit status: 0 ok; 2 usage or configuration error.`,
		setup: setupK8s,
	})
}

// k8sOptions are the parsed flags of `scalelab k8s job`.
type k8sOptions struct {
	load    loadOptions
	job     k8s.Job
	spread  string
	startAt string
	startIn time.Duration
}

func setupK8s(fs *pflag.FlagSet) runFunc {
	o := &k8sOptions{load: loadOptions{keepAlive: true}}
	fs.IntVar(&o.job.Shards, "shards", 0, "run the load as `N` pods, one shard each")
	fs.StringVar(&o.job.Image, "image", k8s.DefaultImage, "container `IMAGE` holding the scalelab binary")
	fs.StringVar(&o.job.Command, "command", k8s.DefaultCommand, "the scalelab binary in the image (`PATH`, or a name on its PATH)")
	fs.StringVar(&o.job.Name, "name", k8s.DefaultName, "`NAME` of the Job and its ConfigMap")
	fs.StringVar(&o.job.Namespace, "namespace", "", "`NAMESPACE` of both (default: kubectl's current one)")
	fs.IntVar(&o.job.CPUs, "cpus", k8s.DefaultCPUs, "CPUs each pod requests, and the event loops its driver runs")
	fs.StringVar(&o.spread, "spread", string(k8s.Required), "keep the shards on different nodes: `SPREAD` required (a shard waits for a node of its own) or preferred")
	fs.StringVar(&o.startAt, "start-at", "", "the shards begin at `TIME` (RFC 3339 or unix seconds, at most 10m ahead)")
	fs.DurationVar(&o.startIn, "start-in", 2*time.Minute, "without --start-at, the shards begin this long after the manifests are written")
	loadShapeFlags(fs, &o.load)
	fs.BoolVar(&o.load.cfg.AllowRemote, "allow-remote", false, "load a target outside loopback: required for a target in a cluster")
	fs.StringVar(&o.load.cfg.RunID, "run-id", "", "name the run `ID` (a label value; default: random)")
	return func(ctx context.Context, out streams, args []string) error {
		if len(args) == 0 || args[0] != "job" {
			return usageError("k8s", "want 'scalelab k8s job --shards N [load flags] URL...'")
		}
		if err := o.finish(fs, args[1:], time.Now()); err != nil {
			return err
		}
		now := time.Now()
		manifests, err := o.job.Manifests(now)
		if err != nil {
			return configError(err)
		}
		if _, err := out.stdout.Write(manifests); err != nil {
			return runtimeError(err)
		}
		fmt.Fprintf(out.stderr, "scalelab k8s: run %s: %s begin at %s (in %s): apply the manifests before then; then scripts/k8s-collect.sh %s\n",
			o.job.Config.RunID, units.Plural(o.job.Shards, "shard", "shards"), o.job.Config.StartAt.Format(time.RFC3339),
			o.job.Config.StartAt.Sub(now).Round(time.Second), o.job.Name)
		return nil
	}
}

// finish checks the flags and completes the Job.
func (o *k8sOptions) finish(fs *pflag.FlagSet, urls []string, now time.Time) error {
	l := &o.load
	l.cfg.Targets = urls
	if len(urls) == 0 {
		return usageError("k8s", "no target URL given (scalelab k8s job --shards N [load flags] URL...)")
	}
	if o.job.Shards < 1 {
		return usageError("k8s", "--shards N is required (the number of pods, one shard each)")
	}
	if !l.cfg.AllowRemote {
		for _, u := range urls {
			if !loopbackURL(u) {
				return usageError("k8s", "%s is not a loopback address: in a cluster the pods' load leaves them, so give --allow-remote (the target may then be a service's name)", u)
			}
		}
	}
	l.cfg.DisableKeepAlive = !l.keepAlive
	if err := l.readBody(); err != nil {
		return err
	}
	if err := explicitZero(fs); err != nil {
		return err
	}
	o.job.Spread = k8s.Spread(o.spread)
	if l.cfg.RunID == "" {
		l.cfg.RunID = newRunID()
	}
	l.cfg.StartAt = now.Add(o.startIn).Truncate(time.Second)
	if o.startAt != "" {
		at, err := driver.ParseStartAt(o.startAt)
		if err != nil {
			return usageError("k8s", "--start-at: %w", err)
		}
		l.cfg.StartAt = at
	}
	o.job.Config = l.cfg
	if err := o.job.Validate(now); err != nil {
		return &exitError{code: exitUsage, cmd: "k8s", err: configErrorText("", err, func(field string) string { return flagOf(fs, field) }),
			hint: "Run 'scalelab k8s -h' for usage."}
	}
	return nil
}

// loopbackURL reports whether an http URL names a loopback address.
func loopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	if strings.EqualFold(u.Hostname(), "localhost") {
		return true
	}
	a, err := netip.ParseAddr(u.Hostname())
	return err == nil && a.IsLoopback()
}
