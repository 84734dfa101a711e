package phases

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/internal/golden"
)

// minimal is the smallest valid phase file; tests append to it.
const minimal = `schema: scalelab/phase/v1
number: 3
name: pool
hypothesis: {limit: queueing, note: "workers run out"}
server:
  variant: pool
sweep:
  clients: [20, 50]
`

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string // file name given to Parse
		in   string
		want string
	}{
		{
			name: "phases/03-pool.yaml",
			in: `schema: scalelab/phase/v1
number: 3
name: pool
hypothesis: {limit: queueing}
server:
  variant: pool
  workerz: 16
sweep: {clients: [20]}
`,
			want: `phases/03-pool.yaml:7: server.workerz: unknown field; did you mean "workers"?`,
		},
		{
			name: "p.yaml",
			in:   strings.Replace(minimal, "variant: pool", "variant: apache", 1),
			want: `p.yaml:6: server.variant: unknown variant "apache" (want naive | pool | nethttp | fasthttp | gnet)`,
		},
		{
			name: "p.yaml",
			in:   strings.Replace(minimal, "limit: queueing", "limit: disk", 1),
			want: `p.yaml:4: hypothesis.limit: unknown limit "disk" (want none | fd | backlog | port | queueing | cpu | client)`,
		},
		{
			name: "p.yaml",
			in:   strings.Replace(minimal, "phase/v1", "phase/v0", 1),
			want: `p.yaml:1: schema: "scalelab/phase/v0" is not supported; this lab reads scalelab/phase/v1`,
		},
		{
			name: "p.yaml",
			in:   minimal + "limits:\n  tcp_tw_reuse: 0\n  port_range: [61000, 32768]\n",
			want: `p.yaml:11: limits.port_range: reversed: the low port 61000 is above the high port 32768`,
		},
		{
			name: "p.yaml",
			in:   minimal + "success_threshold: 0\n",
			want: `p.yaml:9: success_threshold: must be above 0 and at most 1, got 0`,
		},
		{
			name: "p.yaml",
			in:   strings.Replace(minimal, "[20, 50]", "[20, -1]", 1),
			want: `p.yaml:8: sweep.clients[1]: must be between 1 and 1000000, got -1`,
		},
		{
			name: "p.yaml",
			in:   minimal + "driver:\n  duration: 0s\n",
			want: `p.yaml:10: driver.duration: duration and requests_per_client are both zero; set one of them`,
		},
		{
			name: "p.yaml",
			in:   minimal + "driver:\n  warmup: 1h-2h\n",
			want: `p.yaml:10: driver.warmup: expected a duration such as "3s" or "500ms", got "1h-2h"`,
		},
		{
			name: "p.yaml",
			in:   minimal + "driver:\n  warmup: -2s\n  ramp: -1ms\n",
			want: "p.yaml:10: driver.warmup: must not be negative, got -2s\np.yaml:11: driver.ramp: must not be negative, got -1ms",
		},
		{
			name: "p.yaml",
			in:   strings.Replace(minimal, "variant: pool", "variant: gnet\n  workers: 4", 1),
			want: `p.yaml:7: server.workers: the gnet variant has no workers; only pool takes workers and queue`,
		},
		{
			name: "p.yaml",
			in:   minimal + "---\n" + minimal,
			want: `p.yaml:10: a second YAML document starts here; a phase file holds exactly one`,
		},
		{
			name: "p.yaml",
			in:   "",
			want: `p.yaml: empty file: a phase file is one YAML mapping that starts with "schema: scalelab/phase/v1"`,
		},
		{
			name: "p.yaml",
			in:   minimal + "server: {variant: pool}\n",
			want: `p.yaml:9: server: set twice (first at line 5)`,
		},
		{
			name: "p.yaml",
			in:   strings.Replace(minimal, "variant: pool", "variant: pool\n  workers: 1.5", 1),
			want: `p.yaml:7: server.workers: expected an integer, got 1.5`,
		},
		{
			name: "p.yaml",
			in:   strings.Replace(minimal, "[20, 50]", "[20, x, x]", 1),
			want: "p.yaml:8: sweep.clients[1]: expected an integer, got \"x\"\np.yaml:8: sweep.clients[2]: expected an integer, got \"x\"",
		},
		{
			name: "p.yaml",
			in:   strings.Replace(minimal, "sweep:\n  clients: [20, 50]", "sweep: {clients: [{n: 20}]}", 1),
			want: `p.yaml:7: sweep.clients[0]: expected an integer, got a mapping`,
		},
		{
			name: "p.yaml",
			in:   minimal + "limits: {nofile: lots}\n",
			want: `p.yaml:9: limits.nofile: expected an integer, got "lots"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			p, err := Parse(tt.name, []byte(tt.in))
			if err == nil {
				t.Fatalf("Parse succeeded (%+v), want error %q", p, tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", got, tt.want)
			}
			var list Errors
			if !errors.As(err, &list) || len(list) == 0 || list[0].File != tt.name {
				t.Errorf("error is not an Errors list naming %s: %#v", tt.name, err)
			}
		})
	}
}

// TestBadFiles loads every testdata/bad/*.yaml and compares the error text
// with the golden .err file next to it.
func TestBadFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad files: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			p, err := Load(file)
			if err == nil {
				t.Fatalf("Load succeeded: %+v", p)
			}
			got := err.Error() + "\n"
			golden.Check(t, strings.TrimSuffix(file, ".yaml")+".err", []byte(got))
			for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
				if !strings.HasPrefix(line, file+":") {
					t.Errorf("line %q does not start with the file name", line)
				}
			}
		})
	}
}

func TestUnknownVariant(t *testing.T) {
	for _, v := range []string{"tomcat", "Pool", "net/http", `""`, "3"} {
		t.Run(v, func(t *testing.T) {
			in := strings.Replace(minimal, "variant: pool", "variant: "+v, 1)
			_, err := Parse("v.yaml", []byte(in))
			var list Errors
			if !errors.As(err, &list) {
				t.Fatalf("want Errors, got %v", err)
			}
			for _, e := range list {
				if e.Field == "server.variant" && e.Line == 6 {
					return
				}
			}
			t.Errorf("no error on server.variant at line 6: %v", err)
		})
	}
}

func TestDefaults(t *testing.T) {
	p, err := Parse("min.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	want := Phase{
		Schema: Schema, Number: 3, Name: "pool", Title: "pool",
		Hypothesis: Hypothesis{Limit: attrib.Queueing, Note: "workers run out"},
		Server: Server{Variant: VariantPool, Workers: DefaultPoolWorkers, Queue: DefaultPoolQueue,
			KeepAlive: true, Backlog: DefaultBacklog, Listeners: DefaultListeners},
		Limits: Limits{DriverNoFile: DefaultDriverNoFile},
		Driver: Driver{Path: "/", KeepAlive: true, Duration: Duration(DefaultDuration), Warmup: Duration(DefaultWarmup),
			Timeout: Duration(DefaultTimeout), ConnectTimeout: Duration(DefaultTimeout), Pipeline: 1},
		Sweep:            Sweep{Clients: []int{20, 50}, Trials: 1, MaxTrials: 1},
		SuccessThreshold: DefaultSuccessThreshold,
		Source:           "min.yaml",
	}
	if !reflect.DeepEqual(*p, want) {
		t.Errorf("defaults\n got: %+v\nwant: %+v", *p, want)
	}
}

// TestExplicitZero checks that a zero written in the file is kept, not
// replaced by the default.
func TestExplicitZero(t *testing.T) {
	in := minimal + `limits:
  tcp_tw_reuse: 0
  syn_cookies: 0
driver:
  warmup: 0s
  duration: 0
  requests_per_client: 50
  keepalive: false
`
	in = strings.Replace(in, "variant: pool", "variant: pool\n  queue: 0\n  keepalive: false", 1)
	p, err := Parse("zero.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what string
		ok   bool
	}{
		{"tcp_tw_reuse set to 0", p.Limits.TCPTwReuse != nil && *p.Limits.TCPTwReuse == 0},
		{"syn_cookies set to 0", p.Limits.SynCookies != nil && *p.Limits.SynCookies == 0},
		{"warmup 0", p.Driver.Warmup == 0},
		{"duration 0 with requests_per_client", p.Driver.Duration == 0 && p.Driver.RequestsPerClient == 50},
		{"queue 0", p.Server.Queue == 0},
		{"workers defaulted", p.Server.Workers == DefaultPoolWorkers},
		{"server keepalive false", !p.Server.KeepAlive},
		{"driver keepalive false", !p.Driver.KeepAlive},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: got %+v", c.what, p)
		}
	}
	q, err := Parse("unset.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if q.Limits.TCPTwReuse != nil || q.Limits.SynCookies != nil {
		t.Errorf("absent tcp_tw_reuse/syn_cookies decoded as set: %v %v", q.Limits.TCPTwReuse, q.Limits.SynCookies)
	}
}

// ladderWant is the course the lead asked for (design section 9).
var ladderWant = []struct {
	number     int
	variant    Variant
	limit      attrib.Limit
	clients    []int
	keepAlive  bool // server
	driverKA   bool
	workers    int
	queue      int
	nofile     int
	portRange  PortRange
	tcpTwReuse int // -1: not set
}{
	{1, VariantNaive, attrib.Port, []int{1, 10, 50}, false, false, 0, 0, 1024, PortRange{49152, 65535}, 0},
	{2, VariantPool, attrib.Port, []int{10, 50, 200}, false, false, 8, 64, 1024, PortRange{49152, 65535}, 0},
	{3, VariantPool, attrib.Queueing, []int{4, 8, 16, 32, 100, 500}, true, true, 16, 64, 1024, PortRange{32768, 60999}, 0},
	{4, VariantPool, attrib.FD, []int{50, 100, 200, 500}, true, true, 1024, 64, 256, PortRange{32768, 60999}, 0},
	{5, VariantPool, attrib.Backlog, []int{50, 100, 200, 400}, false, false, 64, 64, 4096, PortRange{1024, 65535}, 1},
	{6, VariantNetHTTP, attrib.CPU, []int{50, 200, 1000, 3000}, true, true, 0, 0, 20000, PortRange{1024, 65535}, 1},
	{7, VariantFastHTTP, attrib.CPU, []int{50, 200, 1000, 3000}, true, true, 0, 0, 20000, PortRange{1024, 65535}, 1},
	{8, VariantGnet, attrib.CPU, []int{50, 200, 1000, 3000}, true, true, 0, 0, 20000, PortRange{1024, 65535}, 1},
	{9, VariantGnet, attrib.CPU, []int{1000, 5000, 10000}, true, true, 0, 0, 20000, PortRange{50000, 54999}, 1},
	{10, VariantGnet, attrib.Client, []int{10, 100, 1000}, true, true, 0, 0, 20000, PortRange{1024, 65535}, 1},
	{11, VariantNetHTTP, attrib.CPU, []int{10, 50, 100}, true, true, 0, 0, 1024, PortRange{32768, 60999}, 0},
	{12, VariantPool, attrib.Port, []int{50}, false, false, 8, 64, 4096, PortRange{49152, 65535}, 0},
}

func TestLadder(t *testing.T) {
	ladder, err := Ladder()
	if err != nil {
		t.Fatal(err)
	}
	if len(ladder) != len(ladderWant) {
		t.Fatalf("ladder has %d phases, want %d", len(ladder), len(ladderWant))
	}
	for i, p := range ladder {
		w := ladderWant[i]
		t.Run(p.Name, func(t *testing.T) {
			if p.Number != w.number || p.Source != BuiltinSource(w.number) {
				t.Errorf("phase %d: number %d source %q", w.number, p.Number, p.Source)
			}
			if p.Server.Variant != w.variant || p.Hypothesis.Limit != w.limit {
				t.Errorf("variant/limit %s/%s, want %s/%s", p.Server.Variant, p.Hypothesis.Limit, w.variant, w.limit)
			}
			if !reflect.DeepEqual(p.Sweep.Clients, w.clients) {
				t.Errorf("clients %v, want %v", p.Sweep.Clients, w.clients)
			}
			if p.Server.KeepAlive != w.keepAlive || p.Driver.KeepAlive != w.driverKA {
				t.Errorf("keepalive server %v driver %v, want %v %v", p.Server.KeepAlive, p.Driver.KeepAlive, w.keepAlive, w.driverKA)
			}
			if p.Server.Workers != w.workers || p.Server.Queue != w.queue {
				t.Errorf("workers/queue %d/%d, want %d/%d", p.Server.Workers, p.Server.Queue, w.workers, w.queue)
			}
			if p.Limits.NoFile != w.nofile || p.Limits.PortRange != w.portRange {
				t.Errorf("nofile %d ports %v, want %d %v", p.Limits.NoFile, p.Limits.PortRange, w.nofile, w.portRange)
			}
			if p.Limits.TCPTwReuse == nil || *p.Limits.TCPTwReuse != w.tcpTwReuse {
				t.Errorf("tcp_tw_reuse %v, want %d", p.Limits.TCPTwReuse, w.tcpTwReuse)
			}
			if len(strings.Fields(p.Hypothesis.Note)) < 10 {
				t.Errorf("hypothesis note too thin for a learner: %q", p.Hypothesis.Note)
			}
			if est := p.Estimate(); est > 90*time.Second {
				t.Errorf("estimated %v, want at most 90s", est)
			}
		})
	}
	// What each rung's lesson needs, whatever the exact values.
	if p := ladder[0]; p.Driver.Warmup != 0 || p.Driver.KeepAlive {
		t.Errorf("phase 1 must count from the first request with the client closing: warmup %v keepalive %v", p.Driver.Warmup, p.Driver.KeepAlive)
	}
	if p := ladder[4]; p.Server.Backlog != p.Limits.SoMaxConn || p.Driver.Ramp != 0 {
		t.Errorf("phase 5 needs a burst against one small queue: backlog %d somaxconn %d ramp %v", p.Server.Backlog, p.Limits.SoMaxConn, p.Driver.Ramp)
	}
	if p := ladder[10]; !p.Server.H2C || !p.Driver.H2C || p.Sweep.Clients[len(p.Sweep.Clients)-1]*p.Driver.Streams != 10000 ||
		p.Limits.NoFile != 1024 || p.Server.MaxStreams < p.Driver.Streams {
		t.Errorf("phase 11 must carry 10,000 requests as h2c streams under nofile 1024: h2c %v/%v, %v connections x %d streams, nofile %d, max_streams %d",
			p.Server.H2C, p.Driver.H2C, p.Sweep.Clients, p.Driver.Streams, p.Limits.NoFile, p.Server.MaxStreams)
	}
	if p := ladder[8]; p.Server.Listeners < 2 || p.Limits.DriverNoFile < 10000 {
		t.Errorf("phase 9 listeners %d driver_nofile %d", p.Server.Listeners, p.Limits.DriverNoFile)
	} else {
		most := p.Sweep.Clients[len(p.Sweep.Clients)-1]
		ports := p.Limits.PortRange.Size()
		if most <= ports || most > ports*p.Server.Listeners {
			t.Errorf("phase 9 must need the 4-tuple spread: %d clients, %d ports x %d listeners", most, ports, p.Server.Listeners)
		}
	}
}

// TestBuiltinRoundTrip encodes every builtin and parses it back.
func TestBuiltinRoundTrip(t *testing.T) {
	ladder, err := Ladder()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ladder {
		t.Run(p.Name, func(t *testing.T) {
			data, err := yaml.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			q, err := Parse("roundtrip.yaml", data)
			if err != nil {
				t.Fatalf("%v\n%s", err, data)
			}
			q.Source = p.Source
			if !reflect.DeepEqual(p, q) {
				t.Errorf("round trip differs\n got: %+v\nwant: %+v\n%s", q, p, data)
			}
			if err := p.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	custom := filepath.Join(dir, "mine.yaml")
	if err := os.WriteFile(custom, []byte(minimal), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir()) // so that the builtin file names are not files here
	tests := []struct {
		arg        string
		wantSource string // "" when an error is expected
		notFound   bool
	}{
		{"3", "builtin:03", false},
		{"03", "builtin:03", false},
		{"9", "builtin:09", false},
		{"pool-keepalive", "builtin:03", false},
		{"03-pool-keepalive.yaml", "builtin:03", false},
		{"01-naive.yaml", "builtin:01", false}, // no such file in the working directory: the builtin
		{"01-naive", "builtin:01", false},
		{custom, custom, false},
		{"99", "", true},
		{"0", "", true},
		{"no-such-phase", "", true},
		{filepath.Join(dir, "missing.yaml"), "", true},
		{dir, "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			p, err := Resolve(tt.arg)
			if tt.wantSource == "" {
				if err == nil {
					t.Fatalf("Resolve(%q) = %s, want an error", tt.arg, p.Source)
				}
				if errors.Is(err, ErrNotFound) != tt.notFound {
					t.Errorf("Resolve(%q): errors.Is(ErrNotFound) = %v, want %v (%v)", tt.arg, !tt.notFound, tt.notFound, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Source != tt.wantSource {
				t.Errorf("Resolve(%q).Source = %q, want %q", tt.arg, p.Source, tt.wantSource)
			}
		})
	}
}

// TestResolvePathOverBuiltinName checks that an existing file wins over a
// builtin of the same name: the tests run in phases/, where 01-naive.yaml
// is a file.
func TestResolvePathOverBuiltinName(t *testing.T) {
	p, err := Resolve("01-naive.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Source != "01-naive.yaml" {
		t.Errorf("Source = %q, want the path 01-naive.yaml", p.Source)
	}
	b, err := Builtin(1)
	if err != nil {
		t.Fatal(err)
	}
	p.Source = b.Source
	if !reflect.DeepEqual(p, b) {
		t.Errorf("the file and the embedded copy differ")
	}
}

func TestValidateGoBuilt(t *testing.T) {
	p, err := Builtin(3)
	if err != nil {
		t.Fatal(err)
	}
	p.Server.Variant = VariantNetHTTP // keeps pool's workers: an error
	p.Sweep.Clients = nil
	err = p.Validate()
	want := "builtin:03: server.workers: the nethttp variant has no workers; only pool takes workers and queue\n" +
		"builtin:03: server.queue: the nethttp variant has no queue; only pool takes workers and queue\n" +
		"builtin:03: sweep.clients: empty; list the client counts to run, e.g. [10, 50, 100]"
	if err == nil || err.Error() != want {
		t.Errorf("Validate:\n got: %v\nwant: %s", err, want)
	}
}

func TestEstimate(t *testing.T) {
	p, err := Builtin(3)
	if err != nil {
		t.Fatal(err)
	}
	// 6 client counts x 1 trial x (500ms warmup + 3s + 1s overhead)
	if got, want := p.Estimate(), 6*(4500*time.Millisecond); got != want {
		t.Errorf("Estimate = %v, want %v", got, want)
	}
}

func TestPortRange(t *testing.T) {
	tests := []struct {
		r    PortRange
		size int
	}{
		{PortRange{49152, 65535}, 16384},
		{PortRange{32768, 60999}, 28232},
		{PortRange{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.r.String(), func(t *testing.T) {
			if got := tt.r.Size(); got != tt.size {
				t.Errorf("Size = %d, want %d", got, tt.size)
			}
		})
	}
}

// FuzzParse checks that Parse never panics, that the walk catches every
// problem yaml.v3 would (Parse never falls back on yaml.v3's own error),
// and that whatever Parse accepts is valid, is what the walk decodes, and
// survives an encode/parse round trip.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/bad/*.yaml")
	builtins, _ := filepath.Glob("[0-9][0-9]-*.yaml")
	for _, s := range append(seeds, builtins...) {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(minimal))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			checkNoFallback(t, err)
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("Parse accepted an invalid phase: %v", err)
		}
		root, _ := parseTree("fuzz.yaml", data)
		w, walked := walk("fuzz.yaml", root)
		walked.Source = p.Source
		walked.fillDefaults(w.ix.has)
		if !reflect.DeepEqual(*p, walked) {
			t.Fatalf("the walk decodes\n%+v\nyaml.v3 decodes\n%+v", walked, *p)
		}
		out, err := yaml.Marshal(p)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		q, err := Parse("fuzz.yaml", out)
		if err != nil {
			t.Fatalf("re-parse of encoded phase: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip differs\n got: %+v\nwant: %+v", q, p)
		}
	})
}
