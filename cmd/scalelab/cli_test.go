package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/scalelab/scalelab/driver"
	"github.com/scalelab/scalelab/internal/golden"
)

// result is what one CLI invocation printed, and its exit status.
type result struct {
	stdout, stderr string
	code           int
}

// cli runs `scalelab ARGS` in-process as main does: run, then report.
func cli(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), &stdout, &stderr, args)
	code := report(&stderr, err)
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// transcript is a result as its golden file holds it; varies masks the
// figures that vary between runs.
func (r result) transcript(args []string, varies bool) []byte {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = a
		if a == "" || strings.ContainsAny(a, " '\"$<>|&;*?{}()[]") {
			quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	out, errOut := r.stdout, r.stderr
	if varies {
		out, errOut = mask(out), mask(errOut)
		for i := range quoted {
			quoted[i] = mask(quoted[i])
		}
	}
	return fmt.Appendf(nil, "$ scalelab %s\n--- stdout\n%s--- stderr\n%s--- exit %d\n", strings.Join(quoted, " "), out, errOut, r.code)
}

// masks replace the figures of a load that vary between runs (times,
// rates, sizes, ports, CPU use, the machine's CPUs) and keep the counts,
// which the tests fix.
var masks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:PORT"},
	{regexp.MustCompile(`\d[\d,]*(\.\d+)? (ms|s)\b`), "# $2"},
	{regexp.MustCompile(`\d[\d,]*(\.\d+)? (bytes?|MB)\b`), "# SIZE"},
	{regexp.MustCompile(`\d[\d,]*(\.\d+)?/s\b`), "#/s"},
	{regexp.MustCompile(`(Requests/sec|OK/sec):( +)[\d,.]+`), "$1:$2#"},
	{regexp.MustCompile(`Driver: \d+%`), "Driver: #%"},
	{regexp.MustCompile(`\d+ (event loops?|CPUs? allowed)`), "# $1"},
}

// mask replaces the figures of a transcript that vary between runs.
func mask(s string) string {
	for _, m := range masks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	return s
}

