package driver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Defaults used for the zero values of Config fields, and the bounds
// Validate enforces.
const (
	DefaultClients        = 10
	DefaultDuration       = 10 * time.Second
	DefaultTimeout        = 2 * time.Second
	DefaultPipeline       = 1
	DefaultCountTimeLimit = 10 * time.Minute // time bound of a run that ends by request count
	MaxDuration           = time.Hour        // longest duration, warmup, ramp or timeout accepted
	MaxPipeline           = 1024
	MaxClients            = 1 << 20
	MinTimeout            = time.Millisecond // shortest timeout or connect timeout accepted
	MaxNamespaceMark      = 200              // longest NamespaceMark in bytes
	DefaultStreams        = 1                // streams per connection with H2C
	MaxStreams            = 1 << 16          // most streams per connection with H2C
	MaxConcurrency        = MaxClients       // most requests in flight: clients × streams (or × pipeline)
	// MaxStartWait is how far ahead StartAt may lie: a run waits for it.
	MaxStartWait = 10 * time.Minute
	// StartLate is how far in the past StartAt may lie when the run
	// begins: a shard that late still starts (its first second is short),
	// one later is refused, since its timeline would not line up.
	StartLate = time.Second
)

// Config describes one load run. The zero value of each field means its
// default; only Targets is required.
//
// Its JSON form (snake_case keys, durations in nanoseconds) is how a parent
// process hands a run to `scalelab load --config`; DecodeConfig reads it
// strictly.
type Config struct {
	// Targets are http:// URLs. Clients are spread over them round-robin,
	// which spreads the 4-tuple over several ports or addresses.
	Targets []string `json:"targets"`

	// Clients is the number of concurrent connections over all shards.
	Clients int `json:"clients"`

	// Duration is the measured period, after Warmup. When RequestsPerClient
	// is set it is the time limit of the run instead (default
	// DefaultCountTimeLimit): every run ends by time and by count.
	Duration time.Duration `json:"duration"`

	// RequestsPerClient ends each client after this many measured requests
	// (attempts, failed ones included). 0: the run ends by Duration.
	RequestsPerClient int `json:"requests_per_client"`

	// Rate is the open-loop rate in requests per second over all clients
	// (this shard sends its share). 0 runs a closed loop. Pacer overrides it.
	Rate float64 `json:"rate"`

	// Pacer, when set, paces every connection (see ConstantRate).
	Pacer Pacer `json:"-"`

	// Pipeline is the number of requests in flight per connection.
	Pipeline int `json:"pipeline"`

	// DisableKeepAlive sends one request per connection with
	// "Connection: close" and makes the client the active closer: it shuts
	// down its sending side right after the request (the socket is corked,
	// so the request and the FIN leave in one segment), reads the answer to
	// its end and closes, so TIME_WAIT lands on the client side even when
	// the server closes right after answering.
	DisableKeepAlive bool `json:"disable_keepalive"`

	// Ramp staggers connection starts evenly over this period.
	Ramp time.Duration `json:"ramp"`

	// Warmup runs the load this long before the measured period; its
	// numbers are discarded (only counted in Summary.WarmupRequests) and
	// keep-alive connections stay open into the measured period.
	Warmup time.Duration `json:"warmup"`

	// Timeout bounds each request from its send to the end of its answer.
	Timeout time.Duration `json:"timeout"`

	// ConnectTimeout bounds each connect (default: Timeout).
	ConnectTimeout time.Duration `json:"connect_timeout"`

	// AllowRemote permits any target, and host names (resolved when the run
	// starts). Without it a run is allowed only when every target is
	// loopback, or when nothing can leave the network namespace the sockets
	// live in (no interface but loopback is up), or when NamespaceMark
	// matches the mark the lab set on that namespace (see MarkNamespace).
	AllowRemote bool `json:"allow_remote"`

	// Shard selects the slice of the clients this process runs.
	Shard Shard `json:"shard"`

	// Loops is the number of event loops (default: one per CPU in the
	// process's affinity mask).
	Loops int `json:"loops"`

	// NamespaceMark is the token the lab's runner marked the run's network
	// namespace with (MarkNamespace). When it matches, targets outside
	// loopback are allowed in that namespace. Empty: no mark is trusted.
	NamespaceMark string `json:"namespace_mark"`

	// NetnsFD, when not 0, is a file descriptor of a network namespace; the
	// event loop threads join it, so every socket lives there. The caller
	// keeps it open for the run.
	NetnsFD int `json:"-"`

	// Progress, when set, receives one status line per second.
	Progress io.Writer `json:"-"`

	// Method is the request method (default GET). HEAD is understood (its
	// answers carry no body); CONNECT is refused.
	Method string `json:"method,omitempty"`

	// Headers are extra request header lines, "Name: value". A Host or
	// User-Agent given here replaces the driver's own; Content-Length,
	// Transfer-Encoding and Connection are the driver's (from Body and
	// DisableKeepAlive) and are refused.
	Headers []string `json:"headers,omitempty"`

	// Body is sent with every request, with its Content-Length (also sent,
	// as 0, for POST, PUT and PATCH without a body). The requests are built
	// once per run, so a body costs nothing per request but its bytes.
	Body string `json:"body,omitempty"`

	// SecondHistograms keeps each timeline second's latency histogram in
	// the summary (Second.Histogram), for an HdrHistogram interval log
	// (WriteIntervalLog). Shards keep them anyway: merging needs them.
	SecondHistograms bool `json:"second_histograms,omitempty"`

	// RunID names the run in its summary, so that the shards of one run
	// can be told from those of another (Merge refuses to mix them). Empty:
	// none (the CLI makes a random one).
	RunID string `json:"run_id,omitempty"`

	// H2C speaks HTTP/2 over cleartext TCP with prior knowledge (RFC 9113
	// §3.3: the connection preface first, no Upgrade). Clients are then
	// connections, each carrying up to Streams requests at once.
	H2C bool `json:"h2c,omitempty"`

	// Streams is the number of requests each connection keeps in flight
	// with H2C, one per stream (default 1; h2load's -m). The server's
	// SETTINGS_MAX_CONCURRENT_STREAMS caps it: the requests beyond wait at
	// the client for a free stream slot (Summary.H2 counts them).
	Streams int `json:"streams,omitempty"`
	// StartAt, when set, is the wall-clock instant the run begins its
	// warmup, and the origin of its timeline: shards given one StartAt
	// (processes, pods, machines started seconds apart) begin together,
	// so their per-second timelines line up when merged. Run waits for it;
	// Validate refuses one more than MaxStartWait ahead or more than
	// StartLate past.
	StartAt time.Time `json:"start_at,omitzero"`
}

