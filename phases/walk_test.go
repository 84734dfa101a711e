package phases

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// strictDecode is what Parse runs once the walk has found nothing.
func strictDecode(data []byte) (Phase, error) {
	var p Phase
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(&p)
	return p, err
}

// walkData parses data and walks it, as Parse does.
func walkData(t testing.TB, data []byte) (*walker, Phase) {
	t.Helper()
	root, errs := parseTree("p.yaml", data)
	if errs != nil {
		t.Fatalf("parseTree: %v", errs)
	}
	return walk("p.yaml", root)
}

// checkNoFallback fails t unless err is an Errors list of problems the
// walk or validation found: none is yaml.v3's own error.
func checkNoFallback(t testing.TB, err error) {
	t.Helper()
	var list Errors
	if !errors.As(err, &list) {
		t.Fatalf("error is not an Errors list: %v", err)
	}
	for _, e := range list {
		if e.fallback {
			t.Fatalf("the walk let through what yaml.v3 refused: %v", e)
		}
	}
}

// aliasFlood merges mappings into server through three levels of aliases,
// 10 x 10 x 10 of them: enough for yaml.v3 to refuse it as excessive
// aliasing.
func aliasFlood() string {
	ten := func(name string) string { return strings.TrimSuffix(strings.Repeat("*"+name+", ", 10), ", ") }
	return fmt.Sprintf("server: {<<: [&a {variant: pool, workers: 4}, &b {<<: [%s]}, &c {<<: [%s]}, &d {<<: [%s]}, {<<: [%s]}]}\n",
		ten("a"), ten("b"), ten("c"), ten("d"))
}

