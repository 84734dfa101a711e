package phases

import (
	"errors"
	"net"

	"github.com/scalelab/scalelab/driver"
	"github.com/scalelab/scalelab/servers"
)

// DriverConfig is the load generator's configuration for one step of the
// phase: clients connections spread over the phase's driver.targets, or
// over addrs (host:port, the server's listeners) when the phase names none.
// The runner hands it to the driver as JSON (`scalelab load --config -`).
func (p *Phase) DriverConfig(clients int, addrs []string) driver.Config {
	d := p.Driver
	if len(d.Targets) > 0 {
		addrs = d.Targets
	}
	path := d.Path
	if path == "" {
		path = DefaultPath
	}
	targets := make([]string, len(addrs))
	for i, a := range addrs {
		targets[i] = "http://" + a + path
	}
	return driver.Config{
		Targets:           targets,
		Clients:           clients,
		Duration:          d.Duration.D(),
		RequestsPerClient: d.RequestsPerClient,
		Rate:              float64(d.Rate),
		Pipeline:          max(d.Pipeline, 1),
		DisableKeepAlive:  !d.KeepAlive,
		Ramp:              d.Ramp.D(),
		Warmup:            d.Warmup.D(),
		Timeout:           d.Timeout.D(),
		ConnectTimeout:    d.ConnectTimeout.D(),
		Method:            d.Method,
		Headers:           d.Headers,
		Body:              d.Body,
		H2C:               d.H2C,
		Streams:           d.Streams,
	}
}

// ServerSpec is the server's configuration for a step: the phase's variant
// and knobs, listening from addr (host:port) with its statistics on the
// unix socket stats. The runner hands it to the server as JSON (`scalelab
// serve --config -`).
func (p *Phase) ServerSpec(addr, stats string) servers.Spec {
	c := servers.DefaultConfig()
	sv := p.Server
	c.Addr, c.Backlog, c.KeepAlive, c.ReusePort = addr, sv.Backlog, sv.KeepAlive, sv.ReusePort
	c.Listeners = max(sv.Listeners, 1)
	if sv.Workers > 0 {
		c.Workers = sv.Workers
	}
	if sv.Queue > 0 {
		c.Queue = sv.Queue
	}
	if sv.ReadTimeout > 0 {
		c.ReadTimeout = sv.ReadTimeout.D()
	}
	if sv.MaxHeaderBytes > 0 {
		c.MaxHeaderBytes = sv.MaxHeaderBytes
	}
	c.AcceptStall, c.AcceptStallEvery = sv.AcceptStall.D(), sv.AcceptStallEvery.D()
	c.H2C, c.MaxStreams = sv.H2C, sv.MaxStreams
	return servers.Spec{Variant: string(sv.Variant), Config: c, Stats: stats}
}

// driverFields maps the driver's configuration fields to the phase file's.
var driverFields = map[string]string{
	"targets": "driver.targets", "clients": "sweep.clients", "duration": "driver.duration",
	"requests_per_client": "driver.requests_per_client", "rate": "driver.rate", "pipeline": "driver.pipeline",
	"ramp": "driver.ramp", "warmup": "driver.warmup", "timeout": "driver.timeout", "connect_timeout": "driver.connect_timeout",
	"method": "driver.method", "headers": "driver.headers", "body": "driver.body",
	"h2c": "driver.h2c", "streams": "driver.streams",
}

// serverFields maps the servers' HTTP/2 knobs to the phase file's fields.
var serverFields = map[string]string{"h2c": "server.h2c", "max_streams": "server.max_streams"}

// checkServer lets the servers check the HTTP/2 knobs (their ranges, and
// whether the variant speaks h2c), and checks that a driver speaking h2c
// to the phase's own server finds it serving h2c.
func (c *checker) checkServer(p *Phase) {
	sv := p.Server
	if sv.Variant.Known() {
		cfg := servers.DefaultConfig()
		cfg.Addr = net.JoinHostPort("127.0.0.1", "8080")
		cfg.H2C, cfg.MaxStreams = sv.H2C, sv.MaxStreams
		err := cfg.Validate()
		if err == nil {
			err = cfg.CheckVariant(string(sv.Variant))
		}
		var ce *servers.ConfigError
		if errors.As(err, &ce) {
			if path, ok := serverFields[ce.Field]; ok && !c.reported(path) {
				c.errf(path, "%s", ce.Msg)
			}
		}
	}
	if p.Driver.H2C && !sv.H2C && len(p.Driver.Targets) == 0 && !c.reported("server.h2c") {
		c.errf("driver.h2c", "the driver speaks h2c but the server does not serve it: set server.h2c: true (variant nethttp)")
	}
}

// checkDriver lets the driver check the configuration the phase gives it at
// its largest client count: the driver owns its rules, the phase file only
// says where in the file a value went wrong.
func (c *checker) checkDriver(p *Phase) {
	clients := 1
	for _, n := range p.Sweep.Clients {
		clients = max(clients, n)
	}
	err := p.DriverConfig(clients, []string{net.JoinHostPort("127.0.0.1", "8080")}).Validate()
	var joined interface{ Unwrap() []error }
	errs := []error{err}
	if errors.As(err, &joined) {
		errs = joined.Unwrap()
	}
	for _, e := range errs {
		var ce *driver.ConfigError
		if !errors.As(e, &ce) {
			continue
		}
		path, ok := driverFields[ce.Field]
		switch {
		case !ok || c.reported(path):
			continue
		case path == "driver.connect_timeout" && !c.has(path) && p.Driver.ConnectTimeout == p.Driver.Timeout:
			continue // it is the timeout's value, already named there
		case path == "driver.targets" && len(p.Driver.Targets) == 0 && c.reported("driver.path"):
			continue // the targets are the server's; the path made them bad
		}
		c.errf(path, "%s", ce.Msg)
	}
}
