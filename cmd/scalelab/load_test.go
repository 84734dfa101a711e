package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scalelab/scalelab/driver"
)

// okServer answers every request on loopback with a 2-byte body.
func okServer(t *testing.T) string { return okServerNotify(t, nil) }

// okServerNotify is okServer that closes accepted (when not nil) once it
// has accepted its first connection.
func okServerNotify(t *testing.T, accepted chan struct{}) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if accepted != nil {
				close(accepted)
				accepted = nil
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				pending := 0
				for {
					n, err := c.Read(buf[pending:])
					if err != nil {
						return
					}
					pending += n
					for {
						i := bytes.Index(buf[:pending], []byte("\r\n\r\n"))
						if i < 0 {
							break
						}
						if _, err := c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")); err != nil {
							return
						}
						copy(buf, buf[i+4:pending])
						pending -= i + 4
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/"
}

func TestLoadFlagErrorsNameTheFlag(t *testing.T) {
	url := "http://127.0.0.1:1/"
	tests := []struct {
		args []string
		want string
	}{
		{[]string{}, "no target URL"},
		{[]string{url, "--clients", "0"}, "--clients"},
		{[]string{url, "--pipeline", "0"}, "--pipeline"},
		{[]string{url, "--pipeline", "4", "--keepalive=false"}, "--pipeline"},
		{[]string{url, "--rate", "-5"}, "--rate"},
		{[]string{url, "--timeout", "0s"}, "--timeout"},
		{[]string{url, "--timeout", "500us"}, "--timeout: must be at least 1ms"},
		{[]string{url, "--connect-timeout", "1us"}, "--connect-timeout: must be at least 1ms"},
		{[]string{url, "--rate", "NaN"}, "--rate: must be a finite number"},
		{[]string{url, "--rate", "+Inf"}, "--rate: must be a finite number"},
		{[]string{url, "--warmup", "2h"}, "--warmup: 2h0m0s is longer than the 1h0m0s allowed"},
		{[]string{url, "--clients", "2", "--shard", "0/3", "--run-id", "r"}, "--shard: shard 0/3 of 2 clients is empty"},
		{[]string{url, "--clients", "2", "--shard", "0/2"}, "--shard 0/2 needs --run-id ID"},
		{[]string{url, "--shard", "3/3"}, "--shard"},
		{[]string{url, "--duration", "banana"}, "-duration"},
		{[]string{"https://127.0.0.1/"}, "scheme must be http"},
		{[]string{"http://example.com/"}, "allow-remote"},
		{[]string{url, "--no-such-flag"}, "no-such-flag"},
		{[]string{url, "-m", "post"}, "-m, --method: methods are case-sensitive: did you mean POST?"},
		{[]string{url, "-H", "NoColon"}, `-H, --header: header "NoColon": want "Name: value"`},
		{[]string{url, "--body", "x", "--body-file", "f"}, "choose one"},
		{[]string{url, "--body-file", "/nonexistent/body"}, "--body-file: open /nonexistent/body"},
		{[]string{url, "-o", "yaml"}, `-o, --format "yaml": want text, json, jsonl or csv`},
		{[]string{url, "--threshold", "p99<10", "--threshold", "sucess>=1%"}, "did you mean success?"},
		{[]string{url, "--run-id", "a b"}, "--run-id: "},
		{[]string{url, "--start-at", "soon"}, `--start-at: start time "soon": want RFC 3339`},
		{[]string{url, "--start-at", "1000000000"}, "--start-at: 2001-09-09T01:46:40Z is "},
		{[]string{url, "--start-at", "2999-01-01T00:00:00Z"}, "--start-at: 2999-01-01T00:00:00Z is "},
		{[]string{url, "--shard", "auto/4", "--run-id", "r"}, "--shard: shard \"auto/4\": JOB_COMPLETION_INDEX is not set"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := cli(t, append([]string{"load"}, tt.args...)...)
			if r.code != exitUsage {
				t.Errorf("exit %d, want %d", r.code, exitUsage)
			}
			if !strings.Contains(r.stderr, tt.want) || r.stdout != "" {
				t.Errorf("stderr %q does not mention %q (stdout %q)", r.stderr, tt.want, r.stdout)
			}
		})
	}
}