// Shard is the slice Index of Count equal slices of the clients (Index
// counts from 0). The zero value means the whole run.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// ShardIndexEnv is the environment variable a Kubernetes Indexed Job
// sets to each pod's completion index (0 to completions-1): ShardFromEnv
// reads a shard's index from it.
const ShardIndexEnv = "JOB_COMPLETION_INDEX"

// ShardFromEnv parses "auto/N": shard i of N with i from the environment
// variable ShardIndexEnv, as getenv (os.Getenv) returns it. Any other
// form is parsed by ParseShard.
func ShardFromEnv(s string, getenv func(string) string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	if !ok || a != "auto" {
		return ParseShard(s)
	}
	n, err := strconv.Atoi(b)
	if err != nil || n < 1 {
		return Shard{}, fmt.Errorf("shard %q: want auto/N with N >= 1", s)
	}
	v := getenv(ShardIndexEnv)
	if v == "" {
		return Shard{}, fmt.Errorf("shard %q: %s is not set (a Kubernetes Indexed Job sets it in each pod; elsewhere give i/N)", s, ShardIndexEnv)
	}
	i, err := strconv.Atoi(v)
	if err != nil || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("shard %q: %s=%q, want an index 0 <= i < %d", s, ShardIndexEnv, v, n)
	}
	return Shard{Index: i, Count: n}, nil
}

// checkStart checks a StartAt against the clock now: zero (none), at most
// MaxStartWait ahead and at most StartLate past.
func checkStart(at, now time.Time) error {
	switch {
	case at.IsZero():
		return nil
	case at.Sub(now) > MaxStartWait:
		return fmt.Errorf("%s is %v ahead, more than the %v a run may wait", at.Format(time.RFC3339), at.Sub(now).Round(time.Second), MaxStartWait)
	case now.Sub(at) > StartLate:
		return fmt.Errorf("%s is %v in the past: a shard may start at most %v late, or its timeline would not line up with the others' (choose a later time)",
			at.Format(time.RFC3339Nano), now.Sub(at).Round(time.Millisecond), StartLate)
	}
	return nil
}

