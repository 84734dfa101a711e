package phases

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
)

// Bounds checked by validation.
const (
	MinNoFile     = 16      // a process needs a few descriptors before it serves anything
	MaxNoFile     = 1 << 20 // Linux's default fs.nr_open
	MaxWorkers    = 100000
	MaxListeners  = 64
	MaxPipeline   = 1024
	MaxClients    = 1000000
	MaxTrials     = 100
	MaxQueue      = 1000000
	variantChoice = "naive | pool | nethttp | fasthttp | gnet"
	limitChoice   = "none | fd | backlog | port | queueing | cpu | client"
)

// fillDefaults sets every field the file left out (has reports presence) to
// its documented default.
func (p *Phase) fillDefaults(has func(path string) bool) {
	// Free text loses the line breaks that block scalars (note: >) add.
	p.Title = strings.TrimSpace(p.Title)
	p.Hypothesis.Note = strings.TrimSpace(p.Hypothesis.Note)
	if len(p.Driver.Targets) == 0 {
		p.Driver.Targets = nil // "targets: []" means the same as no targets
	}
	if !has("title") && p.Title == "" {
		p.Title = p.Name
	}
	s, d := &p.Server, &p.Driver
	orDefault(has, "success_threshold", &p.SuccessThreshold, DefaultSuccessThreshold)
	orDefault(has, "sweep.trials", &p.Sweep.Trials, DefaultTrials)
	orDefault(has, "server.keepalive", &s.KeepAlive, DefaultKeepAlive && s.Variant != VariantNaive)
	orDefault(has, "server.backlog", &s.Backlog, DefaultBacklog)
	orDefault(has, "server.listeners", &s.Listeners, DefaultListeners)
	if s.Variant.HasWorkers() {
		orDefault(has, "server.workers", &s.Workers, DefaultPoolWorkers)
		orDefault(has, "server.queue", &s.Queue, DefaultPoolQueue)
	}
	orDefault(has, "limits.driver_nofile", &p.Limits.DriverNoFile, DefaultDriverNoFile)
	orDefault(has, "driver.path", &d.Path, DefaultPath)
	orDefault(has, "driver.keepalive", &d.KeepAlive, DefaultKeepAlive)
	if d.RequestsPerClient == 0 {
		orDefault(has, "driver.duration", &d.Duration, Duration(DefaultDuration))
	}
	orDefault(has, "driver.warmup", &d.Warmup, Duration(DefaultWarmup))
	orDefault(has, "driver.timeout", &d.Timeout, Duration(DefaultTimeout))
	orDefault(has, "driver.connect_timeout", &d.ConnectTimeout, d.Timeout)
	orDefault(has, "driver.pipeline", &d.Pipeline, DefaultPipeline)
}

// orDefault sets *field to value unless the file sets the field at path.
func orDefault[T any](has func(path string) bool, path string, field *T, value T) {
	if !has(path) {
		*field = value
	}
}

// Validate checks a phase built in Go (not read from a file) with the same
// rules Parse applies; errors carry no line. It does not fill defaults.
func (p *Phase) Validate() error {
	name := p.Source
	if name == "" {
		name = "phase"
	}
	if errs := check(p, name, nil, nil); len(errs) > 0 {
		return errs
	}
	return nil
}

// checker collects validation errors located through the index (nil for
// phases built in Go).
type checker struct {
	file string
	ix   *index
	skip func(path string) bool // fields not to report on; nil: none
	errs Errors
}

func (c *checker) errf(path, format string, args ...any) {
	if c.skip != nil && c.skip(path) {
		return
	}
	at := c.ix.site(path)
	c.errs = append(c.errs, &Error{File: c.file, Line: at.line, Field: path,
		Msg: path + ": " + fmt.Sprintf(format, args...) + at.note()})
}

func (c *checker) has(path string) bool { return c.ix.has(path) }

// set reports whether the field at path is in the file or, for phases built
// in Go, holds a non-zero value.
func (c *checker) set(path string, nonZero bool) bool { return nonZero || c.has(path) }

