//go:build linux

package driver

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/scalelab/scalelab/internal/race"
	"github.com/scalelab/scalelab/servers"
	"github.com/scalelab/scalelab/servers/nethttp"
)

// startNetHTTPH2C starts the lab's net/http variant serving h2c.
func startNetHTTPH2C(t *testing.T, maxStreams int) (string, *servers.Stats) {
	t.Helper()
	cfg := servers.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.H2C = true
	cfg.MaxStreams = maxStreams
	st := servers.NewStats()
	srv, err := nethttp.New(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return "http://" + srv.Addrs()[0], st
}

// runTimed runs cfg and checks that the run ended within its time bound
// (warmup, duration and a timeout's grace).
func runTimed(t *testing.T, cfg Config) *Summary {
	t.Helper()
	start := time.Now()
	s := run(t, cfg)
	bound := cfg.Warmup + cfg.Duration + 5*time.Second
	if cfg.RequestsPerClient > 0 {
		bound = DefaultCountTimeLimit
	}
	if el := time.Since(start); el > bound {
		t.Errorf("the run took %v, beyond its bound %v", el, bound)
	}
	if s.H2 == nil {
		t.Fatal("an h2c run without the h2 part of the summary")
	}
	return s
}

// onlyClass fails unless every failed request is of class cl.
func onlyClass(t *testing.T, s *Summary, cl string) {
	t.Helper()
	if s.Errors[cl] == 0 || s.Failed != s.Errors[cl] {
		t.Errorf("want only %s errors, got %v (by stage %v)", cl, s.Errors, s.ErrorsByStage)
	}
}

// TestH2CNetHTTP drives the lab's net/http variant over h2c: every request
// it counts the server counts as a stream, on as many connections as asked.
func TestH2CNetHTTP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		conns   int
		streams int
		method  string
		body    []byte
	}{
		{name: "GET one stream", conns: 2, streams: 1},
		{name: "GET many streams", conns: 2, streams: 64},
		{name: "POST with a body", conns: 2, streams: 16, method: "POST", body: bytes.Repeat([]byte("b"), 3000)},
		{name: "POST beyond the initial window", conns: 1, streams: 8, method: "POST", body: bytes.Repeat([]byte("w"), 100_000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url, st := startNetHTTPH2C(t, 0)
			cfg := Config{Targets: []string{url + "/"}, H2C: true, Clients: tt.conns, Streams: tt.streams,
				RequestsPerClient: 200, Method: tt.method, Body: string(tt.body)}
			s := runTimed(t, cfg)
			want := uint64(tt.conns * 200)
			if s.OK != want || s.Failed != 0 || s.EndedBy != "requests" {
				t.Fatalf("ok %d failed %d ended by %s, want %d ok (errors %v)", s.OK, s.Failed, s.EndedBy, want, s.Errors)
			}
			snap := st.Snapshot()
			if snap.StreamsOpened != want || snap.Accepted != uint64(tt.conns) {
				t.Errorf("server saw %d streams on %d connections, want %d on %d", snap.StreamsOpened, snap.Accepted, want, tt.conns)
			}
			h := s.H2
			if h.Streams != tt.streams || h.Concurrency != tt.conns*tt.streams || h.StreamsOpened != want {
				t.Errorf("h2 streams %d concurrency %d opened %d", h.Streams, h.Concurrency, h.StreamsOpened)
			}
			if h.ServerMaxStreams != 250 || h.StreamsInFlightMax != tt.streams {
				t.Errorf("server max %d, in flight max %d with %d streams", h.ServerMaxStreams, h.StreamsInFlightMax, tt.streams)
			}
			if len(h.RSTStream) != 0 || h.GoAway != 0 || h.StreamWaited != 0 {
				t.Errorf("rst %v goaway %d waited %d on a clean run", h.RSTStream, h.GoAway, h.StreamWaited)
			}
			// Every answer is at least a HEADERS frame (9 bytes of header)
			// and every request too, its body beside.
			if s.BytesRead < 9*want || s.BytesWritten < (9+uint64(len(tt.body)))*want {
				t.Errorf("%d bytes read, %d written for %d requests", s.BytesRead, s.BytesWritten, want)
			}
			if tt.name == "POST beyond the initial window" && h.FlowControlBlockedMS <= 0 {
				t.Errorf("100 kB bodies on a 64 KiB window never waited for WINDOW_UPDATE")
			}
		})
	}
}

