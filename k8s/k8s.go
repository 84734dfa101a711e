// Package k8s writes the Kubernetes manifests that run a sharded load
// across a cluster: an Indexed Job with one pod per shard, and a ConfigMap
// with the load's configuration that every pod reads.
//
// Each pod runs
//
//	scalelab load --config /etc/scalelab/load.json --shard auto/N --format jsonl --quiet
//
// and takes its shard's index from JOB_COMPLETION_INDEX, which an Indexed
// Job sets in every pod. The configuration carries one run id and one
// start time (driver.Config.StartAt), so the shards, scheduled seconds
// apart, begin their warmup at the same instant and their per-second
// timelines line up; each prints its JSON summary as its last line, which
// scripts/k8s-collect.sh gathers with kubectl logs and `scalelab merge`
// combines exactly.
//
// The manifests are written from the package's own small types, in the
// order a person reads them; a test decodes them strictly into the
// Kubernetes API's own types (k8s.io/api batch/v1 Job, core/v1
// ConfigMap), so a misspelled field is caught here, not by a cluster.
package k8s

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/scalelab/scalelab/driver"
)

// Where the ConfigMap is mounted in each pod, and the key of the load's
// configuration in it.
const (
	ConfigDir  = "/etc/scalelab"
	ConfigKey  = "load.json"
	ConfigPath = ConfigDir + "/" + ConfigKey
)

// Labels every object and pod carries; RunIDLabel selects one run's pods
// (the pod anti-affinity uses it).
const (
	NameLabel      = "app.kubernetes.io/name"
	ComponentLabel = "app.kubernetes.io/component"
	RunIDLabel     = "scalelab.dev/run-id"
	// JobNameLabel is the label Kubernetes (1.27 and later) puts on every
	// pod of a Job, with the Job's name: kubectl logs job/NAME shows one
	// pod only, so the collector selects them all by this label.
	JobNameLabel = "batch.kubernetes.io/job-name"
)

// Defaults of a Job's fields.
const (
	DefaultName    = "scalelab-load"
	DefaultImage   = "scalelab:latest"
	DefaultCommand = "scalelab"
	DefaultCPUs    = 1
	MaxShards      = 1000 // an Indexed Job allows up to 100,000 completions; a load needs far fewer
	// DeadlineSlack is added to the run's planned length (the wait for
	// its start, warmup, ramp, duration, timeout) to bound the Job
	// (activeDeadlineSeconds): scheduling, image pulls, the summary.
	DeadlineSlack = 2 * time.Minute
)

// Spread says how hard the scheduler must keep the shards on different
// nodes.
type Spread string

// The spreads: Required leaves a shard pending when no node without a
// shard is left; Preferred lets shards share a node then.
const (
	Required  Spread = "required"
	Preferred Spread = "preferred"
)

// Job describes a sharded load to run as an Indexed Job.
type Job struct {
	// Name of the Job and of its ConfigMap (a DNS label).
	Name string
	// Namespace of both; empty: kubectl's current namespace.
	Namespace string
	// Image holds the scalelab binary at Command (a path, or a name on
	// the image's PATH).
	Image, Command string
	// Shards is the number of pods: completions = parallelism = Shards.
	Shards int
	// CPUs each pod requests; the driver runs as many event loops
	// (Config.Loops) and GOMAXPROCS is set to it.
	CPUs int
	// Spread of the shards over nodes (default Required).
	Spread Spread
	// Config is the load. RunID and StartAt must be set: the shards share
	// them.
	Config driver.Config
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
var labelValue = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)

// Validate checks the Job as written at now; the error joins every broken
// rule.
func (j Job) Validate(now time.Time) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	// An Indexed Job's pods are named NAME-INDEX-RANDOM and get the
	// hostname NAME-INDEX: room for the index in a 63-byte label.
	if len(j.Name) > 63-1-len(strconv.Itoa(j.Shards)) || !dnsLabel.MatchString(j.Name) {
		bad("name %q: want a DNS label (lower-case letters, digits and '-') of at most %d characters", j.Name, 63-1-len(strconv.Itoa(j.Shards)))
	}
	if j.Namespace != "" && (len(j.Namespace) > 63 || !dnsLabel.MatchString(j.Namespace)) {
		bad("namespace %q: want a DNS label", j.Namespace)
	}
	if j.Image == "" || j.Command == "" {
		bad("image and command must be given")
	}
	if j.Shards < 1 || j.Shards > MaxShards {
		bad("shards %d: want 1 to %d", j.Shards, MaxShards)
	}
	if j.CPUs < 1 || j.CPUs > 256 {
		bad("cpus %d: want 1 to 256", j.CPUs)
	}
	if j.Spread != "" && j.Spread != Required && j.Spread != Preferred {
		bad("spread %q: want required or preferred", j.Spread)
	}
	c := j.Config
	if len(c.RunID) > 63 || !labelValue.MatchString(c.RunID) {
		bad("run id %q: want a label value (letters, digits, '-', '_', '.', at most 63)", c.RunID)
	}
	switch {
	case c.StartAt.IsZero():
		bad("no start time: the shards must share one")
	case !c.StartAt.After(now):
		bad("start time %s is not after now (%s): the pods must be scheduled before it", c.StartAt.Format(time.RFC3339), now.Format(time.RFC3339))
	case c.StartAt.Sub(now) > driver.MaxStartWait:
		bad("start time %s is more than %v ahead: a shard waits at most that long", c.StartAt.Format(time.RFC3339), driver.MaxStartWait)
	}
	if c.Shard != (driver.Shard{}) {
		bad("the configuration names shard %v: each pod takes its own from JOB_COMPLETION_INDEX", c.Shard)
	}
	if c.Clients < j.Shards {
		bad("%d clients cannot be split over %d shards", c.Clients, j.Shards)
	}
	c.StartAt = time.Time{} // checked against now above, not the clock
	if err := c.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// command is the container's command line.
