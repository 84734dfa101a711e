package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/scalelab/scalelab/driver"
	"github.com/scalelab/scalelab/k8s"
)

// countingServer answers every request with "ok" and counts the requests
// and the connections it accepted.
func countingServer(t *testing.T) (url string, requests, conns *atomic.Int64) {
	t.Helper()
	requests, conns = new(atomic.Int64), new(atomic.Int64)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		_, _ = w.Write([]byte("ok"))
	}))
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL, requests, conns
}

// jobManifests runs `scalelab k8s job ARGS` in process and decodes its
// output strictly into the Kubernetes API's types.
func jobManifests(t *testing.T, args ...string) (*corev1.ConfigMap, *batchv1.Job) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), &stdout, &stderr, append([]string{"k8s", "job"}, args...)); err != nil {
		t.Fatalf("k8s job: %v\n%s", err, stderr.String())
	}
	docs := strings.Split(stdout.String(), "\n---\n")
	if len(docs) != 2 {
		t.Fatalf("want a ConfigMap and a Job, got:\n%s", stdout.String())
	}
	var cm corev1.ConfigMap
	var job batchv1.Job
	if err := yaml.UnmarshalStrict([]byte(docs[0]), &cm); err != nil {
		t.Fatalf("ConfigMap: %v", err)
	}
	if err := yaml.UnmarshalStrict([]byte(docs[1]), &job); err != nil {
		t.Fatalf("Job: %v", err)
	}
	return &cm, &job
}

// podCommand turns the Job's container into a local command as a node
// would run it: the binary in the image is bin, the ConfigMap's volume is
// the directory dir, the environment is the container's plus the index an
// Indexed Job sets.
func podCommand(t *testing.T, job *batchv1.Job, cm *corev1.ConfigMap, bin, dir string, index int) *exec.Cmd {
	t.Helper()
	pod := job.Spec.Template.Spec
	c := pod.Containers[0]
	if len(c.VolumeMounts) != 1 || pod.Volumes[0].ConfigMap == nil || pod.Volumes[0].ConfigMap.Name != cm.Name {
		t.Fatalf("the container does not mount the ConfigMap %s: %+v", cm.Name, pod.Volumes)
	}
	mount := c.VolumeMounts[0].MountPath
	argv := append(append([]string(nil), c.Command...), c.Args...)
	argv[0] = bin
	for i, a := range argv[1:] {
		if strings.HasPrefix(a, mount+"/") {
			argv[i+1] = dir + strings.TrimPrefix(a, mount)
		}
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), driver.ShardIndexEnv + "=" + strconv.Itoa(index)}
	for _, e := range c.Env {
		cmd.Env = append(cmd.Env, e.Name+"="+e.Value)
	}
	return cmd
}

// TestK8sJobRunsLocally runs the generated Job's command and environment
// as one local process per shard, started apart as pods are, with
// JOB_COMPLETION_INDEX 0 to N-1, against a local server; collects each
// pod's last line with scripts/k8s-collect.sh (kubectl faked from the
// processes' output) and checks the merge against what the server
// counted.
func TestK8sJobRunsLocally(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the driver runs on Linux")
	}
	bin := buildScalelab(t)
	url, requests, conns := countingServer(t)
	const shards, clients, perClient = 4, 8, 25
	cm, job := jobManifests(t, "--shards", strconv.Itoa(shards), "-c", strconv.Itoa(clients),
		"--requests-per-client", strconv.Itoa(perClient), "--start-in", "3s", "--name", "local", url+"/")
	if n := *job.Spec.Completions; n != shards || *job.Spec.CompletionMode != batchv1.IndexedCompletion {
		t.Fatalf("completions %d mode %s", n, *job.Spec.CompletionMode)
	}
	dir := t.TempDir()
	for k, v := range cm.Data {
		if err := os.WriteFile(filepath.Join(dir, k), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	logs := filepath.Join(t.TempDir(), "pods")
	if err := os.Mkdir(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	cmds := make([]*exec.Cmd, shards)
	for i := range shards {
		cmds[i] = podCommand(t, job, cm, bin, dir, i)
		f, err := os.Create(filepath.Join(logs, fmt.Sprintf("local-%d-x7k2q", i)))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmds[i].Stdout, cmds[i].Stderr = f, f // kubectl logs shows both
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond) // pods start apart
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			log, _ := os.ReadFile(filepath.Join(logs, fmt.Sprintf("local-%d-x7k2q", i)))
			t.Fatalf("shard %d: %v\n%s", i, err, log)
		}
	}

	merged := collect(t, bin, logs, "local")
	want := int64(clients * perClient)
	if merged.Shards != shards || merged.Clients != clients || merged.ClientsTotal != clients {
		t.Errorf("merged %d shards, %d of %d clients; want %d shards, %d clients", merged.Shards, merged.Clients, merged.ClientsTotal, shards, clients)
	}
	if int64(merged.Requests) != want || int64(merged.OK) != want || requests.Load() != want {
		t.Errorf("merged requests %d ok %d, server counted %d; want %d each", merged.Requests, merged.OK, requests.Load(), want)
	}
	if int64(merged.ConnectsOK) != conns.Load() || conns.Load() != clients {
		t.Errorf("merged connects %d, server accepted %d; want %d (keep-alive: one per client)", merged.ConnectsOK, conns.Load(), clients)
	}
	if merged.StartAt.IsZero() || !merged.StartedAt.Equal(merged.StartAt) {
		t.Errorf("merged start_at %v started_at %v: the shards did not start together", merged.StartAt, merged.StartedAt)
	}
}

