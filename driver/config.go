package driver

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Defaults used for the zero values of Config fields.
const (
	DefaultClients        = 10
	DefaultDuration       = 10 * time.Second
	DefaultTimeout        = 2 * time.Second
	DefaultPipeline       = 1
	DefaultCountTimeLimit = 10 * time.Minute // time bound of a run that ends by request count
	MaxDuration           = time.Hour        // longest measured period accepted
	MaxPipeline           = 1024
	MaxClients            = 1 << 20
)

// Config describes one load run. The zero value of each field means its
// default; only Targets is required.
type Config struct {
	// Targets are http:// URLs. Clients are spread over them round-robin,
	// which spreads the 4-tuple over several ports or addresses.
	Targets []string

	// Clients is the number of concurrent connections over all shards.
	Clients int

	// Duration is the measured period, after Warmup. When RequestsPerClient
	// is set it is the time limit of the run instead (default
	// DefaultCountTimeLimit): every run ends by time and by count.
	Duration time.Duration

	// RequestsPerClient ends each client after this many measured requests
	// (attempts, failed ones included). 0: the run ends by Duration.
	RequestsPerClient int

	// Rate is the open-loop rate in requests per second over all clients
	// (this shard sends its share). 0 runs a closed loop. Pacer overrides it.
	Rate float64

	// Pacer, when set, paces every connection (see ConstantRate).
	Pacer Pacer

	// Pipeline is the number of requests in flight per connection.
	Pipeline int

	// DisableKeepAlive sends one request per connection with
	// "Connection: close" and makes the client the active closer: it shuts
	// down its sending side right after the request (the socket is corked,
	// so the request and the FIN leave in one segment), reads the answer to
	// its end and closes, so TIME_WAIT lands on the client side even when
	// the server closes right after answering.
	DisableKeepAlive bool

	// Ramp staggers connection starts evenly over this period.
	Ramp time.Duration

	// Warmup runs the load this long before the measured period; its
	// numbers are discarded (only counted in Summary.WarmupRequests) and
	// keep-alive connections stay open into the measured period.
	Warmup time.Duration

	// Timeout bounds each request from its send to the end of its answer.
	Timeout time.Duration

	// ConnectTimeout bounds each connect (default: Timeout).
	ConnectTimeout time.Duration

	// AllowRemote permits targets that are neither loopback nor reachable
	// only inside a network namespace the lab created.
	AllowRemote bool

	// Shard selects the slice of the clients this process runs.
	Shard Shard

	// Loops is the number of event loops (default: one per CPU in the
	// process's affinity mask).
	Loops int

	// NetnsFD, when not 0, is a file descriptor of a network namespace; the
	// event loop threads join it, so every socket lives there. The caller
	// keeps it open for the run.
	NetnsFD int

	// Progress, when set, receives one status line per second.
	Progress io.Writer
}

// Shard is the slice Index of Count equal slices of the clients (Index
// counts from 0). The zero value means the whole run.
type Shard struct {
	Index, Count int
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

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("driver: invalid config")

func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
}

// withDefaults validates c and returns it with defaults filled in.
func (c Config) withDefaults() (Config, error) {
	if len(c.Targets) == 0 {
		return c, configErr("no target URL")
	}
	if c.Clients == 0 {
		c.Clients = DefaultClients
	}
	if c.Clients < 0 || c.Clients > MaxClients {
		return c, configErr("clients %d out of range 1..%d", c.Clients, MaxClients)
	}
	if c.RequestsPerClient < 0 {
		return c, configErr("requests per client %d is negative", c.RequestsPerClient)
	}
	if c.Duration < 0 || c.Duration > MaxDuration {
		return c, configErr("duration %v out of range (0, %v]", c.Duration, MaxDuration)
	}
	if c.Duration == 0 {
		c.Duration = DefaultDuration
		if c.RequestsPerClient > 0 {
			c.Duration = DefaultCountTimeLimit
		}
	}
	if c.Rate < 0 {
		return c, configErr("rate %v is negative", c.Rate)
	}
	if c.Pipeline == 0 {
		c.Pipeline = DefaultPipeline
	}
	if c.Pipeline < 1 || c.Pipeline > MaxPipeline {
		return c, configErr("pipeline %d out of range 1..%d", c.Pipeline, MaxPipeline)
	}
	if c.DisableKeepAlive && c.Pipeline > 1 {
		return c, configErr("pipelining needs keep-alive (one request per connection without it)")
	}
	if c.Ramp < 0 || c.Warmup < 0 {
		return c, configErr("ramp and warmup must not be negative")
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = c.Timeout
	}
	if c.Timeout < time.Millisecond || c.ConnectTimeout < time.Millisecond {
		return c, configErr("timeouts must be at least 1ms")
	}
	if c.Shard.Count == 0 {
		c.Shard = Shard{Index: 0, Count: 1}
	}
	if c.Shard.Count < 1 || c.Shard.Index < 0 || c.Shard.Index >= c.Shard.Count {
		return c, configErr("shard %d/%d: want 0 <= i < N", c.Shard.Index, c.Shard.Count)
	}
	if lo, hi := c.Shard.clients(c.Clients); hi == lo {
		return c, configErr("shard %v of %d clients is empty", c.Shard, c.Clients)
	}
	if c.Loops < 0 {
		return c, configErr("loops %d is negative", c.Loops)
	}
	return c, nil
}