// ParseStartAt parses a start time: RFC 3339 (2026-12-01T10:00:00Z, with
// fractions of a second if wanted) or unix seconds (1764583200, or with a
// fraction: 1764583200.5).
func ParseStartAt(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	secs, frac, _ := strings.Cut(s, ".")
	n, err := strconv.ParseInt(secs, 10, 64)
	if err != nil || n <= 0 || n > 1<<40 || strings.HasPrefix(secs, "+") {
		return time.Time{}, fmt.Errorf("start time %q: want RFC 3339 (2026-12-01T10:00:00Z) or unix seconds", s)
	}
	var ns int64
	if frac != "" {
		if len(frac) > 9 || strings.TrimLeft(frac, "0123456789") != "" {
			return time.Time{}, fmt.Errorf("start time %q: want RFC 3339 (2026-12-01T10:00:00Z) or unix seconds", s)
		}
		ns, _ = strconv.ParseInt((frac + "000000000")[:9], 10, 64)
	}
	return time.Unix(n, ns), nil
}

// ParseShard parses "i/N".
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard %q: want i/N", s)
	}
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("shard %q: want i/N with 0 <= i < N", s)
	}
	return Shard{Index: i, Count: n}, nil
}

// String formats s as "i/N".
func (s Shard) String() string {
	if s.Count == 0 {
		return "0/1"
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// clients returns the half-open range of global client indices of the shard.
func (s Shard) clients(total int) (lo, hi int) {
	if s.Count <= 1 {
		return 0, total
	}
	return total * s.Index / s.Count, total * (s.Index + 1) / s.Count
}

// ErrConfig is matched (errors.Is) by every configuration error.
var ErrConfig = errors.New("driver: invalid config")

// ConfigError is one broken rule of a Config. Field is the JSON name of the
// field ("connect_timeout"), so that a command line can name its flag.
type ConfigError struct {
	Field string
	Msg   string
}

// Error returns "driver: invalid config: FIELD: MSG".
func (e *ConfigError) Error() string {
	return ErrConfig.Error() + ": " + e.Field + ": " + e.Msg
}

// Is reports whether target is ErrConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }

// Validate checks every rule of c; zero values stand for their defaults.
// The error joins (errors.Join) one *ConfigError per broken rule.
// It does not resolve host names or look at the network.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &ConfigError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	c.validateTargets(bad)
	if c.Clients < 0 || c.Clients > MaxClients {
		bad("clients", "%d is out of range 1..%d (0: default %d)", c.Clients, MaxClients, DefaultClients)
	}
	if c.RequestsPerClient < 0 {
		bad("requests_per_client", "must not be negative, got %d", c.RequestsPerClient)
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"duration", c.Duration}, {"ramp", c.Ramp}, {"warmup", c.Warmup}, {"timeout", c.Timeout}, {"connect_timeout", c.ConnectTimeout}} {
		switch {
		case d.v < 0:
			bad(d.field, "must not be negative, got %v", d.v)
		case d.v > MaxDuration:
			bad(d.field, "%v is longer than the %v allowed", d.v, MaxDuration)
		case d.v > 0 && d.v < MinTimeout && (d.field == "timeout" || d.field == "connect_timeout"):
			bad(d.field, "must be at least %v, got %v", MinTimeout, d.v)
		}
	}
	switch {
	case math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0):
		bad("rate", "must be a finite number of requests per second, got %v", c.Rate)
	case c.Rate < 0:
		bad("rate", "must not be negative, got %v (0 runs a closed loop)", c.Rate)
	}
	switch {
	case c.Pipeline < 0 || c.Pipeline > MaxPipeline:
		bad("pipeline", "%d is out of range 1..%d", c.Pipeline, MaxPipeline)
	case c.DisableKeepAlive && c.Pipeline > 1:
		bad("pipeline", "pipelining needs keep-alive (without it each connection carries one request)")
	}
	c.validateShard(bad)
	c.validateH2(bad)
	if err := checkStart(c.StartAt, time.Now()); err != nil {
		bad("start_at", "%v", err)
	}
	if c.Loops < 0 {
		bad("loops", "must not be negative, got %d", c.Loops)
	}
	if err := checkMark(c.NamespaceMark); err != nil {
		bad("namespace_mark", "%v", err)
	}
	c.validateRequest(bad)
	return errors.Join(errs...)
}