// checkCLI runs the CLI, compares its transcript with
// testdata/cli/NAME.golden (masked when varies is set) and asserts the
// exit status.
func checkCLI(t *testing.T, name string, wantCode int, varies bool, args ...string) result {
	t.Helper()
	r := cli(t, args...)
	if r.code != wantCode {
		t.Errorf("scalelab %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, wantCode, r.stdout, r.stderr)
	}
	golden.Check(t, filepath.Join("testdata", "cli", name+".golden"), r.transcript(args, varies))
	return r
}

// TestHelpGolden: `scalelab help`, and each command's help, on stdout with
// exit status 0, the same for `help CMD`, `CMD -h` and `CMD --help`.
func TestHelpGolden(t *testing.T) {
	checkCLI(t, "help", 0, false, "help")
	for _, name := range commandNames() {
		t.Run(name, func(t *testing.T) {
			r := checkCLI(t, "help-"+name, 0, false, "help", name)
			if r.stderr != "" || !strings.HasPrefix(r.stdout, "Usage:\n  scalelab "+name) {
				t.Errorf("help %s: stderr %q, stdout starts %q", name, r.stderr, r.stdout[:min(40, len(r.stdout))])
			}
			for _, flag := range []string{"-h", "--help"} {
				if other := cli(t, name, flag); other != r {
					t.Errorf("%s %s differs from help %s:\n%s", name, flag, name, other.stdout)
				}
			}
		})
	}
	for _, args := range [][]string{{"-h"}, {"--help"}} {
		if r := cli(t, args...); r.code != 0 || r.stdout == "" || r.stderr != "" {
			t.Errorf("scalelab %s: exit %d stdout %d bytes stderr %q", args[0], r.code, len(r.stdout), r.stderr)
		}
	}
}

// TestOneFlagStyle: every command lists its flags as --name (a short alias
// beside some), and takes flags after its arguments.
func TestOneFlagStyle(t *testing.T) {
	long := regexp.MustCompile(`^  (-[a-zA-Z], |    )--[a-z][a-z0-9-]+( |$)`)
	for _, name := range commandNames() {
		help := cli(t, "help", name).stdout
		_, flags, _ := strings.Cut(help, "\nFlags:\n")
		flags, _, _ = strings.Cut(flags, "\n\n")
		for _, line := range strings.Split(flags, "\n") {
			if strings.HasPrefix(line, "  -") && !long.MatchString(line) {
				t.Errorf("%s: flag line %q is not in --flag style", name, line)
			}
		}
		if !strings.Contains(flags, "--") {
			t.Errorf("%s lists no flags:\n%s", name, help)
		}
	}
}

// TestUsageErrorsGolden: one line that says what was wrong and what was
// meant, then a pointer to -h; never the whole usage; exit status 2.
func TestUsageErrorsGolden(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"no-command", nil},
		{"unknown-command", []string{"lod"}},
		{"duration-without-unit", []string{"load", "-c", "100", "-d", "2", "http://127.0.0.1:8080/"}},
		{"misspelled-flag", []string{"load", "--clinets", "5", "http://127.0.0.1:8080/"}},
		{"single-dash-long-flag", []string{"load", "-clients", "5", "http://127.0.0.1:8080/"}},
		{"wrk-threads-flag", []string{"load", "-t", "2", "-c", "10", "http://127.0.0.1:8080/"}},
		{"bad-threshold", []string{"load", "--threshold", "p99<10", "http://127.0.0.1:8080/"}},
		{"bool-value", []string{"load", "--keepalive", "false", "http://127.0.0.1:8080/"}},
		{"no-url", []string{"load", "-c", "10"}},
		{"shard-without-run-id", []string{"load", "--shard", "0/2", "http://127.0.0.1:8080/"}},
		{"bad-header", []string{"load", "-H", "Content-Length: 5", "http://127.0.0.1:8080/"}},
		{"serve-without-variant", []string{"serve"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := checkCLI(t, "error-"+tt.name, exitUsage, false, tt.args...)
			if tt.args != nil && (strings.Count(r.stderr, "\n") > 3 || strings.Contains(r.stderr, "Flags:")) {
				t.Errorf("the error is not short:\n%s", r.stderr)
			}
		})
	}
}

// mixServer answers 200, 404, 503, 200, ... over all its connections.
func mixServer(t *testing.T) string {
	t.Helper()
	var n atomic.Int64
	return answerServer(t, func() string {
		switch n.Add(1) % 3 {
		case 1:
			return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
		case 2:
			return "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"
		}
		return "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy"
	})
}

// TestLoadSummaryGolden: a load against an in-process server, its numbers
// masked; with thresholds that pass (exit 0) and fail (exit 1); against a
// server of 404s (exit 1) and a closed port (exit 3).
func TestLoadSummaryGolden(t *testing.T) {
	ok, mix, notFound := okServer(t), mixServer(t), statusServer(t, 404)
	for _, tt := range []struct {
		name string
		code int
		args []string
	}{
		{"load-ok", 0, []string{"load", "-c", "2", "--requests-per-client", "30", "-q", ok}},
		{"load-status-mix", 1, []string{"load", "-c", "3", "--requests-per-client", "30", "-q", "--threshold", "success>=99%", mix}},
		{"threshold-pass", 0, []string{"load", "-c", "2", "--requests-per-client", "30", "-q",
			"--threshold", "success>=99.9%", "--threshold", "p99<10s", "--threshold", "rps>=1", ok}},
		{"threshold-fail", 1, []string{"load", "-c", "2", "--requests-per-client", "30", "-q",
			"--threshold", "success>=99.9%", "--threshold", "p99<1us", ok}},
		{"load-404", 1, []string{"load", "-c", "2", "--requests-per-client", "30", "-q", notFound}},
		{"load-refused", 3, []string{"load", "-c", "2", "--requests-per-client", "3", "-q", closedURL(t)}},
	} {
		t.Run(tt.name, func(t *testing.T) { checkCLI(t, tt.name, tt.code, true, tt.args...) })
	}
}