// collect runs scripts/k8s-collect.sh with a fake kubectl that serves the
// pods' logs from dir (one file per pod), and decodes the merge.
func collect(t *testing.T, bin, dir, jobName string) *driver.Summary {
	t.Helper()
	fake := filepath.Join(t.TempDir(), "kubectl")
	script := `#!/bin/sh
# a fake kubectl: the Job is complete; its pods are the files in $PODS
case "$*" in
"get job ` + jobName + ` -o jsonpath="*) n=$(ls "$PODS" | wc -l); echo "$n/$n " ;;
"get pods -l ` + k8s.JobNameLabel + `=` + jobName + ` -o name") for p in $(ls "$PODS"); do echo "pod/$p"; done ;;
"logs pod/"*) cat "$PODS/${2#pod/}" ;;
*) echo "fake kubectl: unexpected: $*" >&2; exit 1 ;;
esac
`
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	cmd := exec.Command(filepath.Join("..", "..", "scripts", "k8s-collect.sh"), "-d", out, jobName, "--json")
	cmd.Env = append(os.Environ(), "KUBECTL="+fake, "SCALELAB="+bin, "PODS="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("k8s-collect.sh: %v\n%s", err, stderr.String())
	}
	var m driver.Summary
	if err := json.Unmarshal(stdout, &m); err != nil {
		t.Fatalf("merged summary: %v\n%s", err, stdout)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*.json"))
	if len(files) != len(mustReadDir(t, dir)) {
		t.Errorf("collected %d summaries from %d pods", len(files), len(mustReadDir(t, dir)))
	}
	return &m
}

func mustReadDir(t *testing.T, dir string) []os.DirEntry {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// TestK8sJobUsage: the mistakes of `scalelab k8s job` are usage errors
// that say what to do.
func TestK8sJobUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"k8s", "pod"}, "want 'scalelab k8s job --shards N [load flags] URL...'"},
		{[]string{"k8s", "job", "--shards", "4"}, "no target URL given"},
		{[]string{"k8s", "job", "http://127.0.0.1:8080/"}, "--shards N is required"},
		{[]string{"k8s", "job", "--shards", "4", "http://web.bench.svc:8080/"}, "is not a loopback address: in a cluster the pods' load leaves them, so give --allow-remote"},
		{[]string{"k8s", "job", "--shards", "4", "-c", "2", "http://127.0.0.1:8080/"}, "2 clients cannot be split over 4 shards"},
		{[]string{"k8s", "job", "--shards", "2", "--start-at", "2000-01-01T00:00:00Z", "http://127.0.0.1:8080/"}, "is not after now"},
		{[]string{"k8s", "job", "--shards", "2", "--start-in", "1h", "http://127.0.0.1:8080/"}, "more than 10m0s ahead"},
		{[]string{"k8s", "job", "--shards", "2", "--name", "Load", "http://127.0.0.1:8080/"}, `name "Load": want a DNS label`},
		{[]string{"k8s", "job", "--shards", "2", "--spread", "far", "http://127.0.0.1:8080/"}, `spread "far": want required or preferred`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := cli(t, tt.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) || r.stdout != "" {
				t.Errorf("exit %d, stderr %q (stdout %q); want exit %d saying %q", r.code, r.stderr, r.stdout, exitUsage, tt.want)
			}
		})
	}
}
