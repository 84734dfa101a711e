package phases

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestBounds probes each bound of validation on both sides: the last value
// accepted and the first refused.
func TestBounds(t *testing.T) {
	clients := func(n int) string {
		counts := make([]string, n)
		for i := range counts {
			counts[i] = fmt.Sprint(i + 1)
		}
		return "sweep: {clients: [" + strings.Join(counts, ", ") + "]}\n"
	}
	targets := func(n int) string {
		return "driver: {targets: [" + strings.TrimSuffix(strings.Repeat(`"127.0.0.1:80", `, n), ", ") + "]}\n"
	}
	base := "schema: scalelab/phase/v1\nnumber: 3\nname: pool\nhypothesis: {limit: queueing}\n"
	// valid holds files at the edge of a bound, appended to base at line 5.
	valid := map[string]string{
		"durations at 1h":           "driver: {duration: 1h, warmup: 1h, ramp: 1h, timeout: 1h, connect_timeout: 1h}\nserver: {variant: pool, read_timeout: 1h}\n",
		"timeouts at 1ms":           "driver: {timeout: 1ms, connect_timeout: 1ms}\n",
		"ramp within the step":      "driver: {ramp: 3500ms}\n",
		"ramp with a request count": "driver: {ramp: 10s, duration: 0s, requests_per_client: 10}\n",
		"one port":                  "limits: {port_range: [1024, 1024]}\n",
		"same parity":               "limits: {port_range: [32768, 60998]}\n",
		"top port":                  "limits: {port_range: [65535, 65535]}\n",
		"somaxconn at INT_MAX":      "limits: {somaxconn: 2147483647}\n",
		"backlog at INT_MAX":        "server: {variant: pool, backlog: 2147483647}\n",
		"header bytes at least":     "server: {variant: pool, max_header_bytes: 256}\n",
		"header bytes at most":      "server: {variant: pool, max_header_bytes: 1048576}\n",
		"requests per client":       "driver: {requests_per_client: 1000000000}\n",
		"path with a query":         "driver: {path: \"/cpu?us=50\"}\n",
		"targets":                   "driver: {targets: [\"localhost:8080\", \"[::1]:80\", \"10.0.0.1:1\"]}\n",
		"64 targets":                targets(64),
		"100 client counts":         clients(100),
		"16 hosts":                  "driver: {hosts: 16}\nsweep: {clients: [16, 32]}\n",
		"lifted to hosts":           "driver: {hosts: 1}\nverify: {enabled: true, port: hosts, hosts: 16}\n",
		"hosts by default":          "verify: {port: hosts}\n",
	}
	for name, add := range valid {
		t.Run(name, func(t *testing.T) {
			in := complete(base + add)
			p, err := Parse("p.yaml", []byte(in))
			if err != nil {
				t.Fatalf("refused: %v\n%s", err, in)
			}
			if err := p.Validate(); err != nil {
				t.Errorf("Parse accepts what Validate refuses: %v", err)
			}
		})
	}

	// invalid holds files just beyond a bound, and the problem reported.
	invalid := map[string]string{
		"driver: {duration: 1h0m0.001s}\n":                     "driver.duration: 1h0m0.001s is longer than the 1h0m0s allowed",
		"driver: {timeout: 999us}\n":                           "driver.timeout: must be at least 1ms, got 999µs",
		"driver: {timeout: -0s}\n":                             "driver.timeout: must be at least 1ms, got 0s (a timeout of zero is none at all)",
		"driver: {ramp: 10s}\n":                                "driver.ramp: 10s is longer than driver.warmup + driver.duration (3.5s): the last clients would start after the step ends",
		"limits: {port_range: [1023, 2000]}\n":                 "limits.port_range: the low port 1023 is below 1024: the kernel refuses (EINVAL) a range that starts below net.ipv4.ip_unprivileged_port_start, 1024 in the lab's namespaces",
		"limits: {port_range: [1024, 65536]}\n":                "limits.port_range: ports must be within 1024..65535, got [1024, 65536]",
		"limits: {somaxconn: 2147483648}\n":                    "limits.somaxconn: must be at most 2147483647 (the kernel refuses more), got 2147483648",
		"server: {variant: pool, backlog: 2147483648}\n":       "server.backlog: must be at most 2147483647 (listen(2) takes a C int), got 2147483648",
		"server: {variant: pool, max_header_bytes: 255}\n":     "server.max_header_bytes: must be 0 (the variant's default) or between 256 and 1048576, got 255",
		"server: {variant: pool, max_header_bytes: 1048577}\n": "server.max_header_bytes: must be 0 (the variant's default) or between 256 and 1048576, got 1048577",
		"driver: {requests_per_client: 1000000001}\n":          "driver.requests_per_client: must be at most 1000000000, got 1000000001",
		"driver: {path: \"/a#b\"}\n":                           `driver.path: "/a#b" must not contain #: a fragment is not sent to servers`,
		"driver: {path: \"/a%zz\"}\n":                          `driver.path: "/a%zz": invalid URL escape "%zz"`,
		"driver: {targets: [\"example.com:80\"]}\n":            `driver.targets[0]: "example.com:80": the host must be an IP address (without a zone) or localhost; the driver resolves no names`,
		targets(65):                 "driver.targets: 65 targets; at most 64",
		clients(5000):               "sweep.clients: 5000 client counts; at most 100 (each is a step of the run)",
		"title: \"a\\tb\"\n":        `title: must be one line without control characters, found '\t'`,
		"success_threshold: .nan\n": "success_threshold: must be above 0 and at most 1, got NaN",
		"success_threshold: .inf\n": "success_threshold: must be above 0 and at most 1, got +Inf",
		"driver: {hosts: 17}\n":     "driver.hosts: must be between 0 and 16, got 17",
		"driver: {hosts: 2, targets: [\"127.0.0.1:80\"]}\n": "driver.hosts: client hosts load the server's listeners on the lab's bridge; leave driver.targets out",
		"sweep: {clients: [2, 8]}\ndriver: {hosts: 4}\n":    "sweep.clients[0]: 2 clients cannot be split over driver.hosts 4 (each host runs a shard)",
		"verify: {port: range, hosts: 4}\n":                 "verify.hosts: only with verify.port: hosts",
		"verify: {port: hosts, hosts: 1}\n":                 "verify.hosts: must be more than driver.hosts (1) and at most 16, got 1",
		"verify: {port: more}\n":                            `verify.port: "more": want tw_reuse, range or hosts`,
	}
	for add, want := range invalid {
		t.Run(want, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte(complete(base+add)))
			if want = "p.yaml:5: " + want; err == nil || err.Error() != want {
				t.Errorf("\n got: %v\nwant: %s", err, want)
			}
		})
	}
}

