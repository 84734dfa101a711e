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
	tests := []struct {
		name string
		add  string // appended to base, at line 5
		want string // "" when the file is valid
	}{
		{"durations at 1h", "driver: {duration: 1h, warmup: 1h, ramp: 1h, timeout: 1h, connect_timeout: 1h}\nserver: {variant: pool, read_timeout: 1h}\n", ""},
		{"duration above 1h", "driver: {duration: 1h0m0.001s}\n", "p.yaml:5: driver.duration: must be at most 1h0m0s, got 1h0m0.001s (the driver refuses longer)"},
		{"timeouts at 1ms", "driver: {timeout: 1ms, connect_timeout: 1ms}\n", ""},
		{"timeout below 1ms", "driver: {timeout: 999us}\n", "p.yaml:5: driver.timeout: must be at least 1ms, got 999µs (the driver's shortest timeout)"},
		{"negative zero durations", "driver: {warmup: -0s, ramp: -0}\n" + "driver2: 1\n",
			`p.yaml:6: driver2: unknown field at the top level; did you mean "driver"?`},
		{"negative zero timeout", "driver: {timeout: -0s}\n", "p.yaml:5: driver.timeout: must be at least 1ms, got 0s (the driver's shortest timeout)"},
		{"ramp within the step", "driver: {ramp: 3500ms}\n", ""},
		{"ramp beyond the step", "driver: {ramp: 10s}\n", "p.yaml:5: driver.ramp: 10s is longer than driver.warmup + driver.duration (3.5s): the last clients would start after the step ends"},
		{"ramp with a request count", "driver: {ramp: 10s, duration: 0s, requests_per_client: 10}\n", ""},
		{"one port", "limits: {port_range: [1024, 1024]}\n", ""},
		{"same parity", "limits: {port_range: [32768, 60998]}\n", ""},
		{"top ports", "limits: {port_range: [65535, 65535]}\n", ""},
		{"port 1023", "limits: {port_range: [1023, 2000]}\n",
			"p.yaml:5: limits.port_range: the low port 1023 is below 1024: the kernel refuses (EINVAL) a range that starts below net.ipv4.ip_unprivileged_port_start, 1024 in the lab's namespaces"},
		{"port 65536", "limits: {port_range: [1024, 65536]}\n", "p.yaml:5: limits.port_range: ports must be within 1024..65535, got [1024, 65536]"},
		{"somaxconn at INT_MAX", "limits: {somaxconn: 2147483647}\n", ""},
		{"somaxconn above INT_MAX", "limits: {somaxconn: 2147483648}\n", "p.yaml:5: limits.somaxconn: must be at most 2147483647 (the kernel refuses more), got 2147483648"},
		{"backlog at INT_MAX", "server: {variant: pool, backlog: 2147483647}\n", ""},
		{"backlog above INT_MAX", "server: {variant: pool, backlog: 2147483648}\n", "p.yaml:5: server.backlog: must be at most 2147483647 (listen(2) takes a C int), got 2147483648"},
		{"header bytes", "server: {variant: pool, max_header_bytes: 256}\n", ""},
		{"header bytes max", "server: {variant: pool, max_header_bytes: 1048576}\n", ""},
		{"header bytes too few", "server: {variant: pool, max_header_bytes: 255}\n",
			"p.yaml:5: server.max_header_bytes: must be 0 (the variant's default) or between 256 and 1048576, got 255"},
		{"header bytes too many", "server: {variant: pool, max_header_bytes: 1048577}\n",
			"p.yaml:5: server.max_header_bytes: must be 0 (the variant's default) or between 256 and 1048576, got 1048577"},
		{"requests per client", "driver: {requests_per_client: 1000000000}\n", ""},
		{"requests per client beyond 32 bits", "driver: {requests_per_client: 1000000001}\n",
			"p.yaml:5: driver.requests_per_client: must be at most 1000000000, got 1000000001"},
		{"path with a query", "driver: {path: \"/cpu?us=50\"}\n", ""},
		{"path with a fragment", "driver: {path: \"/a#b\"}\n", `p.yaml:5: driver.path: "/a#b" must not contain #: a fragment is not sent to servers`},
		{"path with a bad escape", "driver: {path: \"/a%zz\"}\n", `p.yaml:5: driver.path: "/a%zz": invalid URL escape "%zz"`},
		{"targets", "driver: {targets: [\"localhost:8080\", \"[::1]:80\", \"10.0.0.1:1\"]}\n", ""},
		{"target by name", "driver: {targets: [\"example.com:80\"]}\n",
			`p.yaml:5: driver.targets[0]: "example.com:80": the host must be an IP address (without a zone) or localhost; the driver resolves no names`},
		{"64 targets", targets(64), ""},
		{"65 targets", targets(65), "p.yaml:5: driver.targets: 65 targets; at most 64"},
		{"100 client counts", clients(100), ""},
		{"thousands of client counts", clients(5000), "p.yaml:5: sweep.clients: 5000 client counts; at most 100 (each is a step of the run)"},
		{"note with line breaks and tabs", "title: \"pool, again\"\nhypothesis2: 1\n", `p.yaml:6: hypothesis2: unknown field at the top level; did you mean "hypothesis"?`},
		{"title with a tab", "title: \"a\\tb\"\n", `p.yaml:5: title: must be one line without control characters, found '\t'`},
		{"threshold NaN", "success_threshold: .nan\n", "p.yaml:5: success_threshold: must be above 0 and at most 1, got NaN"},
		{"threshold infinite", "success_threshold: .inf\n", "p.yaml:5: success_threshold: must be above 0 and at most 1, got +Inf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base + tt.add
			if !strings.Contains(tt.add, "sweep:") {
				in += "sweep: {clients: [20, 50]}\n"
			}
			if !strings.Contains(tt.add, "server:") {
				in += "server: {variant: pool}\n"
			}
			p, err := Parse("p.yaml", []byte(in))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v\n%s", err, in)
			case tt.want == "":
				if err := p.Validate(); err != nil {
					t.Errorf("Parse accepts what Validate refuses: %v", err)
				}
			case err == nil:
				t.Fatalf("accepted, want %s", tt.want)
			case err.Error() != tt.want:
				t.Errorf("\n got: %v\nwant: %s", err, tt.want)
			}
		})
	}
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
		"builtin:03: driver.duration: must be at most 1h0m0s, got 2h0m0s (the driver refuses longer)\n" +
		"builtin:03: driver.connect_timeout: must be at least 1ms, got 1µs (the driver's shortest timeout)"
	if err := p.Validate(); err == nil || err.Error() != want {
		t.Errorf("Validate:\n got: %v\nwant: %s", err, want)
	}
}