// TestWalkCatchesWhatYAMLCatches holds every shape of problem a phase
// file's fields can have. For each, the walk must report the problem
// itself, so that the fallback (yaml.v3's own error, reported as it is)
// stays unreachable; yamlAccepts marks the problems yaml.v3 would let
// through (silently truncating, rounding or dropping the value).
func TestWalkCatchesWhatYAMLCatches(t *testing.T) {
	base := strings.Replace(minimal, "server:\n  variant: pool\n", "", 1)
	tests := []struct {
		add         string // appended to minimal without its server section, at line 7
		want        string // the first problem the walk reports
		yamlAccepts bool
	}{
		{"colour: red\n", `p.yaml:7: colour: unknown field at the top level; a phase file takes schema, number, name, title, hypothesis, server, limits, driver, sweep, success_threshold, verify, thresholds`, false},
		{"driver: {timout: 1s}\n", `p.yaml:7: driver.timout: unknown field; did you mean "timeout"?`, false},
		{"driver: {workers: 4}\n", `p.yaml:7: driver.workers: unknown field; did you mean "workers" under "server"?`, false},
		{"server: {Variant: pool}\n", `p.yaml:7: server.Variant: unknown field; did you mean "variant"?`, false},
		{"server: {variant: pool, variant: gnet}\n", `p.yaml:7: server.variant: set twice (first at line 7)`, false},
		{"server: {variant: pool, !!str variant: gnet}\n", `p.yaml:7: server.variant: set twice (first at line 7)`, false},
		{"server: {variant: pool}\nserver: {variant: gnet}\n", `p.yaml:8: server: set twice (first at line 7)`, false},
		{"driver: {rate: fast}\n", `p.yaml:7: driver.rate: expected an integer, got "fast"`, false},
		{"driver: {rate: 9223372036854775808}\n", `p.yaml:7: driver.rate: 9223372036854775808 is too large for an integer`, false},
		{"driver: {rate: 99999999999999999999999}\n", `p.yaml:7: driver.rate: 99999999999999999999999 is too large for an integer`, false},
		{"driver: {rate: 1e30}\n", `p.yaml:7: driver.rate: 1e30 is too large for an integer`, false},
		{"driver: {rate: !!int 1.5}\n", `p.yaml:7: driver.rate: expected an integer, got !!int 1.5`, false},
		{"driver: {rate: [1]}\n", `p.yaml:7: driver.rate: expected an integer, got a list of 1 item`, false},
		{"driver: {keepalive: maybe}\n", `p.yaml:7: driver.keepalive: expected true or false, got "maybe"`, false},
		{"driver: {keepalive: !!str true}\n", `p.yaml:7: driver.keepalive: expected true or false, got !!str "true"`, false},
		{"success_threshold: high\n", `p.yaml:7: success_threshold: expected a number, got "high"`, false},
		{"title: {a: 1}\n", `p.yaml:7: title: expected a string, got a mapping`, false},
		{"title: !!binary \"%%%\"\n", `p.yaml:7: title: expected a string, got !!binary %%%`, false},
		{"limits: none\n", `p.yaml:7: limits: expected a mapping, got "none"`, false},
		{"limits: [1]\n", `p.yaml:7: limits: expected a mapping, got a list of 1 item`, false},
		{"limits: {tcp_tw_reuse: yes}\n", `p.yaml:7: limits.tcp_tw_reuse: expected an integer, got "yes"`, false},
		{"driver: {targets: \"127.0.0.1:80\"}\n", `p.yaml:7: driver.targets: expected a list of strings, got "127.0.0.1:80"`, false},
		{"driver: {targets: [[a]]}\n", `p.yaml:7: driver.targets[0]: expected a string, got a list of 1 item`, false},
		{"driver: {targets: !!null x}\n", `p.yaml:7: driver.targets: expected a list of strings, got !!null x`, false},
		{"driver: {warmup: soon}\n", `p.yaml:7: driver.warmup: expected a duration such as "3s" or "500ms", got "soon"`, false},
		{"driver: {warmup: 5}\n", `p.yaml:7: driver.warmup: expected a duration such as "3s" or "500ms", got 5 without a unit`, false},
		{"driver: {warmup: [1s]}\n", `p.yaml:7: driver.warmup: expected a duration such as "3s" or "500ms", got a list of 1 item`, false},
		{"limits: {port_range: [1024]}\n", `p.yaml:7: limits.port_range: expected a list of two ports such as [32768, 60999], got a list of 1 item`, false},
		{"limits: {port_range: 1024-2048}\n", `p.yaml:7: limits.port_range: expected a list of two ports such as [32768, 60999], got "1024-2048"`, false},
		{"limits:\n  port_range:\n    - 1024\n    - x\n", `p.yaml:10: limits.port_range[1]: expected an integer, got "x"`, false},
		{"sweep2: {<<: 1}\n", `p.yaml:7: sweep2: unknown field at the top level; did you mean "sweep"?`, false},
		{"driver: {<<: [1]}\n", `p.yaml:7: driver.<<: merges a mapping or a list of mappings, got 1`, false},
		{"driver: {<<: }\n", `p.yaml:7: driver.<<: merges a mapping or a list of mappings, got nothing`, false},
		{"driver: {<<: {rate: 1, rate: 2}}\n", `p.yaml:7: driver.rate: set twice (first at line 7)`, false},
		{"driver: &d {<<: *d}\n", `p.yaml:7: driver.<<: *d stands for a value that contains it (via *d, from &d at line 7)`, false},
		{"driver: {!!binary cmF0ZQ==: 3}\n", `p.yaml:7: driver: a field name is a plain word, got !!binary cmF0ZQ==`, true},
		{"driver: {[rate]: 3}\n", `p.yaml:7: driver: a field name is a plain word, got a list of 1 item`, false},
		{"driver: {\"\": 3}\n", `p.yaml:7: driver: a field has no name`, false},
		{aliasFlood(), `p.yaml:7: server: aliases expand to more than 300 keys and values; a phase file needs only a few (via *c, from &c at line 7)`, false},
		// yaml.v3 lets these through:
		{"driver: {rate: 1.5}\n", `p.yaml:7: driver.rate: expected an integer, got 1.5`, true},
		{"driver: {rate: -9223372036854775809}\n", `p.yaml:7: driver.rate: -9223372036854775809 is too small for an integer`, true},
		{"driver: {rate: 010}\n", `p.yaml:7: driver.rate: 010 has a leading zero, so YAML reads it as the octal number 8; write it without the zero`, true},
		{"driver: {keepalive: }\n", `p.yaml:7: driver.keepalive: no value; write one or leave the field out`, true},
		{"driver: {warmup: ~}\n", `p.yaml:7: driver.warmup: no value; write one or leave the field out`, true},
		{"limits: {port_range: null}\n", `p.yaml:7: limits.port_range: no value; write one or leave the field out`, true},
		{"driver: {~: 3}\n", `p.yaml:7: driver: a field name is a plain word, got ~`, true},
		{"driver: {<<: {rate: 1}, <<: {rate: 2}}\n", `p.yaml:7: driver.<<: set twice (first at line 7)`, false},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			in := []byte(base + tt.add)
			w, _ := walkData(t, in)
			if len(w.errs) == 0 {
				t.Fatalf("the walk found nothing in\n%s", in)
			}
			if got := w.errs[0].Error(); got != tt.want {
				t.Errorf("walk:\n got: %s\nwant: %s", got, tt.want)
			}
			_, yerr := strictDecode(in)
			if (yerr == nil) != tt.yamlAccepts {
				t.Errorf("yaml.v3 decoding: %v; the table says yaml.v3 accepts it: %v", yerr, tt.yamlAccepts)
			}
			_, err := Parse("p.yaml", in)
			checkNoFallback(t, err)
		})
	}
}

