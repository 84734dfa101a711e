package phases

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/scalelab/scalelab/driver"
	"github.com/scalelab/scalelab/driver/threshold"
)

// Bounds checked by validation.
const (
	MinNoFile    = 16                 // a process needs a few descriptors before it serves anything
	MaxNoFile    = 1 << 20            // Linux's default fs.nr_open
	MaxWorkers   = 100000             // server.workers
	MaxListeners = 64                 // server.listeners
	MaxPipeline  = driver.MaxPipeline // driver.pipeline
	MaxClients   = 1000000            // each of sweep.clients
	MaxTrials    = 100                // sweep.trials
	MaxQueue     = 1000000            // server.queue
	MinCPUShare  = 0.01               // limits.server_cpu, driver_cpu: the kernel's least quota (1 ms of 100)
	MaxCPUShare  = 64.0               // limits.server_cpu, driver_cpu: cores

	// MaxDuration bounds every duration of a phase file: it is the driver's
	// own cap, checked here so that a phase is refused before its
	// namespace and server start.
	MaxDuration = driver.MaxDuration
	// MinTimeout is the driver's shortest request and connect timeout.
	MinTimeout = driver.MinTimeout

	// MinLocalPort is the lowest port limits.port_range may start at: the
	// kernel refuses (EINVAL) an ip_local_port_range that starts below
	// net.ipv4.ip_unprivileged_port_start, 1024 in a new network namespace.
	// It takes low == high, and low and high of the same parity (it only
	// logs that it prefers them different).
	MinLocalPort = 1024
	// MaxPort is the highest TCP port.
	MaxPort = 65535
	// MaxSoMaxConn is the largest net.core.somaxconn the kernel takes (INT_MAX).
	MaxSoMaxConn = math.MaxInt32
	// MaxBacklog is the largest server.backlog: listen(2) takes a C int (the
	// kernel then caps it at somaxconn).
	MaxBacklog = math.MaxInt32
	// MinHeaderBytes is the smallest server.max_header_bytes the servers take.
	MinHeaderBytes = 256
	// MaxHeaderBytes bounds server.max_header_bytes: net/http's default, and
	// the servers allocate a read buffer that large for every connection.
	MaxHeaderBytes = 1 << 20
	// MaxRequestsPerClient bounds driver.requests_per_client: the driver
	// counts a client's requests in 32 bits.
	MaxRequestsPerClient = 1000000000
	// MaxSweepClients bounds how many client counts a sweep lists (each is a
	// step of the run, times sweep.trials).
	MaxSweepClients = 100
	// MaxTargets bounds how many driver.targets a phase lists.
	MaxTargets = 64
	// MaxHosts bounds driver.hosts and verify.hosts: client hosts are
	// namespaces on one machine, sharing its driver CPUs.
	MaxHosts = 16

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
	orDefault(has, "sweep.max_trials", &p.Sweep.MaxTrials, p.Sweep.Trials)
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
	if p.Verify.Port == "hosts" {
		orDefault(has, "verify.hosts", &p.Verify.Hosts, DefaultVerifyHosts)
	}
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

// reported says whether an error already names the field at path, or
// one of its elements (path[i]).
func (c *checker) reported(path string) bool {
	for _, e := range c.errs {
		if e.Field == path || strings.HasPrefix(e.Field, path+"[") {
			return true
		}
	}
	return false
}

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
	if r, ok := control(p.Title, ""); ok {
		c.errf("title", "must be one line without control characters, found %q", r)
	}
	if r, ok := control(p.Hypothesis.Note, "\n\t"); ok {
		c.errf("hypothesis.note", "must not hold control characters other than line breaks, found %q", r)
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
	c.checkDriver(p)
	c.hosts(p)
	c.checkServer(p)

	if !(p.SuccessThreshold > 0 && p.SuccessThreshold <= 1) {
		c.errf("success_threshold", "must be above 0 and at most 1, got %v", p.SuccessThreshold)
	}
	for i, t := range p.Thresholds {
		if _, err := threshold.Parse(t); err != nil {
			c.errf(fmt.Sprintf("thresholds[%d]", i), "%v", err)
		}
	}
	return c.errs
}

// hosts checks driver.hosts and the verification's ports: client hosts
// are reached on the lab's bridge, so they cannot take targets of their
// own, and each needs a client.
func (c *checker) hosts(p *Phase) {
	d, v := p.Driver, p.Verify
	c.between("driver.hosts", d.Hosts, 0, MaxHosts)
	if d.Hosts > 0 && len(d.Targets) > 0 {
		c.errf("driver.hosts", "client hosts load the server's listeners on the lab's bridge; leave driver.targets out")
	}
	if d.Hosts > 0 && len(p.Sweep.Clients) > 0 && p.Sweep.Clients[0] < d.Hosts {
		c.errf("sweep.clients[0]", "%d clients cannot be split over driver.hosts %d (each host runs a shard)", p.Sweep.Clients[0], d.Hosts)
	}
	switch v.Port {
	case "", "tw_reuse", "range":
		if c.set("verify.hosts", v.Hosts != 0) {
			c.errf("verify.hosts", "only with verify.port: hosts")
		}
	case "hosts":
		switch {
		case v.Hosts <= max(d.Hosts, 1) || v.Hosts > MaxHosts:
			c.errf("verify.hosts", "must be more than driver.hosts (%d) and at most %d, got %d", max(d.Hosts, 1), MaxHosts, v.Hosts)
		case len(d.Targets) > 0:
			c.errf("verify.port", "hosts: client hosts load the server's listeners on the lab's bridge; leave driver.targets out")
		}
	default:
		c.errf("verify.port", "%q: want tw_reuse, range or hosts", v.Port)
	}
}

// control returns the first control character in s that is not in allowed.
func control(s, allowed string) (rune, bool) {
	for _, r := range s {
		if unicode.IsControl(r) && !strings.ContainsRune(allowed, r) {
			return r, true
		}
	}
	return 0, false
}

func (c *checker) server(s *Server) {
	switch {
	case s.Variant == "":
		c.errf("server.variant", "missing; one of %s", variantChoice)
	case !s.Variant.Known():
		c.errf("server.variant", "unknown variant %q (want %s)", s.Variant, variantChoice)
	}
	if s.Variant.HasWorkers() {
		c.between("server.workers", s.Workers, 1, MaxWorkers)
		c.between("server.queue", s.Queue, 0, MaxQueue)
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
	switch {
	case s.Backlog < 1:
		c.errf("server.backlog", "must be 1 or more, got %d", s.Backlog)
	case s.Backlog > MaxBacklog:
		c.errf("server.backlog", "must be at most %d (listen(2) takes a C int), got %d", MaxBacklog, s.Backlog)
	}
	c.between("server.listeners", s.Listeners, 1, MaxListeners)
	c.duration("server.read_timeout", s.ReadTimeout, 0)
	if s.MaxHeaderBytes != 0 && (s.MaxHeaderBytes < MinHeaderBytes || s.MaxHeaderBytes > MaxHeaderBytes) {
		c.errf("server.max_header_bytes", "must be 0 (the variant's default) or between %d and %d, got %d",
			MinHeaderBytes, MaxHeaderBytes, s.MaxHeaderBytes)
	}
	c.acceptStall(s)
}

// acceptStall checks the pool's accept pauses: a stall needs a period
// longer than itself.
func (c *checker) acceptStall(s *Server) {
	c.duration("server.accept_stall", s.AcceptStall, 0)
	c.duration("server.accept_stall_every", s.AcceptStallEvery, 0)
	stalls := c.set("server.accept_stall", s.AcceptStall != 0) || c.set("server.accept_stall_every", s.AcceptStallEvery != 0)
	switch {
	case stalls && s.Variant.Known() && !s.Variant.HasWorkers():
		c.errf("server.accept_stall", "only the pool variant takes accept stalls, not %s", s.Variant)
	case s.AcceptStall > 0 && s.AcceptStallEvery <= s.AcceptStall:
		c.errf("server.accept_stall_every", "must be longer than server.accept_stall (%s), got %s", s.AcceptStall, s.AcceptStallEvery)
	}
}

// between reports an integer field outside [lo, hi].
func (c *checker) between(path string, v, lo, hi int) {
	if v < lo || v > hi {
		c.errf(path, "must be between %d and %d, got %d", lo, hi, v)
	}
}

// duration reports a duration field below lo (0 or MinTimeout) or above
// MaxDuration.
func (c *checker) duration(path string, v Duration, lo time.Duration) {
	why := "the driver refuses longer"
	if path == "server.read_timeout" {
		why = "0 means none"
	}
	switch {
	case v < 0 && lo == 0:
		c.errf(path, "must not be negative, got %s", v)
	case v.D() < lo:
		c.errf(path, "must be at least %s, got %s (the driver's shortest timeout)", lo, v)
	case v.D() > MaxDuration:
		c.errf(path, "must be at most %s, got %s (%s)", time.Duration(MaxDuration), v, why)
	}
}

func (c *checker) limits(l *Limits) {
	if c.set("limits.nofile", l.NoFile != 0) && (l.NoFile < MinNoFile || l.NoFile > MaxNoFile) {
		c.errf("limits.nofile", "must be between %d and %d, got %d (omit it to keep the system's limit)", MinNoFile, MaxNoFile, l.NoFile)
	}
	switch {
	case c.set("limits.somaxconn", l.SoMaxConn != 0) && l.SoMaxConn < 1:
		c.errf("limits.somaxconn", "must be 1 or more, got %d (omit it to keep the system's value)", l.SoMaxConn)
	case l.SoMaxConn > MaxSoMaxConn:
		c.errf("limits.somaxconn", "must be at most %d (the kernel refuses more), got %d", MaxSoMaxConn, l.SoMaxConn)
	}
	if c.set("limits.port_range", !l.PortRange.IsZero()) {
		c.portRange(l.PortRange)
	}
	for _, f := range []struct {
		path string
		v    *int
	}{{"limits.tcp_tw_reuse", l.TCPTwReuse}, {"limits.syn_cookies", l.SynCookies}} {
		if f.v != nil && (*f.v < 0 || *f.v > 2) {
			c.errf(f.path, "must be 0, 1 or 2, got %d", *f.v)
		}
	}
	c.between("limits.driver_nofile", l.DriverNoFile, MinNoFile, MaxNoFile)
	for _, f := range []struct {
		path string
		v    float64
	}{{"limits.server_cpu", l.ServerCPU}, {"limits.driver_cpu", l.DriverCPU}} {
		if f.v != 0 && !(f.v >= MinCPUShare && f.v <= MaxCPUShare) {
			c.errf(f.path, "must be a share of one core between %v and %v (0.2 is 20%% of a core), got %v", MinCPUShare, MaxCPUShare, f.v)
		}
	}
}

// portRange checks limits.port_range as the kernel checks
// ip_local_port_range (see MinLocalPort).
func (c *checker) portRange(r PortRange) {
	lo, hi := r[0], r[1]
	switch {
	case lo < MinLocalPort && lo <= hi && hi <= MaxPort:
		c.errf("limits.port_range", "the low port %d is below %d: the kernel refuses (EINVAL) a range that starts below "+
			"net.ipv4.ip_unprivileged_port_start, %d in the lab's namespaces", lo, MinLocalPort, MinLocalPort)
	case lo < MinLocalPort || hi < MinLocalPort || lo > MaxPort || hi > MaxPort:
		c.errf("limits.port_range", "ports must be within %d..%d, got [%d, %d]", MinLocalPort, MaxPort, lo, hi)
	case lo > hi:
		c.errf("limits.port_range", "reversed: the low port %d is above the high port %d", lo, hi)
	}
}

// driver checks what only a phase file means: a zero that is not a
// default, a ramp longer than the step, where the targets are. The
// driver's own rules (ranges, caps, pipelining) are the driver's: see
// checkDriver.
func (c *checker) driver(d *Driver) {
	c.path(d.Path)
	for _, t := range []struct {
		path string
		v    Duration
	}{{"driver.timeout", d.Timeout}, {"driver.connect_timeout", d.ConnectTimeout}} {
		if t.v == 0 && (t.path == "driver.timeout" || c.has(t.path)) {
			c.errf(t.path, "must be at least %s, got 0s (a timeout of zero is none at all)", time.Duration(MinTimeout))
		}
	}
	if d.Timeout > 0 && d.ConnectTimeout > d.Timeout {
		c.errf("driver.connect_timeout", "%s is longer than driver.timeout %s, which includes the connect", d.ConnectTimeout, d.Timeout)
	}
	if d.RequestsPerClient > MaxRequestsPerClient {
		c.errf("driver.requests_per_client", "must be at most %d, got %d", MaxRequestsPerClient, d.RequestsPerClient)
	}
	if d.Duration == 0 && d.RequestsPerClient == 0 {
		c.errf("driver.duration", "duration and requests_per_client are both zero; set one of them")
	}
	if step := d.Warmup + d.Duration; d.Duration > 0 && d.Warmup >= 0 && d.Ramp > step && d.Ramp.D() <= MaxDuration {
		c.errf("driver.ramp", "%s is longer than driver.warmup + driver.duration (%s): the last clients would start after the step ends", d.Ramp, step)
	}
	if d.Pipeline < 1 {
		c.errf("driver.pipeline", "must be at least 1, got %d", d.Pipeline)
	}
	c.targets(d.Targets)
}

// path checks the request target the driver appends to http://host:port.
func (c *checker) path(p string) {
	var ue *url.Error
	_, err := url.Parse("http://127.0.0.1" + p)
	switch {
	case !strings.HasPrefix(p, "/"):
		c.errf("driver.path", "%q must start with /", p)
	case strings.IndexFunc(p, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0:
		c.errf("driver.path", "%q must not contain spaces or control characters", p)
	case strings.Contains(p, "#"):
		c.errf("driver.path", "%q must not contain #: a fragment is not sent to servers", p)
	case errors.As(err, &ue):
		c.errf("driver.path", "%q: %v", p, ue.Err)
	}
}

// targets checks driver.targets as the driver checks its target URLs.
func (c *checker) targets(targets []string) {
	if len(targets) > MaxTargets {
		c.errf("driver.targets", "%d targets; at most %d", len(targets), MaxTargets)
		return
	}
	for i, t := range targets {
		path := fmt.Sprintf("driver.targets[%d]", i)
		host, port, err := net.SplitHostPort(t)
		if err != nil {
			c.errf(path, "%q is not host:port", t)
			continue
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > MaxPort {
			c.errf(path, "%q: the port must be a number within 1..65535", t)
		}
		if a, err := netip.ParseAddr(host); (err != nil || a.Zone() != "") && !strings.EqualFold(host, "localhost") {
			c.errf(path, "%q: the host must be an IP address (without a zone) or localhost; the driver resolves no names", t)
		}
	}
}

func (c *checker) sweep(s *Sweep) {
	switch {
	case len(s.Clients) == 0:
		c.errf("sweep.clients", "empty; list the client counts to run, e.g. [10, 50, 100]")
	case len(s.Clients) > MaxSweepClients:
		c.errf("sweep.clients", "%d client counts; at most %d (each is a step of the run)", len(s.Clients), MaxSweepClients)
		s = &Sweep{Trials: s.Trials, MaxTrials: s.MaxTrials} // their own checks would only repeat this
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
	c.between("sweep.trials", s.Trials, 1, MaxTrials)
	if s.Trials >= 1 && s.Trials <= MaxTrials && (s.MaxTrials < s.Trials || s.MaxTrials > MaxTrials) {
		c.errf("sweep.max_trials", "must be between sweep.trials (%d) and %d, got %d", s.Trials, MaxTrials, s.MaxTrials)
	}
}