func (c Config) validateTargets(bad func(field, format string, args ...any)) {
	if len(c.Targets) == 0 {
		bad("targets", "no target URL")
	}
	for _, raw := range c.Targets {
		t, host, err := parseURL(raw)
		if err == nil && !c.AllowRemote {
			_, err = t.literalAddr(host)
		}
		if err != nil {
			bad("targets", "%v", err)
		}
	}
}

func (c Config) validateShard(bad func(field, format string, args ...any)) {
	s := c.Shard
	if s == (Shard{}) {
		return
	}
	if s.Count < 1 || s.Count > MaxClients || s.Index < 0 || s.Index >= s.Count {
		bad("shard", "%d/%d: want index 0 <= i < count <= %d", s.Index, s.Count, MaxClients)
		return
	}
	clients := c.Clients
	if clients == 0 {
		clients = DefaultClients
	}
	if clients > 0 && clients <= MaxClients {
		if lo, hi := s.clients(clients); hi == lo {
			bad("shard", "shard %v of %d clients is empty", s, clients)
		}
	}
}

// validateH2 checks the HTTP/2 fields: streams belong to h2c, and h2c
// has no use for HTTP/1.1's pipelining or for connections that close.
func (c Config) validateH2(bad func(field, format string, args ...any)) {
	switch {
	case c.Streams < 0 || c.Streams > MaxStreams:
		bad("streams", "%d is out of range 1..%d (0: default %d)", c.Streams, MaxStreams, DefaultStreams)
	case c.Streams > 1 && !c.H2C:
		bad("streams", "%d streams per connection need h2c (streams are HTTP/2's; HTTP/1.1 has pipeline)", c.Streams)
	case c.H2C && c.Clients > 0 && c.Clients <= MaxClients && c.Clients*max(c.Streams, 1) > MaxConcurrency:
		bad("streams", "%d connections × %d streams is more than the %d requests in flight allowed", c.Clients, c.Streams, MaxConcurrency)
	}
	if !c.H2C {
		return
	}
	if c.Pipeline > 1 {
		bad("pipeline", "pipelining is HTTP/1.1's; with h2c, requests share a connection as streams (set streams)")
	}
	if c.DisableKeepAlive {
		bad("h2c", "an HTTP/2 connection carries many requests; h2c cannot run without keep-alive")
	}
}

// withDefaults validates c and returns it with defaults filled in.
func (c Config) withDefaults() (Config, error) {
	if err := c.Validate(); err != nil {
		return c, err
	}
	if c.Clients == 0 {
		c.Clients = DefaultClients
	}
	if c.Duration == 0 {
		c.Duration = DefaultDuration
		if c.RequestsPerClient > 0 {
			c.Duration = DefaultCountTimeLimit
		}
	}
	if c.Pipeline == 0 {
		c.Pipeline = DefaultPipeline
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = c.Timeout
	}
	if c.Shard.Count == 0 {
		c.Shard = Shard{Index: 0, Count: 1}
	}
	if c.Streams == 0 {
		c.Streams = DefaultStreams
	}
	return c, nil
}

// DecodeConfig reads exactly one JSON Config from r, strictly: unknown
// fields and trailing data are errors, and the result is validated.
func DecodeConfig(r io.Reader) (Config, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("driver: decode config: %w", err)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err != io.EOF {
		return Config{}, fmt.Errorf("driver: decode config: data after the config object")
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// checkMark checks a namespace mark token: printable, without spaces, and
// short enough for the alias it is stored in.
func checkMark(token string) error {
	if len(token) > MaxNamespaceMark {
		return fmt.Errorf("%d bytes, longer than the %d allowed", len(token), MaxNamespaceMark)
	}
	if i := bytes.IndexFunc([]byte(token), func(r rune) bool { return r <= ' ' || r >= 0x7f }); i >= 0 {
		return fmt.Errorf("%q: only printable ASCII without spaces", token)
	}
	return nil
}