// TestWalkDecodesLikeYAML checks that what the walk decodes from valid
// files is what yaml.v3 decodes: aliases, merges, tags, number bases,
// YAML 1.1 booleans and nulls included.
func TestWalkDecodesLikeYAML(t *testing.T) {
	inputs := map[string]string{
		"minimal": minimal,
		"merge": `schema: scalelab/phase/v1
number: 3
name: pool
hypothesis: {limit: queueing}
server: {<<: [{variant: pool, workers: 4}, {workers: 5, queue: 6}], queue: 7}
driver: {timeout: &t 3s, connect_timeout: *t, targets: &ts ["127.0.0.1:80"]}
sweep: {clients: &c [1, 2], trials: 2}
`,
		"tags and bases": `schema: !!str scalelab/phase/v1
number: !!int 0x3
name: !!str 42
title: !!binary aGk=
hypothesis: {limit: cpu, note: 2001-12-14}
server: {variant: nethttp, keepalive: on, reuseport: Yes, backlog: 0o17, listeners: +2}
limits: {port_range: [0x400, 1_100], tcp_tw_reuse: 0b1, nofile: 1_024}
driver: {keepalive: off, pipeline: 0x1, rate: -0, duration: 0, requests_per_client: 5}
sweep: {clients: [1, 2]}
success_threshold: 1
`,
		"nulls": `schema: scalelab/phase/v1
number: 3
name: pool
hypothesis: {limit: queueing}
server: {variant: pool}
limits:
  tcp_tw_reuse: ~
driver: {targets: null}
sweep: {clients: [1]}
`,
	}
	builtins, err := filepath.Glob("[0-9][0-9]-*.yaml")
	if err != nil || len(builtins) == 0 {
		t.Fatalf("no builtin files: %v", err)
	}
	for _, f := range builtins {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[f] = string(data)
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			w, walked := walkData(t, []byte(in))
			if len(w.errs) > 0 {
				t.Fatalf("walk: %v", w.errs)
			}
			decoded, err := strictDecode([]byte(in))
			if err != nil {
				t.Fatalf("yaml.v3: %v", err)
			}
			if !reflect.DeepEqual(walked, decoded) {
				t.Errorf("the walk decodes\n%+v\nyaml.v3 decodes\n%+v", walked, decoded)
			}
		})
	}
}