func (j Job) command() []string {
	return []string{j.Command, "load", "--config", ConfigPath, "--shard", "auto/" + strconv.Itoa(j.Shards), "--format", "jsonl", "--quiet"}
}

// deadline bounds the Job: the wait for the start, the run, and slack.
func (j Job) deadline(now time.Time) int64 {
	c := j.Config
	run := c.Warmup + c.Ramp + c.Duration + max(c.Timeout, driver.DefaultTimeout)
	if c.Duration == 0 {
		run += driver.DefaultDuration
		if c.RequestsPerClient > 0 {
			run += driver.DefaultCountTimeLimit - driver.DefaultDuration
		}
	}
	wait := max(c.StartAt.Sub(now), 0)
	return int64((wait + run + DeadlineSlack + time.Second - 1) / time.Second)
}

// Manifests returns the ConfigMap and the Job as one YAML stream, for
// kubectl apply -f. now is the time the manifests are written: the Job's
// deadline counts the wait for the start from it.
func (j Job) Manifests(now time.Time) ([]byte, error) {
	if j.Spread == "" {
		j.Spread = Required
	}
	if err := j.Validate(now); err != nil {
		return nil, fmt.Errorf("k8s: %w", err)
	}
	c := j.Config
	c.Loops = j.CPUs
	c.StartAt = c.StartAt.UTC()
	cfg, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("k8s: encode the load configuration: %w", err)
	}
	labels := map[string]string{NameLabel: "scalelab", ComponentLabel: "load", RunIDLabel: c.RunID}
	meta := objectMeta{Name: j.Name, Namespace: j.Namespace, Labels: labels}
	cm := configMap{APIVersion: "v1", Kind: "ConfigMap", Metadata: meta, Data: map[string]string{ConfigKey: string(cfg) + "\n"}}
	job := job{APIVersion: "batch/v1", Kind: "Job", Metadata: meta, Spec: j.jobSpec(labels, j.deadline(now))}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	for _, obj := range []any{cm, job} {
		if err := enc.Encode(obj); err != nil {
			return nil, fmt.Errorf("k8s: write manifests: %w", err)
		}
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("k8s: write manifests: %w", err)
	}
	return b.Bytes(), nil
}

// jobSpec is the Indexed Job's spec.
func (j Job) jobSpec(labels map[string]string, deadline int64) jobSpec {
	term := podAffinityTerm{LabelSelector: labelSelector{MatchLabels: map[string]string{RunIDLabel: labels[RunIDLabel]}},
		TopologyKey: "kubernetes.io/hostname"}
	var anti podAntiAffinity
	if j.Spread == Preferred {
		anti.Preferred = []weightedTerm{{Weight: 100, PodAffinityTerm: term}}
	} else {
		anti.Required = []podAffinityTerm{term}
	}
	cpus := strconv.Itoa(j.CPUs)
	return jobSpec{
		CompletionMode: "Indexed",
		Completions:    j.Shards,
		Parallelism:    j.Shards,
		// A retried shard would start after the others: it is refused
		// (more than driver.StartLate late), so retries only waste time.
		BackoffLimit:          0,
		ActiveDeadlineSeconds: deadline,
		Template: podTemplate{
			Metadata: objectMeta{Labels: labels},
			Spec: podSpec{
				RestartPolicy: "Never",
				Affinity:      affinity{PodAntiAffinity: anti},
				Containers: []container{{
					Name:         "load",
					Image:        j.Image,
					Command:      j.command(),
					Env:          []envVar{{Name: "GOMAXPROCS", Value: cpus}},
					Resources:    resources{Requests: map[string]string{"cpu": cpus}},
					VolumeMounts: []volumeMount{{Name: "config", MountPath: ConfigDir, ReadOnly: true}},
				}},
				Volumes: []volume{{Name: "config", ConfigMap: configMapRef{Name: j.Name}}},
			},
		},
	}
}