// TestSummaryTextGolden: the text summary of a fixed Summary, numbers and
// all, as load prints it.
func TestSummaryTextGolden(t *testing.T) {
	s := &driver.Summary{Schema: driver.SummarySchema, RunID: "r1", Targets: []string{"http://127.0.0.1:8080/"}, Method: "GET",
		Clients: 100, ClientsTotal: 100, Shard: "0/1", Shards: 1, Mode: "closed", Pipeline: 1, KeepAlive: true, DurationS: 10,
		EndedBy: "duration", Requests: 392_050, OK: 390_000, Failed: 2_050, SuccessRate: 390_000.0 / 392_050, RPS: 39_000,
		Responses: 392_050, ResponsesRPS: 39_205, StatusCodes: map[string]uint64{"200": 390_000, "404": 2_000, "503": 50},
		BytesRead: 41_100_000, BytesWritten: 23_500_000, ReadBPS: 4_110_000, WriteBPS: 2_350_000,
		LatencyMS:  driver.Latency{P50: 2.41, P75: 2.9, P90: 3.8, P95: 4.6, P99: 9.7, P999: 21.2, P9999: 40.1, P99999: 52, Max: 55.3, Mean: 2.6},
		ConnectMS:  driver.ConnectTime{P50: 0.21, P99: 1.2, Max: 1.4},
		ConnectsOK: 100, ConnectsAttempted: 100,
		Errors:        map[string]uint64{driver.ClassHTTP4xx: 2_000, driver.ClassHTTP5xx: 50},
		ErrorsByStage: map[string]map[string]uint64{"status": {driver.ClassHTTP4xx: 2_000, driver.ClassHTTP5xx: 50}},
		Driver:        driver.Usage{CPUPct: 71, RSSMB: 14.2, RSSPeakMB: 14.9, CPUs: 2, Loops: 2},
	}
	var out bytes.Buffer
	if err := driver.WriteText(&out, s); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "cli", "summary-text.golden"), out.Bytes())
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		r := cli(t, args...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "scalelab ") || r.stderr != "" {
			t.Errorf("%v: exit %d %q %q", args, r.code, r.stdout, r.stderr)
		}
	}
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/scalelab/scalelab", Version: "v0.3.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "822e699abcdef0123456789"}, {Key: "vcs.modified", Value: "true"}}}
	for _, tt := range []struct {
		bi   *debug.BuildInfo
		want string
	}{
		{bi, "scalelab v0.3.0 (commit 822e699abcde, modified; go1.26.8)"},
		{&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, "scalelab (devel) (commit unknown; go1.26.8)"},
		{nil, "scalelab (unknown version: no build information)"},
	} {
		if got := versionText(tt.bi); got != tt.want {
			t.Errorf("versionText = %q, want %q", got, tt.want)
		}
	}
}

// TestExitCodeOf maps errors to exit statuses.
func TestExitCodeOf(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{failedError("x"), 1},
		{usageError("load", "x"), 2},
		{configError(os.ErrNotExist), 2},
		{runtimeError(os.ErrNotExist), 3},
		{fmt.Errorf("wrapped: %w", context.Canceled), 4},
		{inconclusiveError("x"), 4},
		{os.ErrPermission, 3},
	} {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

// statusServer answers every request with status code and a short body.
func statusServer(t *testing.T, code int) string {
	t.Helper()
	resp := fmt.Sprintf("HTTP/1.1 %d Status\r\nContent-Length: 2\r\n\r\nno", code)
	return answerServer(t, func() string { return resp })
}

// answerServer answers each request (a header block; no bodies) with the
// next string of answer.
func answerServer(t *testing.T, answer func() string) string {
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
						if _, err := c.Write([]byte(answer())); err != nil {
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