// TestAliasBlame checks that a problem in a value reached through an alias
// is reported at the line where the alias is used, under the field there.
func TestAliasBlame(t *testing.T) {
	tests := []struct {
		name, add, want string
	}{
		{
			"type error",
			"driver:\n  timeout: &t 2 seconds\n  connect_timeout: *t\n",
			"p.yaml:10: driver.timeout: expected a duration such as \"3s\" or \"500ms\", got \"2 seconds\"\n" +
				"p.yaml:11: driver.connect_timeout: expected a duration such as \"3s\" or \"500ms\", got \"2 seconds\" (via *t, from &t at line 10)",
		},
		{
			"validation",
			"limits:\n  nofile: &n 2000\n  somaxconn: 5\n  driver_nofile: *n\ndriver:\n  rate: *n\n  pipeline: *n\n",
			"p.yaml:15: driver.pipeline: 2000 is out of range 1..1024 (via *n, from &n at line 10)",
		},
		{
			"list item",
			"driver: {targets: &h [\"localhost\"]}\nsweep2: 1\n",
			"p.yaml:9: driver.targets[0]: \"localhost\" is not host:port\np.yaml:10: sweep2: unknown field at the top level; did you mean \"sweep\"?",
		},
		{
			"merge",
			"driver: &d {rate: 5, ramp: -1s}\nhypothesis2: {<<: *d}\n",
			"p.yaml:9: driver.ramp: must not be negative, got -1s\np.yaml:10: hypothesis2: unknown field at the top level; did you mean \"hypothesis\"?",
		},
		{
			"merged field",
			"driver:\n  <<: &d {ramp: -1s}\n  rate: 5\nlimits:\n  <<: *d\n",
			"p.yaml:10: driver.ramp: must not be negative, got -1s\n" +
				"p.yaml:13: limits.ramp: unknown field; did you mean \"ramp\" under \"driver\"? (via *d, from &d at line 10)",
		},
		{
			"section",
			"limits: &l {nofile: 8}\n",
			"p.yaml:9: limits.nofile: must be between 16 and 1048576, got 8 (omit it to keep the system's limit)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte(minimal+tt.add))
			if err == nil {
				t.Fatal("Parse succeeded")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

// TestMergedFieldsKeepTheirValue checks that a field set through a merge
// or an alias counts as set: no default replaces it.
func TestMergedFieldsKeepTheirValue(t *testing.T) {
	in := strings.Replace(minimal, "server:\n  variant: pool\n", "server: {<<: {variant: pool, workers: 4, keepalive: false}}\n", 1) +
		"driver: {timeout: &t 5s, warmup: *t}\n"
	p, err := Parse("p.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if p.Server.Workers != 4 || p.Server.KeepAlive || p.Server.Queue != DefaultPoolQueue {
		t.Errorf("merged server: workers %d keepalive %v queue %d, want 4 false %d", p.Server.Workers, p.Server.KeepAlive, p.Server.Queue, DefaultPoolQueue)
	}
	if p.Driver.Warmup.D() != 5e9 || p.Driver.ConnectTimeout.D() != 5e9 {
		t.Errorf("aliased warmup %v, connect_timeout %v: want 5s (the alias, and the timeout it defaults to)", p.Driver.Warmup, p.Driver.ConnectTimeout)
	}
}

func TestSyntaxErrors(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{errors.New("yaml: line 5: mapping values are not allowed in this context"), "p.yaml:5: mapping values are not allowed in this context"},
		{errors.New("line 2: found a tab"), "p.yaml:2: found a tab"},
		{errors.New("yaml: control characters are not allowed"), "p.yaml: control characters are not allowed"},
		{errors.New("yaml: at line 5 something went wrong"), "p.yaml: at line 5 something went wrong"},
		{errors.New("yaml: line 0: odd"), "p.yaml: line 0: odd"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := syntaxError("p.yaml", tt.err).Error(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestErrorsCapped checks that problems come sorted by line, at most
// maxErrors of them, and that the ones left out are counted.
func TestErrorsCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString(minimal + "driver:\n")
	for i := range 120 {
		fmt.Fprintf(&b, "  unknown%d: 1\n", i)
	}
	b.WriteString("success_threshold: 2\n") // a validation problem after them
	_, err := Parse("p.yaml", []byte(b.String()))
	var list Errors
	if !errors.As(err, &list) {
		t.Fatalf("want Errors, got %v", err)
	}
	if len(list) != maxErrors+1 {
		t.Fatalf("%d problems reported, want %d and a count of the rest", len(list), maxErrors+1)
	}
	if last := list[maxErrors].Error(); last != "p.yaml: 71 more problems not shown" {
		t.Errorf("last line %q", last)
	}
	for i := 1; i < maxErrors; i++ {
		if list[i].Line < list[i-1].Line {
			t.Fatalf("not sorted by line: %v before %v", list[i-1], list[i])
		}
	}
	if first := list[0].Error(); first != "p.yaml:10: driver.unknown0: unknown field; driver takes path, keepalive, duration, requests_per_client, warmup, timeout, connect_timeout, ramp, rate, pipeline, targets, method, headers, body, h2c, streams, hosts" {
		t.Errorf("first problem %q", first)
	}
}

func TestNearestField(t *testing.T) {
	tests := []struct {
		parent, name, want string
	}{
		{"server", "workrs", `"workers"`},
		{"server", "wokrers", `"workers"`},
		{"server", "read-timeout", `"read_timeout"`},
		{"server", "MaxHeaderBytes", `"max_header_bytes"`},
		{"server", "timeout", `"timeout" under "driver"`},
		{"", "clients", `"clients" under "sweep"`},
		{"sweep", "number", `"number" at the top level`},
		{"driver", "rat", `"rate"`},
		{"driver", "xyz", ""},
		{"", "sever", `"server"`},
		{"limits", "tw_reuse", ""},
		{"limits", strings.Repeat("a", 100), ""},
	}
	for _, tt := range tests {
		t.Run(tt.parent+"."+tt.name, func(t *testing.T) {
			if got := nearestField(tt.parent, tt.name); got != tt.want {
				t.Errorf("nearestField(%q, %q) = %q, want %q", tt.parent, tt.name, got, tt.want)
			}
		})
	}
}