// TestH2CServerStreamLimit: net/http announces 10 streams; the driver,
// asked for 30 per connection, sends its first 30 before it has read that
// (the limit is assumed to be 100 until then). net/http refuses the 20
// beyond the limit with REFUSED_STREAM, as its SETTINGS are not yet
// acknowledged (the race); from then on the driver keeps 10 open and the
// other requests wait at the client for a slot. Each answer takes 100 ms,
// so the first 10 streams are still open when the other 20 arrive, even
// on a busy machine.
func TestH2CServerStreamLimit(t *testing.T) {
	race.Skip(t)
	t.Parallel()
	url, st := startNetHTTPH2C(t, 10)
	s := runTimed(t, Config{Targets: []string{url + "/sleep?ms=100"}, H2C: true, Clients: 2, Streams: 30,
		Duration: time.Second, Timeout: 2 * time.Second})
	onlyClass(t, s, ClassH2RefusedStream)
	h := s.H2
	if s.Errors[ClassH2RefusedStream] != 40 || h.RSTStream["REFUSED_STREAM"] != 40 {
		t.Errorf("refused %d (RST_STREAM %v), want 20 per connection", s.Errors[ClassH2RefusedStream], h.RSTStream)
	}
	if got := st.Snapshot().StreamsRefused; got != 40 {
		t.Errorf("the server counted %d refused streams, want 40", got)
	}
	if h.ServerMaxStreams != 10 || h.StreamsLimit != 10 || h.StreamsInFlightMax != 30 {
		t.Errorf("server max %d limit %d in flight max %d, want 10 10 30 (the first burst)", h.ServerMaxStreams, h.StreamsLimit, h.StreamsInFlightMax)
	}
	if h.StreamWaited == 0 || h.StreamWaitMS.P50 < 100 {
		t.Errorf("%d requests waited for a slot, p50 %.3f ms; want 20 of 30 users waiting about two answers' time", h.StreamWaited, h.StreamWaitMS.P50)
	}
	// about 10, the server's limit; the first burst of 30 counts until
	// its resets arrive, which takes longer on a busy machine
	if h.StreamsInFlightMean < 8 || h.StreamsInFlightMean > 14 {
		t.Errorf("mean streams in flight %.2f, want about 10 (the server's limit)", h.StreamsInFlightMean)
	}
	if s.OK == 0 || s.LatencyMS.P50 < 200 {
		t.Errorf("ok %d p50 %.1f ms: latency must include the wait for a slot (30 users, 10 slots, 100 ms)", s.OK, s.LatencyMS.P50)
	}
}

