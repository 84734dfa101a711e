package phases

import (
	"strings"
	"testing"
)

// h2cPhase is a valid h2c phase file; tests change it.
const h2cPhase = `schema: scalelab/phase/v1
number: 11
name: h2c
hypothesis: {limit: cpu}
server:
  variant: nethttp
  h2c: true
  max_streams: 50
driver:
  h2c: true
  streams: 100
sweep:
  clients: [10]
`

// TestH2CFields: the HTTP/2 fields of a phase file reach the driver's
// and the server's configurations.
func TestH2CFields(t *testing.T) {
	p, err := Parse("h2c.yaml", []byte(h2cPhase))
	if err != nil {
		t.Fatal(err)
	}
	d := p.DriverConfig(10, []string{"127.0.0.1:8080"})
	if !d.H2C || d.Streams != 100 || d.Clients != 10 {
		t.Errorf("driver config h2c %v streams %d clients %d", d.H2C, d.Streams, d.Clients)
	}
	if err := d.Validate(); err != nil {
		t.Errorf("driver config: %v", err)
	}
	s := p.ServerSpec("127.0.0.1:8080", "")
	if !s.Config.H2C || s.Config.MaxStreams != 50 {
		t.Errorf("server spec h2c %v max_streams %d", s.Config.H2C, s.Config.MaxStreams)
	}
	if err := s.Validate(); err != nil {
		t.Errorf("server spec: %v", err)
	}
}

// TestH2CErrors: each misuse of the HTTP/2 fields is an error on its line.
func TestH2CErrors(t *testing.T) {
	tests := []struct {
		name    string
		replace [2]string
		want    string
	}{
		{"a variant without HTTP/2", [2]string{"variant: nethttp", "variant: gnet"},
			"h2c.yaml:7: server.h2c: the gnet variant speaks HTTP/1.1 only; h2c (HTTP/2 over cleartext TCP) is served by nethttp"},
		{"max streams without h2c", [2]string{"  h2c: true\n  max_streams", "  max_streams"},
			"h2c.yaml:7: server.max_streams: is HTTP/2's SETTINGS_MAX_CONCURRENT_STREAMS; it needs h2c"},
		{"max streams negative", [2]string{"max_streams: 50", "max_streams: -5"},
			"h2c.yaml:8: server.max_streams: must be 0..1048576 (0: the library's default), not -5"},
		{"streams without h2c", [2]string{"driver:\n  h2c: true\n", "driver:\n"},
			"h2c.yaml:10: driver.streams: 100 streams per connection need h2c (streams are HTTP/2's; HTTP/1.1 has pipeline)"},
		{"h2c to a server without it", [2]string{"  h2c: true\n  max_streams: 50\n", ""},
			"h2c.yaml:8: driver.h2c: the driver speaks h2c but the server does not serve it: set server.h2c: true (variant nethttp)"},
		{"pipelining over h2c", [2]string{"streams: 100", "streams: 100\n  pipeline: 4"},
			"h2c.yaml:12: driver.pipeline: pipelining is HTTP/1.1's; with h2c, requests share a connection as streams (set streams)"},
		{"h2c without keep-alive", [2]string{"streams: 100", "streams: 100\n  keepalive: false"},
			"h2c.yaml:10: driver.h2c: an HTTP/2 connection carries many requests; h2c cannot run without keep-alive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := strings.Replace(h2cPhase, tt.replace[0], tt.replace[1], 1)
			if in == h2cPhase {
				t.Fatalf("%q not in the phase", tt.replace[0])
			}
			_, err := Parse("h2c.yaml", []byte(in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got  %v\nwant %s", err, tt.want)
			}
		})
	}
}
