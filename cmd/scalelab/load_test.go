package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scalelab/scalelab/driver"
)

// okServer answers every request on loopback with a 2-byte body.
func okServer(t *testing.T) string {
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
		{[]string{url, "--shard", "3/3"}, "--shard"},
		{[]string{url, "--duration", "banana"}, "-duration"},
		{[]string{"https://127.0.0.1/"}, "scheme must be http"},
		{[]string{"http://example.com/"}, "allow-remote"},
		{[]string{url, "--no-such-flag"}, "no-such-flag"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(context.Background(), &bytes.Buffer{}, &stderr, append([]string{"load"}, tt.args...))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error()+stderr.String(), tt.want) {
				t.Errorf("error %q (stderr %q) does not mention %q", err, stderr.String(), tt.want)
			}
		})
	}
}

func TestLoadUsageHidesTestFlags(t *testing.T) {
	var stderr bytes.Buffer
	_ = run(context.Background(), &bytes.Buffer{}, &stderr, []string{"load", "-h"})
	out := stderr.String()
	if !strings.Contains(out, "--clients") || strings.Contains(out, "nofile") || strings.Contains(out, "cpuprofile") {
		t.Errorf("usage:\n%s", out)
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
	for _, k := range []string{"requests", "success_rate", "rps", "latency_ms", "connect_ms", "errors", "timeline", "driver", "histogram"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if m["requests"].(float64) != 60 || m["success_rate"].(float64) != 1 {
		t.Errorf("requests %v success %v, want 60 and 1", m["requests"], m["success_rate"])
	}
	for _, k := range []string{"p50", "p90", "p99", "p999", "max"} {
		if _, ok := m["latency_ms"].(map[string]any)[k]; !ok {
			t.Errorf("latency_ms lacks %q", k)
		}
	}
	for _, k := range []string{"cpu_pct", "rss_mb"} {
		if _, ok := m["driver"].(map[string]any)[k]; !ok {
			t.Errorf("driver lacks %q", k)
		}
	}

	out.Reset()
	// flags after and before the URL, refused port: the text lists errors
	refused := closedURL(t)
	if err := run(context.Background(), &out, &bytes.Buffer{}, []string{"load", "--clients", "2", refused, "--requests-per-client", "2"}); err != nil {
		t.Fatal(err)
	}
	text := out.String()
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
		args := []string{"load", url, "--clients", "5", "--requests-per-client", "8", "--shard", shard, "--out", f, "--quiet"}
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
	if err := run(context.Background(), &out, &bytes.Buffer{}, []string{"merge", bad}); err == nil || !strings.Contains(err.Error(), "surprise") {
		t.Errorf("unknown field accepted: %v", err)
	}
}

// TestLoadSubprocess is the entry point of the subprocess tests: with
// SCALELAB_TEST_ARGS set it runs the CLI with those arguments and exits.
func TestLoadSubprocess(t *testing.T) {
	args := os.Getenv("SCALELAB_TEST_ARGS")
	if args == "" {
		t.Skip("only run as a subprocess")
	}
	if err := run(context.Background(), os.Stdout, os.Stderr, strings.Fields(args)); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(2)
	}
	os.Exit(0)
}

// runCLI runs `scalelab ARGS` in a subprocess (this test binary).
func runCLI(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadSubprocess$")
	cmd.Env = append(os.Environ(), "SCALELAB_TEST_ARGS="+strings.Join(args, " "))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// TestDriverFDLimit: a driver whose own RLIMIT_NOFILE is tiny cannot open
// sockets; the failures are too_many_open_files at the socket step. The
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
	if n := s.ErrorsByStep["socket"][driver.ClassTooManyFiles]; n == 0 || n != s.Failed {
		t.Errorf("too_many_open_files at socket = %d, failed %d: %v", n, s.Failed, s.ErrorsByStep)
	}
}