func TestLoadUsageHidesTestFlags(t *testing.T) {
	out := cli(t, "load", "-h").stdout
	if !strings.Contains(out, "--clients") || strings.Contains(out, "nofile") || strings.Contains(out, "cpuprofile") {
		t.Errorf("usage:\n%s", out)
	}
}

// TestShortFlags: the wrk/hey/oha habits work as written.
func TestShortFlags(t *testing.T) {
	url := okServer(t)
	for _, args := range [][]string{
		{"load", "-c", "3", "-d", "300ms", url, "-q"},
		{"load", "-c3", "-d300ms", "-q", url},
		{"load", "--clients=3", "--duration=300ms", "-q", url},
		{"load", url, "-c", "3", "-d", "300ms", "-o", "json", "-q"},
	} {
		r := cli(t, args...)
		if r.code != 0 || !strings.Contains(r.stdout, "3 clients") && !strings.Contains(r.stdout, `"clients": 3`) {
			t.Errorf("%v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}
}

func TestLoadJSONAndText(t *testing.T) {
	url := okServer(t)
	var out bytes.Buffer
	args := []string{"load", url, "--clients", "3", "--requests-per-client", "20", "--json", "--quiet"}
	if err := run(context.Background(), &out, &bytes.Buffer{}, args); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, k := range []string{"requests", "success_rate", "rps", "latency_ms", "connect_ms", "errors", "timeline", "driver", "histogram",
		"run_id", "method", "responses", "responses_rps", "status_codes", "bytes_read", "bytes_written", "read_bytes_per_s", "written_bytes_per_s"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if m["requests"].(float64) != 60 || m["success_rate"].(float64) != 1 {
		t.Errorf("requests %v success %v, want 60 and 1", m["requests"], m["success_rate"])
	}
	for _, k := range []string{"p50", "p75", "p90", "p95", "p99", "p999", "p9999", "p99999", "max"} {
		if _, ok := m["latency_ms"].(map[string]any)[k]; !ok {
			t.Errorf("latency_ms lacks %q", k)
		}
	}
	for _, k := range []string{"cpu_pct", "rss_mb"} {
		if _, ok := m["driver"].(map[string]any)[k]; !ok {
			t.Errorf("driver lacks %q", k)
		}
	}

	// flags after and before the URL, refused port: the text lists
	// errors, and the run could not happen (exit status 3)
	refused := closedURL(t)
	r := cli(t, "load", "--clients", "2", refused, "--requests-per-client", "2")
	if r.code != exitRuntime || !strings.Contains(r.stderr, "could not run: no connection was made (connect_refused 4)") {
		t.Errorf("refused port: exit %d, stderr %q", r.code, r.stderr)
	}
	text := r.stdout
	for _, want := range []string{"Requests/sec:", "Latency", "Connect", "connect_refused", "(at connect)", "Driver:"} {
		if !strings.Contains(text, want) {
			t.Errorf("text summary lacks %q:\n%s", want, text)
		}
	}
}

func closedURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/"
}

func TestShardsThenMerge(t *testing.T) {
	url := okServer(t)
	dir := t.TempDir()
	var files []string
	for _, shard := range []string{"0/2", "1/2"} {
		f := filepath.Join(dir, strings.ReplaceAll(shard, "/", "of")+".json")
		args := []string{"load", url, "--clients", "5", "--requests-per-client", "8", "--shard", shard, "--run-id", "r1", "--out", f, "--quiet"}
		if err := run(context.Background(), &bytes.Buffer{}, &bytes.Buffer{}, args); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	var out bytes.Buffer
	if err := run(context.Background(), &out, &bytes.Buffer{}, append([]string{"merge", "--json"}, files...)); err != nil {
		t.Fatal(err)
	}
	var m driver.Summary
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if m.Requests != 40 || m.OK != 40 || m.Clients != 5 || m.Shards != 2 {
		t.Errorf("merged requests %d ok %d clients %d shards %d, want 40 40 5 2", m.Requests, m.OK, m.Clients, m.Shards)
	}
	h, err := driver.DecodeHistogram(m.Histogram)
	if err != nil || h.TotalCount() != 40 {
		t.Errorf("merged histogram: %v, %d values", err, h.TotalCount())
	}

	out.Reset()
	if err := run(context.Background(), &out, &bytes.Buffer{}, []string{"merge", files[0], files[1]}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "40 requests") {
		t.Errorf("text merge:\n%s", out.String())
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"schema":"scalelab/load/v1","surprise":1}`), 0o644)
	if r := cli(t, "merge", bad); r.code != exitUsage || !strings.Contains(r.stderr, "surprise") {
		t.Errorf("unknown field accepted: exit %d %s", r.code, r.stderr)
	}

	// The same shard twice, a shard of another run, a missing shard.
	other := filepath.Join(dir, "other.json")
	if r := cli(t, "load", url, "-c", "5", "--requests-per-client", "2", "--shard", "1/2", "--run-id", "r2", "--out", other, "-q"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	for _, tt := range []struct {
		files []string
		want  string
	}{
		{[]string{files[0], files[0]}, "shard 0/2 twice: " + files[0] + " and " + files[0]},
		{[]string{files[0], other}, other + ` is from run "r2", ` + files[0] + ` from run "r1": shards of different runs`},
		{[]string{files[1]}, "shard 0/2 is missing (have 1 of 2 shards)"},
	} {
		r := cli(t, append([]string{"merge"}, tt.files...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) || r.stdout != "" {
			t.Errorf("merge %v: exit %d, stderr %q, want %q", tt.files, r.code, r.stderr, tt.want)
		}
	}

	// Thresholds on the merged run.
	if r := cli(t, "merge", "--threshold", "success>=100%", "--threshold", "p99<1us", files[0], files[1]); r.code != exitFailed ||
		!strings.Contains(r.stdout, "Thresholds: 1 of 2 passed") || !strings.Contains(r.stderr, "1 of 2 thresholds failed: p99<1us") {
		t.Errorf("merge thresholds: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestLoadSubprocess is the entry point of the subprocess tests: with
// SCALELAB_TEST_ARGS set it runs the CLI with those arguments and exits,
// stopping on SIGINT or SIGTERM as main does.
func TestLoadSubprocess(t *testing.T) {
	args := os.Getenv("SCALELAB_TEST_ARGS")
	if args == "" {
		t.Skip("only run as a subprocess")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Stdout, os.Stderr, strings.Fields(args))
	stop()
	os.Exit(report(os.Stderr, err))
}

// cliCommand returns the command that runs `scalelab ARGS` in a subprocess
// (this test binary).
func cliCommand(bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, "-test.run=^TestLoadSubprocess$")
	cmd.Env = append(os.Environ(), "SCALELAB_TEST_ARGS="+strings.Join(args, " "))
	return cmd
}

// runCLI runs `scalelab ARGS` in a subprocess and returns its stdout.
func runCLI(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := cliCommand(os.Args[0], args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// TestDriverFDLimit: a driver whose own RLIMIT_NOFILE is tiny cannot open
// sockets; the failures are too_many_open_files at the socket stage. The
// limit is lowered only in the subprocess.
func TestDriverFDLimit(t *testing.T) {
	url := okServer(t)
	out := runCLI(t, "load", url, "--nofile", "24", "--clients", "60", "--duration", "500ms", "--json", "--quiet")
	var s driver.Summary
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if s.OK == 0 {
		t.Errorf("no request succeeded: the clients that got an fd should work")
	}
	if n := s.ErrorsByStage["socket"][driver.ClassTooManyFiles]; n == 0 || n != s.Failed {
		t.Errorf("too_many_open_files at socket = %d, failed %d: %v", n, s.Failed, s.ErrorsByStage)
	}
}

// writeConfig writes a driver configuration as JSON into a temporary file.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "load.json")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLoadConfig: `load --config FILE` runs the JSON configuration and
// prints the JSON summary, as the runner will use it.
func TestLoadConfig(t *testing.T) {
	cfg, err := json.Marshal(driver.Config{Targets: []string{okServer(t)}, Clients: 3, RequestsPerClient: 7})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out.json")
	var stdout bytes.Buffer
	if err := run(context.Background(), &stdout, &bytes.Buffer{}, []string{"load", "--config", writeConfig(t, string(cfg)), "--quiet", "--out", out}); err != nil {
		t.Fatal(err)
	}
	var s driver.Summary
	if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
		t.Fatalf("stdout is not the JSON summary: %v\n%s", err, stdout.String())
	}
	if s.Requests != 21 || s.OK != 21 || s.Clients != 3 || s.EndedBy != "requests" {
		t.Errorf("requests %d ok %d clients %d ended by %s, want 21 21 3 requests", s.Requests, s.OK, s.Clients, s.EndedBy)
	}
	if b, err := os.ReadFile(out); err != nil || !bytes.Equal(b, stdout.Bytes()) {
		t.Errorf("--out file differs from stdout (%v)", err)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	url := "http://127.0.0.1:1/"
	good := writeConfig(t, `{"targets":["`+url+`"]}`)
	tests := []struct {
		name string
		args []string
		want []string // all in the error
	}{
		{"unknown field", []string{"--config", writeConfig(t, `{"targets":["`+url+`"],"clinets":4}`)}, []string{`unknown field "clinets"`}},
		{"wrong type", []string{"--config", writeConfig(t, `{"targets":["`+url+`"],"pipeline":"deep"}`)}, []string{"pipeline"}},
		{"bad value", []string{"--config", writeConfig(t, `{"targets":["`+url+`"],"connect_timeout":1000}`)},
			[]string{"connect_timeout: must be at least 1ms"}},
		{"two bad values", []string{"--config", writeConfig(t, `{"targets":["`+url+`"],"clients":-2,"rate":-1}`)},
			[]string{"clients: -2 is out of range", "rate: must not be negative"}},
		{"bad target", []string{"--config", writeConfig(t, `{"targets":["https://127.0.0.1/"]}`)}, []string{"scheme must be http"}},
		{"no such file", []string{"--config", filepath.Join(t.TempDir(), "none.json")}, []string{"--config", "no such file"}},
		{"with a URL", []string{"--config", good, url}, []string{"--config", "URL " + url}},
		{"with a load flag", []string{"--config", good, "--clients", "4"}, []string{"--config", "--clients"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, append([]string{"load"}, tt.args...)...)
			if r.code != exitUsage {
				t.Errorf("exit %d, want %d", r.code, exitUsage)
			}
			for _, want := range tt.want {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr %q does not mention %q", r.stderr, want)
				}
			}
		})
	}
}

// TestLoadConfigStdinAndSIGTERM: the runner's way: the configuration on
// stdin, and a SIGTERM during the run still prints the partial summary.
func TestLoadConfigStdinAndSIGTERM(t *testing.T) {
	accepted := make(chan struct{})
	cfg := `{"targets":["` + okServerNotify(t, accepted) + `"],"clients":2,"duration":60000000000}`
	cmd := cliCommand(os.Args[0], "load", "--config", "-")
	cmd.Stdin = strings.NewReader(cfg)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select { // the run is under way (and the signal handler set) once it connects
	case <-accepted:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the driver never connected\n%s", stderr.String())
	}
	time.Sleep(200 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Interrupted: the summary is printed, and the exit status says the
	// run is inconclusive.
	var exit *exec.ExitError
	if err := cmd.Wait(); !errors.As(err, &exit) || exit.ExitCode() != exitInconclusive {
		t.Fatalf("exit %v, want status %d\n%s", err, exitInconclusive, stderr.String())
	}
	var s driver.Summary
	if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
		t.Fatalf("no JSON summary after SIGTERM: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	if s.EndedBy != "canceled" || s.Clients != 2 {
		t.Errorf("ended by %q with %d clients, want canceled with 2", s.EndedBy, s.Clients)
	}
}

// TestRemoteTargetRefusedAsNobody reproduces the issue literally: a
// non-root driver in a fresh network and PID namespace (where it cannot
// read /proc/1/ns/net) with a veth up and a neighbour entry, loading
// 10.9.9.9 without --allow-remote, must be refused; with only lo the same
// command runs, as nothing can leave.
func TestRemoteTargetRefusedAsNobody(t *testing.T) {
	for _, tool := range []string{"unshare", "setpriv", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to make namespaces")
	}
	// The test binary, where user nobody can run it.
	dir, err := os.MkdirTemp("", "scalelab-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "scalelab.test")
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, self, 0o755); err != nil || os.Chmod(dir, 0o755) != nil {
		t.Fatal(err)
	}
	veth := "ip link add v0 type veth peer name v1 && ip addr add 10.9.9.1/24 dev v0 && ip link set v0 up && ip link set v1 up && " +
		"ip neigh replace 10.9.9.9 lladdr 02:00:00:00:00:09 dev v0 nud permanent && "
	// Not exec'd: the shell stays PID 1 of the new PID namespace, a root
	// process whose /proc/1/ns/net user nobody cannot read.
	asNobody := "setpriv --reuid=nobody --regid=nogroup --clear-groups " + bin + " -test.run=^TestLoadSubprocess$; exit $?"
	for _, tt := range []struct {
		name, setup string
		refused     bool
	}{{"veth up", veth, true}, {"only lo", "", false}} {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command("unshare", "-n", "-p", "-f", "--mount-proc", "sh", "-c", tt.setup+asNobody)
			cmd.Env = append(os.Environ(), "SCALELAB_TEST_ARGS=load http://10.9.9.9:80/ --clients 1 --duration 1s --json")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if tt.refused {
				if err == nil || !strings.Contains(stderr.String(), "not loopback") || !strings.Contains(stderr.String(), "--allow-remote") {
					t.Errorf("not refused: %v\nstdout %s\nstderr %s", err, stdout.String(), stderr.String())
				}
				return
			}
			// The run happens, but no connect finds a route: exit 3.
			var s driver.Summary
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != exitRuntime || json.Unmarshal(stdout.Bytes(), &s) != nil || s.Errors["other_ENETUNREACH_connect"] == 0 {
				t.Errorf("want a run whose connects find no route: %v\nstdout %s\nstderr %s", err, stdout.String(), stderr.String())
			}
		})
	}
}

// TestLoadLatencyJSONThresholdsAndBodyFile: --latency prints the spectrum,
// -o json carries the thresholds with their measured values, and
// --body-file sends the file.
func TestLoadLatencyJSONThresholdsAndBodyFile(t *testing.T) {
	url := okServer(t)
	r := cli(t, "load", "-c", "2", "--requests-per-client", "20", "-q", "--latency", url)
	for _, want := range []string{"Latency distribution", " 99.999%", "Detailed percentile spectrum", "#[Max"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("--latency: exit %d, lacks %q:\n%s", r.code, want, r.stdout)
		}
	}
	body := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(body, []byte(`{"hello":"world"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r = cli(t, "load", "-c", "2", "--requests-per-client", "20", "-q", "-o", "json", "-m", "POST", "--body-file", body,
		"--threshold", "success>=100%", "--threshold", "p99<1us", url)
	var s driver.Summary
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if r.code != exitFailed || len(s.Thresholds) != 2 || !s.Thresholds[0].Passed || s.Thresholds[1].Passed ||
		s.Thresholds[1].Measured == nil || *s.Thresholds[1].Measured <= 0.001 {
		t.Errorf("exit %d thresholds %+v", r.code, s.Thresholds)
	}
	if s.Method != "POST" || s.BodyBytes != 17 || s.RunID == "" || len(s.RunID) != 16 {
		t.Errorf("method %q body %d run id %q", s.Method, s.BodyBytes, s.RunID)
	}
}