var reName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// check applies every semantic rule to a decoded, defaulted phase.
// skip, when not nil, silences errors about the fields it matches.
func check(p *Phase, file string, ix *index, skip func(path string) bool) Errors {
	c := &checker{file: file, ix: ix, skip: skip}

	switch {
	case p.Schema == "":
		c.errf("schema", "missing; a phase file starts with \"schema: %s\"", Schema)
	case p.Schema != Schema:
		c.errf("schema", "%q is not supported; this lab reads %s", p.Schema, Schema)
	}
	if p.Number < 1 {
		if c.set("number", p.Number != 0) {
			c.errf("number", "must be 1 or more, got %d", p.Number)
		} else {
			c.errf("number", "missing; the phase's place in the ladder, 1 or more")
		}
	}
	switch {
	case p.Name == "":
		c.errf("name", "missing; a short slug such as pool-keepalive")
	case !reName.MatchString(p.Name):
		c.errf("name", "%q must be lower-case letters, digits and dashes", p.Name)
	}
	if p.Title == "" && c.has("title") {
		c.errf("title", "empty; omit it to use the name")
	}
	switch {
	case p.Hypothesis.Limit == "":
		c.errf("hypothesis.limit", "missing; the limit this phase expects to hit (%s)", limitChoice)
	case !p.Hypothesis.Limit.Known():
		c.errf("hypothesis.limit", "unknown limit %q (want %s)", p.Hypothesis.Limit, limitChoice)
	}

	c.server(&p.Server)
	c.limits(&p.Limits)
	c.driver(&p.Driver)
	c.sweep(&p.Sweep)

	if !(p.SuccessThreshold > 0 && p.SuccessThreshold <= 1) {
		c.errf("success_threshold", "must be above 0 and at most 1, got %v", p.SuccessThreshold)
	}
	return c.errs
}

func (c *checker) server(s *Server) {
	switch {
	case s.Variant == "":
		c.errf("server.variant", "missing; one of %s", variantChoice)
	case !s.Variant.Known():
		c.errf("server.variant", "unknown variant %q (want %s)", s.Variant, variantChoice)
	}
	if s.Variant.HasWorkers() {
		if s.Workers < 1 || s.Workers > MaxWorkers {
			c.errf("server.workers", "must be between 1 and %d, got %d", MaxWorkers, s.Workers)
		}
		if s.Queue < 0 || s.Queue > MaxQueue {
			c.errf("server.queue", "must be between 0 and %d, got %d", MaxQueue, s.Queue)
		}
	} else if s.Variant.Known() {
		if c.set("server.workers", s.Workers != 0) {
			c.errf("server.workers", "the %s variant has no workers; only pool takes workers and queue", s.Variant)
		}
		if c.set("server.queue", s.Queue != 0) {
			c.errf("server.queue", "the %s variant has no queue; only pool takes workers and queue", s.Variant)
		}
	}
	if s.Variant == VariantNaive && s.KeepAlive {
		c.errf("server.keepalive", "the naive variant serves one request per connection; keepalive must be false")
	}
	if s.Backlog < 1 {
		c.errf("server.backlog", "must be 1 or more, got %d", s.Backlog)
	}
	if s.Listeners < 1 || s.Listeners > MaxListeners {
		c.errf("server.listeners", "must be between 1 and %d, got %d", MaxListeners, s.Listeners)
	}
	if s.ReadTimeout < 0 {
		c.errf("server.read_timeout", "must not be negative, got %s", s.ReadTimeout)
	}
	if s.MaxHeaderBytes < 0 {
		c.errf("server.max_header_bytes", "must not be negative, got %d", s.MaxHeaderBytes)
	}
}

