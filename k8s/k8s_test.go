package k8s

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/scalelab/scalelab/driver"
	"github.com/scalelab/scalelab/internal/golden"
)

var written = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func sample() Job {
	return Job{
		Name: "scalelab-load", Image: "registry.example/scalelab:v1", Command: "/usr/local/bin/scalelab",
		Shards: 4, CPUs: 1,
		Config: driver.Config{
			Targets: []string{"http://server.bench.svc.cluster.local:8080/"}, Clients: 400,
			Duration: 30 * time.Second, Warmup: 2 * time.Second, Timeout: 2 * time.Second,
			AllowRemote: true, RunID: "5f0c2a9e1b7d4c3a", StartAt: written.Add(2 * time.Minute),
		},
	}
}

// decodeStrict splits the YAML stream and decodes it into the Kubernetes
// API's types; an unknown or misspelled field is an error.
func decodeStrict(t *testing.T, manifests []byte) (*corev1.ConfigMap, *batchv1.Job) {
	t.Helper()
	docs := strings.Split(string(manifests), "\n---\n")
	if len(docs) != 2 {
		t.Fatalf("%d documents, want a ConfigMap and a Job:\n%s", len(docs), manifests)
	}
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict([]byte(docs[0]), &cm); err != nil {
		t.Fatalf("ConfigMap does not decode strictly into core/v1: %v", err)
	}
	var job batchv1.Job
	if err := yaml.UnmarshalStrict([]byte(docs[1]), &job); err != nil {
		t.Fatalf("Job does not decode strictly into batch/v1: %v", err)
	}
	if err := keptByAPI([]byte(docs[0]), &cm); err != nil {
		t.Errorf("ConfigMap: %v", err)
	}
	if err := keptByAPI([]byte(docs[1]), &job); err != nil {
		t.Errorf("Job: %v", err)
	}
	return &cm, &job
}

// keptByAPI checks that every key and value of the YAML document comes
// back, spelled the same, when the decoded API object is encoded again:
// encoding/json matches field names without regard to case, which the API
// server does not do, so a key that decoded into a field under another
// spelling ("completionmode") is caught here.
func keptByAPI(doc []byte, obj any) error {
	in, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return err
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	var a, b any
	if err := json.Unmarshal(in, &a); err != nil {
		return err
	}
	if err := json.Unmarshal(out, &b); err != nil {
		return err
	}
	return subset("", a, b)
}

// subset reports the first path of a that b lacks or holds otherwise.
func subset(path string, a, b any) error {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: an object became %v", path, b)
		}
		for k, v := range av {
			w, ok := bv[k]
			if !ok {
				return fmt.Errorf("%s.%s: not a field of the API type (dropped or spelled otherwise)", path, k)
			}
			if err := subset(path+"."+k, v, w); err != nil {
				return err
			}
		}
	case []any:
		bv, ok := b.([]any)
		if !ok || len(bv) != len(av) {
			return fmt.Errorf("%s: a list of %d became %v", path, len(av), b)
		}
		for i := range av {
			if err := subset(fmt.Sprintf("%s[%d]", path, i), av[i], bv[i]); err != nil {
				return err
			}
		}
	default:
		if !reflect.DeepEqual(a, b) {
			return fmt.Errorf("%s: %v became %v", path, a, b)
		}
	}
	return nil
}

// TestManifestsGolden pins the manifests of a 4-shard run and decodes
// them strictly into k8s.io/api's batch/v1 Job and core/v1 ConfigMap.
func TestManifestsGolden(t *testing.T) {
	got, err := sample().Manifests(written)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "job-4-shards.golden.yaml"), got)
	decodeStrict(t, got)
}

// TestManifestsDecodeStrictly checks what the Job means, read through the
// API's types: an Indexed Job of N pods that each request their CPUs, kept
// on different nodes, running the shard command against the mounted
// configuration, which decodes strictly into the driver's.
func TestManifestsDecodeStrictly(t *testing.T) {
	for _, spread := range []Spread{Required, Preferred} {
		t.Run(string(spread), func(t *testing.T) {
			j := sample()
			j.Spread, j.CPUs, j.Namespace = spread, 2, "bench"
			out, err := j.Manifests(written)
			if err != nil {
				t.Fatal(err)
			}
			cm, job := decodeStrict(t, out)
			checkJob(t, j, job)
			if cm.Name != j.Name || cm.Namespace != "bench" || job.Namespace != "bench" || job.Kind != "Job" || cm.Kind != "ConfigMap" {
				t.Errorf("names: ConfigMap %s/%s (%s), Job %s/%s (%s)", cm.Namespace, cm.Name, cm.Kind, job.Namespace, job.Name, job.Kind)
			}
			aff := job.Spec.Template.Spec.Affinity.PodAntiAffinity
			var term corev1.PodAffinityTerm
			switch {
			case spread == Required && len(aff.RequiredDuringSchedulingIgnoredDuringExecution) == 1:
				term = aff.RequiredDuringSchedulingIgnoredDuringExecution[0]
			case spread == Preferred && len(aff.PreferredDuringSchedulingIgnoredDuringExecution) == 1:
				term = aff.PreferredDuringSchedulingIgnoredDuringExecution[0].PodAffinityTerm
			default:
				t.Fatalf("anti-affinity %+v, want one %s term", aff, spread)
			}
			if term.TopologyKey != "kubernetes.io/hostname" || term.LabelSelector.MatchLabels[RunIDLabel] != j.Config.RunID ||
				job.Spec.Template.Labels[RunIDLabel] != j.Config.RunID {
				t.Errorf("anti-affinity term %+v does not keep the run's pods (labels %v) apart by node", term, job.Spec.Template.Labels)
			}
			dec := json.NewDecoder(strings.NewReader(cm.Data[ConfigKey]))
			dec.DisallowUnknownFields()
			var cfg driver.Config
			if err := dec.Decode(&cfg); err != nil {
				t.Fatalf("the ConfigMap's %s does not decode into driver.Config: %v", ConfigKey, err)
			}
			want := j.Config
			want.Loops = 2
			if !reflect.DeepEqual(cfg, want) {
				t.Errorf("configuration:\n got %+v\nwant %+v", cfg, want)
			}
		})
	}
}