// TestH2CMisbehavingServers: servers built on the Framer that reset,
// refuse, go away or starve the driver of window. Each failure has its
// class, and each run ends on time.
func TestH2CMisbehavingServers(t *testing.T) {
	t.Parallel()
	body := bytes.Repeat([]byte("x"), 16384)
	tests := []struct {
		name  string
		b     h2Behaviour
		cfg   Config
		check func(t *testing.T, s *Summary, srv *h2TestServer)
	}{
		{name: "refuses beyond its limit", b: h2Behaviour{maxStreams: 2, enforce: 2, resetCode: http2.ErrCodeRefusedStream, delay: 100 * time.Millisecond},
			cfg: Config{Clients: 1, Streams: 8},
			check: func(t *testing.T, s *Summary, srv *h2TestServer) {
				// the first burst of 8 before the driver read the limit of 2
				onlyClass(t, s, ClassH2RefusedStream)
				if s.Errors[ClassH2RefusedStream] != 6 || s.H2.RSTStream["REFUSED_STREAM"] != 6 || s.OK == 0 {
					t.Errorf("refused %d ok %d, want 6 refused then only ok", s.Errors[ClassH2RefusedStream], s.OK)
				}
				if s.ErrorsByStage[StageRead.String()][ClassH2RefusedStream] != 6 {
					t.Errorf("refused streams by stage %v, want at read", s.ErrorsByStage)
				}
			}},
		{name: "resets beyond an unannounced limit", b: h2Behaviour{maxStreams: 100, enforce: 2, resetCode: http2.ErrCodeProtocol, delay: 10 * time.Millisecond},
			cfg: Config{Clients: 1, Streams: 8},
			check: func(t *testing.T, s *Summary, srv *h2TestServer) {
				onlyClass(t, s, ClassH2Protocol)
				if s.OK == 0 || s.H2.RSTStream["PROTOCOL_ERROR"] != s.Errors[ClassH2Protocol] {
					t.Errorf("ok %d, RST_STREAM %v, errors %v", s.OK, s.H2.RSTStream, s.Errors)
				}
			}},
		{name: "graceful GOAWAY", b: h2Behaviour{goawayAfter: 50, goawayCode: http2.ErrCodeNo},
			cfg: Config{Clients: 2, Streams: 8},
			check: func(t *testing.T, s *Summary, srv *h2TestServer) {
				if s.Failed != 0 || s.OK == 0 {
					t.Errorf("ok %d failed %d (%v): a graceful GOAWAY loses nothing", s.OK, s.Failed, s.Errors)
				}
				if s.H2.GoAway == 0 || s.H2.GoAwayCodes["NO_ERROR"] != s.H2.GoAway || s.H2.Retried == 0 {
					t.Errorf("goaway %d (%v) retried %d", s.H2.GoAway, s.H2.GoAwayCodes, s.H2.Retried)
				}
				// every connection but each client's last is ended by one GOAWAY
				if s.ConnectsOK < s.H2.GoAway || s.ConnectsOK > s.H2.GoAway+2 {
					t.Errorf("%d connects for %d GOAWAYs and 2 clients: each GOAWAY needs a new connection", s.ConnectsOK, s.H2.GoAway)
				}
				if served := uint64(srv.answered.Load()); served < s.OK {
					t.Errorf("server answered %d, driver counted %d ok", served, s.OK)
				}
			}},
		{name: "GOAWAY with an error", b: h2Behaviour{goawayAfter: 20, goawayCode: http2.ErrCodeEnhanceYourCalm},
			cfg: Config{Clients: 1, Streams: 8},
			check: func(t *testing.T, s *Summary, srv *h2TestServer) {
				onlyClass(t, s, ClassH2GoAway)
				if s.H2.GoAwayCodes["ENHANCE_YOUR_CALM"] == 0 || s.H2.Retried != 0 || s.OK == 0 {
					t.Errorf("goaway %v retried %d ok %d", s.H2.GoAwayCodes, s.H2.Retried, s.OK)
				}
			}},
		{name: "never sends WINDOW_UPDATE", b: h2Behaviour{noWindow: true},
			cfg: Config{Clients: 1, Streams: 4, Method: "PUT", Body: string(body), Timeout: 300 * time.Millisecond},
			check: func(t *testing.T, s *Summary, srv *h2TestServer) {
				// 65,535 bytes of connection window carry three 16 KiB
				// bodies; the rest wait for window until they time out.
				onlyClass(t, s, ClassH2FlowControl)
				if s.ErrorsByStage[StageWrite.String()][ClassH2FlowControl] != s.Errors[ClassH2FlowControl] {
					t.Errorf("flow control by stage %v, want at write", s.ErrorsByStage)
				}
				if s.OK == 0 || s.H2.FlowControlBlockedMS < 250 {
					t.Errorf("ok %d, blocked %.1f ms: bodies should have waited a timeout's length", s.OK, s.H2.FlowControlBlockedMS)
				}
				if srv.bodies.Load()%int64(len(body)) == 0 {
					t.Errorf("the server received %d body bytes: the window should have cut a body short", srv.bodies.Load())
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startH2Server(t, tt.b)
			cfg := tt.cfg
			cfg.Targets = []string{srv.URL + "/"}
			cfg.H2C = true
			cfg.Duration = 700 * time.Millisecond
			cfg.Loops = 1
			tt.check(t, runTimed(t, cfg), srv)
		})
	}
}

// TestH2CAgainstHTTP1: an HTTP/1.1-only server answers the preface with a
// 400 and closes; the driver classes that as an HTTP/2 protocol error.
func TestH2CAgainstHTTP1(t *testing.T) {
	t.Parallel()
	s := startServer(t, labServer)
	sum := runTimed(t, Config{Targets: []string{s.URL + "/"}, H2C: true, Clients: 1, Streams: 4, Duration: 300 * time.Millisecond, Loops: 1})
	if sum.OK != 0 || sum.Failed == 0 {
		t.Fatalf("ok %d failed %d", sum.OK, sum.Failed)
	}
	for cl, n := range sum.Errors {
		if n > 0 && cl != ClassH2Protocol && cl != ClassEOF && cl != ClassReset {
			t.Errorf("class %s (%d): want h2_protocol_error (or the server's close)", cl, n)
		}
	}
	if sum.Errors[ClassH2Protocol] == 0 {
		t.Errorf("errors %v: want h2_protocol_error", sum.Errors)
	}
}

// TestH2COpenLoop: an open loop over h2c keeps its rate and corrects
// coordinated omission: a server that holds every stream for 50 ms with
// room for 2 streams per connection cannot keep up with the rate asked,
// and the waits for a stream slot show in the latency from the due time.
func TestH2COpenLoop(t *testing.T) {
	race.Skip(t)
	t.Parallel()
	srv := startH2Server(t, h2Behaviour{maxStreams: 2, enforce: 2, resetCode: http2.ErrCodeProtocol, delay: 50 * time.Millisecond})
	s := runTimed(t, Config{Targets: []string{srv.URL + "/"}, H2C: true, Clients: 2, Streams: 2, Rate: 200,
		Duration: time.Second, Timeout: 3 * time.Second, Loops: 1})
	// 2 connections × 2 streams / 50 ms = 80 answers/s at most, 200 due.
	if s.Mode != "open" || s.OK == 0 || s.OK > 100 {
		t.Fatalf("mode %s ok %d: want an open loop held to about 80/s", s.Mode, s.OK)
	}
	if s.H2.StreamWaited == 0 || s.LatencyMS.P99 < 200 {
		t.Errorf("waited %d, p99 %.1f ms: the requests due while the slots were taken must carry their wait", s.H2.StreamWaited, s.LatencyMS.P99)
	}
}

// TestH2CShardMerge: shards of an h2c run merge into the counts of one run.
func TestH2CShardMerge(t *testing.T) {
	t.Parallel()
	url, _ := startNetHTTPH2C(t, 0)
	cfg := Config{Targets: []string{url + "/"}, H2C: true, Clients: 4, Streams: 4, RequestsPerClient: 50}
	var parts []*Summary
	for i := range 2 {
		c := cfg
		c.Shard = Shard{Index: i, Count: 2}
		parts = append(parts, runTimed(t, c))
	}
	m, err := Merge(parts...)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, m)
	if m.OK != 200 || m.H2 == nil || m.H2.StreamsOpened != 200 || m.H2.Concurrency != 16 || m.H2.Streams != 4 {
		t.Fatalf("merged ok %d h2 %+v", m.OK, m.H2)
	}
	if _, err := Merge(parts[0], run(t, Config{Targets: []string{url + "/"}, Clients: 4, RequestsPerClient: 5, Shard: Shard{Index: 1, Count: 2}})); err == nil {
		t.Error("an h2c and an HTTP/1.1 summary merged")
	}
	var b strings.Builder
	if err := WriteText(&b, m); err != nil || !strings.Contains(b.String(), "h2c: 4 connections × 4 streams") {
		t.Errorf("text %q (%v)", b.String(), err)
	}
}

func TestH2CConfig(t *testing.T) {
	tests := []struct {
		cfg   Config
		field string
	}{
		{Config{Targets: []string{"http://127.0.0.1:1/"}, Streams: 4}, "streams"},
		{Config{Targets: []string{"http://127.0.0.1:1/"}, H2C: true, Streams: -1}, "streams"},
		{Config{Targets: []string{"http://127.0.0.1:1/"}, H2C: true, Streams: MaxStreams + 1}, "streams"},
		{Config{Targets: []string{"http://127.0.0.1:1/"}, H2C: true, Clients: 100_000, Streams: 100}, "streams"},
		{Config{Targets: []string{"http://127.0.0.1:1/"}, H2C: true, Pipeline: 4}, "pipeline"},
		{Config{Targets: []string{"http://127.0.0.1:1/"}, H2C: true, DisableKeepAlive: true}, "h2c"},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if !slices.Contains(configFields(err), tt.field) {
			t.Errorf("%+v: %v, want an error on %s", tt.cfg, err, tt.field)
		}
	}
	ok := Config{Targets: []string{"http://127.0.0.1:1/"}, H2C: true, Clients: 100, Streams: 100}
	if err := ok.Validate(); err != nil {
		t.Errorf("100 × 100: %v", err)
	}
}