func (c *checker) limits(l *Limits) {
	if c.set("limits.nofile", l.NoFile != 0) && (l.NoFile < MinNoFile || l.NoFile > MaxNoFile) {
		c.errf("limits.nofile", "must be between %d and %d, got %d (omit it to keep the system's limit)", MinNoFile, MaxNoFile, l.NoFile)
	}
	if c.set("limits.somaxconn", l.SoMaxConn != 0) && l.SoMaxConn < 1 {
		c.errf("limits.somaxconn", "must be 1 or more, got %d (omit it to keep the system's value)", l.SoMaxConn)
	}
	if c.set("limits.port_range", !l.PortRange.IsZero()) {
		lo, hi := l.PortRange[0], l.PortRange[1]
		switch {
		case lo < 1 || hi > 65535 || hi < 1 || lo > 65535:
			c.errf("limits.port_range", "ports must be within 1..65535, got [%d, %d]", lo, hi)
		case lo > hi:
			c.errf("limits.port_range", "reversed: the low port %d is above the high port %d", lo, hi)
		}
	}
	if l.TCPTwReuse != nil && (*l.TCPTwReuse < 0 || *l.TCPTwReuse > 2) {
		c.errf("limits.tcp_tw_reuse", "must be 0, 1 or 2, got %d", *l.TCPTwReuse)
	}
	if l.SynCookies != nil && (*l.SynCookies < 0 || *l.SynCookies > 2) {
		c.errf("limits.syn_cookies", "must be 0, 1 or 2, got %d", *l.SynCookies)
	}
	if l.DriverNoFile < MinNoFile || l.DriverNoFile > MaxNoFile {
		c.errf("limits.driver_nofile", "must be between %d and %d, got %d", MinNoFile, MaxNoFile, l.DriverNoFile)
	}
}

func (c *checker) driver(d *Driver) {
	switch {
	case !strings.HasPrefix(d.Path, "/"):
		c.errf("driver.path", "%q must start with /", d.Path)
	case strings.IndexFunc(d.Path, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0:
		c.errf("driver.path", "%q must not contain spaces or control characters", d.Path)
	}
	for _, f := range []struct {
		path string
		v    Duration
	}{
		{"driver.duration", d.Duration},
		{"driver.warmup", d.Warmup},
		{"driver.ramp", d.Ramp},
	} {
		if f.v < 0 {
			c.errf(f.path, "must not be negative, got %s", f.v)
		}
	}
	if d.RequestsPerClient < 0 {
		c.errf("driver.requests_per_client", "must not be negative, got %d", d.RequestsPerClient)
	}
	if d.Duration == 0 && d.RequestsPerClient == 0 {
		c.errf("driver.duration", "duration and requests_per_client are both zero; set one of them")
	}
	if d.Timeout <= 0 {
		c.errf("driver.timeout", "must be above 0, got %s", d.Timeout)
	}
	switch {
	case d.ConnectTimeout <= 0 && c.set("driver.connect_timeout", d.Timeout > 0):
		c.errf("driver.connect_timeout", "must be above 0, got %s", d.ConnectTimeout)
	case d.Timeout > 0 && d.ConnectTimeout > d.Timeout:
		c.errf("driver.connect_timeout", "%s is longer than driver.timeout %s, which includes the connect", d.ConnectTimeout, d.Timeout)
	}
	if d.Rate < 0 {
		c.errf("driver.rate", "must not be negative, got %d (0 runs a closed loop)", d.Rate)
	}
	switch {
	case d.Pipeline < 1 || d.Pipeline > MaxPipeline:
		c.errf("driver.pipeline", "must be between 1 and %d, got %d", MaxPipeline, d.Pipeline)
	case d.Pipeline > 1 && !d.KeepAlive:
		c.errf("driver.pipeline", "pipelining %d requests needs driver.keepalive: true", d.Pipeline)
	}
	for i, t := range d.Targets {
		path := fmt.Sprintf("driver.targets[%d]", i)
		_, port, err := net.SplitHostPort(t)
		if err != nil {
			c.errf(path, "%q is not host:port", t)
			continue
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			c.errf(path, "%q: the port must be a number within 1..65535", t)
		}
	}
}

func (c *checker) sweep(s *Sweep) {
	if len(s.Clients) == 0 {
		c.errf("sweep.clients", "empty; list the client counts to run, e.g. [10, 50, 100]")
	}
	for i, n := range s.Clients {
		path := fmt.Sprintf("sweep.clients[%d]", i)
		switch {
		case n < 1 || n > MaxClients:
			c.errf(path, "must be between 1 and %d, got %d", MaxClients, n)
		case i > 0 && n <= s.Clients[i-1]:
			c.errf(path, "%d does not follow %d; list client counts in increasing order", n, s.Clients[i-1])
		}
	}
	if s.Trials < 1 || s.Trials > MaxTrials {
		c.errf("sweep.trials", "must be between 1 and %d, got %d", MaxTrials, s.Trials)
	}
}