// complete adds a server and a sweep to a phase file that lacks them.
func complete(in string) string {
	if !strings.Contains(in, "\nsweep:") {
		in += "sweep: {clients: [20, 50]}\n"
	}
	if !strings.Contains(in, "\nserver:") {
		in += "server: {variant: pool}\n"
	}
	return in
}

// TestNegativeZero checks that -0 and -0s are zero durations, and that a
// hypothesis note keeps its line breaks and tabs.
func TestNegativeZero(t *testing.T) {
	in := strings.Replace(minimal, `note: "workers run out"`, `note: "workers\n\trun out"`, 1) +
		"driver: {warmup: -0s, ramp: -0}\n"
	p, err := Parse("p.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if p.Driver.Warmup != 0 || p.Driver.Ramp != 0 || p.Hypothesis.Note != "workers\n\trun out" {
		t.Errorf("warmup %v ramp %v note %q", p.Driver.Warmup, p.Driver.Ramp, p.Hypothesis.Note)
	}
}

// TestValidateBounds checks that phases built in Go meet the same bounds.
func TestValidateBounds(t *testing.T) {
	p, err := Builtin(3)
	if err != nil {
		t.Fatal(err)
	}
	p.Driver.Duration = Duration(2 * time.Hour)
	p.Driver.ConnectTimeout = Duration(time.Microsecond)
	p.Limits.PortRange = PortRange{80, 8080}
	want := "builtin:03: limits.port_range: the low port 80 is below 1024: the kernel refuses (EINVAL) a range that starts below net.ipv4.ip_unprivileged_port_start, 1024 in the lab's namespaces\n" +
		"builtin:03: driver.duration: 2h0m0s is longer than the 1h0m0s allowed\n" +
		"builtin:03: driver.connect_timeout: must be at least 1ms, got 1µs"
	if err := p.Validate(); err == nil || err.Error() != want {
		t.Errorf("Validate:\n got: %v\nwant: %s", err, want)
	}
}