func checkJob(t *testing.T, j Job, job *batchv1.Job) {
	t.Helper()
	s := job.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("completionMode %v, want Indexed", s.CompletionMode)
	}
	if s.Completions == nil || s.Parallelism == nil || int(*s.Completions) != j.Shards || int(*s.Parallelism) != j.Shards {
		t.Errorf("completions %v parallelism %v, want %d each", s.Completions, s.Parallelism, j.Shards)
	}
	if s.BackoffLimit == nil || *s.BackoffLimit != 0 || s.ActiveDeadlineSeconds == nil || *s.ActiveDeadlineSeconds < 120+34 {
		t.Errorf("backoffLimit %v activeDeadlineSeconds %v: want no retry and room for the wait and the run", s.BackoffLimit, s.ActiveDeadlineSeconds)
	}
	pod := s.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever || len(pod.Containers) != 1 {
		t.Fatalf("restartPolicy %q, %d containers", pod.RestartPolicy, len(pod.Containers))
	}
	c := pod.Containers[0]
	wantCmd := []string{j.Command, "load", "--config", ConfigPath, "--shard", "auto/4", "--format", "jsonl", "--quiet"}
	if !reflect.DeepEqual(c.Command, wantCmd) || c.Image != j.Image {
		t.Errorf("container %s %v, want %s %v", c.Image, c.Command, j.Image, wantCmd)
	}
	if cpu := c.Resources.Requests[corev1.ResourceCPU]; cpu.Value() != int64(j.CPUs) {
		t.Errorf("cpu request %v, want %d", cpu.String(), j.CPUs)
	}
	if len(c.VolumeMounts) != 1 || c.VolumeMounts[0].MountPath != ConfigDir || len(pod.Volumes) != 1 ||
		pod.Volumes[0].ConfigMap == nil || pod.Volumes[0].ConfigMap.Name != j.Name || pod.Volumes[0].Name != c.VolumeMounts[0].Name {
		t.Errorf("mounts %+v volumes %+v: want the ConfigMap %s at %s", c.VolumeMounts, pod.Volumes, j.Name, ConfigDir)
	}
}

// TestStrictDecodeCatchesMistakes: the checks the tests rely on reject a
// misspelled field and a field in the wrong case, so a wrong key in the
// package's types cannot pass.
func TestStrictDecodeCatchesMistakes(t *testing.T) {
	out, err := sample().Manifests(written)
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Split(string(out), "\n---\n")[1]
	var job batchv1.Job
	misspelled := strings.Replace(doc, "completionMode:", "completionsMode:", 1)
	if err := yaml.UnmarshalStrict([]byte(misspelled), &job); err == nil || !strings.Contains(err.Error(), "completionsMode") {
		t.Errorf("a misspelled field decoded: %v", err)
	}
	wrongCase := strings.Replace(doc, "completionMode:", "completionmode:", 1)
	if err := yaml.UnmarshalStrict([]byte(wrongCase), &job); err != nil {
		t.Fatal(err)
	}
	if err := keptByAPI([]byte(wrongCase), &job); err == nil || !strings.Contains(err.Error(), ".spec.completionmode") {
		t.Errorf("a field in the wrong case passed: %v", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(j *Job)
		want string
	}{
		{"upper-case name", func(j *Job) { j.Name = "Load" }, `name "Load": want a DNS label`},
		{"long name", func(j *Job) { j.Name = strings.Repeat("a", 62) }, "at most 61 characters"},
		{"no shards", func(j *Job) { j.Shards = 0 }, "shards 0: want 1 to 1000"},
		{"more shards than clients", func(j *Job) { j.Shards, j.Config.Clients = 8, 4 }, "4 clients cannot be split over 8 shards"},
		{"no start", func(j *Job) { j.Config.StartAt = time.Time{} }, "no start time"},
		{"start past", func(j *Job) { j.Config.StartAt = written.Add(-time.Second) }, "is not after now"},
		{"start far", func(j *Job) { j.Config.StartAt = written.Add(time.Hour) }, "more than 10m0s ahead"},
		{"run id", func(j *Job) { j.Config.RunID = "a b" }, `run id "a b": want a label value`},
		{"a shard", func(j *Job) { j.Config.Shard = driver.Shard{Index: 1, Count: 4} }, "each pod takes its own"},
		{"spread", func(j *Job) { j.Spread = "anywhere" }, `spread "anywhere"`},
		{"cpus", func(j *Job) { j.CPUs = 0 }, "cpus 0"},
		{"bad load", func(j *Job) { j.Config.Timeout = -1 }, "timeout: must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := sample()
			tt.edit(&j)
			_, err := j.Manifests(written)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
