//go:build linux

package driver

import (
	"bytes"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/scalelab/scalelab/internal/race"
)

func run(t *testing.T, cfg Config) *Summary {
	t.Helper()
	s, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, s)
	return s
}

// checkInvariants asserts what must hold for every summary.
func checkInvariants(t *testing.T, s *Summary) {
	t.Helper()
	var errs, tlOK, tlErrs uint64
	for _, n := range s.Errors {
		errs += n
	}
	for _, e := range s.Timeline {
		tlOK += e.RPS
		tlErrs += e.Errors
	}
	var byStage uint64
	for _, m := range s.ErrorsByStage {
		for _, n := range m {
			byStage += n
		}
	}
	switch {
	case s.Requests != s.OK+s.Failed || s.Failed != errs:
		t.Errorf("requests %d != ok %d + failed %d (errors sum %d)", s.Requests, s.OK, s.Failed, errs)
	case byStage != errs:
		t.Errorf("errors_by_step sums to %d, errors to %d", byStage, errs)
	case tlOK != s.OK || tlErrs != s.Failed:
		t.Errorf("timeline sums ok %d errors %d, summary ok %d failed %d", tlOK, tlErrs, s.OK, s.Failed)
	case s.ConnectsOK > s.ConnectsAttempted:
		t.Errorf("connects ok %d > attempted %d", s.ConnectsOK, s.ConnectsAttempted)
	}
	for _, name := range classNames {
		if _, ok := s.Errors[name]; !ok {
			t.Errorf("errors lacks class %s", name)
		}
	}
	h, err := DecodeHistogram(s.Histogram)
	if err != nil {
		t.Fatal(err)
	}
	complete := s.OK + s.Errors[ClassHTTP4xx] + s.Errors[ClassHTTP5xx]
	if uint64(h.TotalCount()) != complete {
		t.Errorf("latency histogram holds %d values, complete responses %d", h.TotalCount(), complete)
	}
	var byCode uint64
	for _, n := range s.StatusCodes {
		byCode += n
	}
	if s.Responses != complete || byCode != complete {
		t.Errorf("responses %d, status codes sum to %d, complete responses %d", s.Responses, byCode, complete)
	}
	if complete > 0 && (s.BytesRead == 0 || s.BytesWritten == 0) {
		t.Errorf("%d responses with %d bytes read and %d written", complete, s.BytesRead, s.BytesWritten)
	}
	checkService(t, s, h)
}

// checkService: an open loop has a service time per latency, each no
// longer than its latency from the intended send (so every percentile is
// no higher); a closed loop has none.
func checkService(t *testing.T, s *Summary, lat *hdrhistogram.Histogram) {
	t.Helper()
	if s.Mode != "open" {
		if s.ServiceMS != nil || s.ServiceHistogram != "" {
			t.Errorf("closed loop with a service time: %+v", s.ServiceMS)
		}
		return
	}
	svc, err := DecodeHistogram(s.ServiceHistogram)
	if err != nil || s.ServiceMS == nil {
		t.Fatalf("open loop without a service time: %v", err)
	}
	if svc.TotalCount() != lat.TotalCount() {
		t.Errorf("service times %d, latencies %d", svc.TotalCount(), lat.TotalCount())
	}
	for _, q := range []float64{50, 90, 99, 100} {
		if a, b := svc.ValueAtQuantile(q), lat.ValueAtQuantile(q); a > b {
			t.Errorf("p%v: service %d µs above latency %d µs", q, a, b)
		}
	}
}

func TestErrorClasses(t *testing.T) {
	t.Parallel()
	lab := startServer(t, labServer)
	tests := []struct {
		name   string
		url    func(t *testing.T) string
		cfg    Config
		class  string
		stage  Stage
		someOK bool
	}{
		{name: "refused", url: closedPort, class: ClassConnectRefused, stage: StageConnect},
		{name: "connect timeout", url: fullBacklog, cfg: Config{ConnectTimeout: 150 * time.Millisecond, Clients: 4},
			class: ClassConnectTimeout, stage: StageConnect},
		{name: "never answers", url: serverURL(neverAnswers), cfg: Config{Timeout: 150 * time.Millisecond},
			class: ClassReadTimeout, stage: StageRead},
		{name: "resets", url: serverURL(resets), class: ClassReset, stage: StageRead},
		{name: "closes early", url: serverURL(closesEarly), class: ClassEOF, stage: StageRead},
		{name: "garbage", url: serverURL(garbage), class: ClassBadResponse, stage: StageParse},
		{name: "404", url: func(*testing.T) string { return lab.URL + "/missing" }, class: ClassHTTP4xx, stage: StageStatus},
		{name: "500", url: func(*testing.T) string { return lab.URL + "/status?code=500" }, class: ClassHTTP5xx, stage: StageStatus},
		{name: "ok", url: func(*testing.T) string { return lab.URL + "/" }, someOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := tt.cfg
			cfg.Targets = []string{tt.url(t)}
			cfg.Duration = 600 * time.Millisecond
			if cfg.Clients == 0 {
				cfg.Clients = 2
			}
			cfg.Loops = 1
			s := run(t, cfg)
			if tt.someOK {
				if s.OK == 0 || s.Failed != 0 {
					t.Fatalf("ok %d failed %d errors %v", s.OK, s.Failed, s.Errors)
				}
				return
			}
			if s.Errors[tt.class] == 0 || s.ErrorsByStage[tt.stage.String()][tt.class] != s.Errors[tt.class] {
				t.Fatalf("want %s at %s; errors %v by stage %v", tt.class, tt.stage, s.Errors, s.ErrorsByStage)
			}
			if s.Failed != s.Errors[tt.class] {
				t.Errorf("other classes too: %v", s.Errors)
			}
			if s.OK != 0 {
				t.Errorf("ok = %d, want 0", s.OK)
			}
		})
	}
}

// serverURL starts a test server with the given behaviour.
func serverURL(b func(*testServer, net.Conn, string, bool) bool) func(t *testing.T) string {
	return func(t *testing.T) string { return startServer(t, b).URL + "/" }
}

func TestLatencySleep20ms(t *testing.T) {
	race.Skip(t)
	t.Parallel()
	s := startServer(t, labServer)
	sum := run(t, Config{Targets: []string{s.URL + "/sleep?ms=20"}, Clients: 4, Duration: time.Second})
	if sum.Failed != 0 || sum.OK < 40 {
		t.Fatalf("ok %d failed %d", sum.OK, sum.Failed)
	}
	if p50 := sum.LatencyMS.P50; p50 < 20 || p50 > 25 {
		t.Errorf("p50 = %.3f ms, want within [20, 25]", p50)
	}
}

// TestStallOpenVsClosed: a server that stalls one connection for a second.
// The open loop charges the stall to every request due during it, so it
// shows in p99; the closed loop sends nothing while it waits, so only the
// one stalled request carries it and p99 hides it.
func TestStallOpenVsClosed(t *testing.T) {
	race.Skip(t)
	t.Parallel()
	loads := []struct {
		name string
		rate float64
	}{{"open", 200}, {"closed", 0}}
	for _, ld := range loads {
		t.Run(ld.name, func(t *testing.T) {
			t.Parallel()
			s := startServer(t, labServer)
			sum := run(t, Config{Targets: []string{s.URL + "/stall"}, Clients: 4, Rate: ld.rate,
				Duration: 3 * time.Second, Timeout: 5 * time.Second})
			if sum.Failed != 0 || sum.LatencyMS.Max < 1000 {
				t.Fatalf("failed %d, max %.1f ms: the stall did not happen", sum.Failed, sum.LatencyMS.Max)
			}
			if ld.rate > 0 {
				if sum.Mode != "open" || sum.LatencyMS.P99 < 500 {
					t.Errorf("open loop p99 = %.1f ms, want the stall (>= 500 ms)", sum.LatencyMS.P99)
				}
				// Never faster than the rate; slower only when the server (or
				// this busy machine) cannot keep up with one request in
				// flight per connection.
				if want := ld.rate * sum.DurationS; float64(sum.Requests) < want*0.3 || float64(sum.Requests) > want*1.02 {
					t.Errorf("open loop sent %d requests, want about %.0f", sum.Requests, want)
				}
			} else if sum.LatencyMS.P99 >= 100 {
				t.Errorf("closed loop p99 = %.1f ms, want it hidden (< 100 ms)", sum.LatencyMS.P99)
			}
		})
	}
}

func TestRequestsPerClientPipelineAndKeepAlive(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cfg      Config
		want     uint64
		connects uint64 // exact, 0: at most clients
	}{
		{name: "keep-alive", cfg: Config{Clients: 3, RequestsPerClient: 40}, want: 120},
		{name: "pipelined", cfg: Config{Clients: 2, RequestsPerClient: 100, Pipeline: 8}, want: 200},
		{name: "no keep-alive", cfg: Config{Clients: 3, RequestsPerClient: 20, DisableKeepAlive: true}, want: 60, connects: 60},
		{name: "several targets", cfg: Config{Clients: 4, RequestsPerClient: 10}, want: 40},
		// 1024 requests of 8 KiB in one write: more than a socket buffer
		// takes (tcp_wmem max 4 MiB), so the rest waits for EPOLLOUT.
		{name: "partial writes", cfg: Config{Clients: 1, RequestsPerClient: 2048, Pipeline: 1024}, want: 2048},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := startServer(t, labServer)
			cfg := tt.cfg
			cfg.Targets = []string{a.URL + "/"}
			if tt.name == "partial writes" {
				cfg.Targets = []string{a.URL + "/?pad=" + strings.Repeat("x", 8192)}
			}
			b := a
			if tt.name == "several targets" {
				b = startServer(t, labServer)
				cfg.Targets = append(cfg.Targets, b.URL+"/")
			}
			s := run(t, cfg)
			if s.OK != tt.want || s.Requests != tt.want || s.EndedBy != "requests" {
				t.Fatalf("ok %d requests %d ended by %s, want %d by requests (errors %v)", s.OK, s.Requests, s.EndedBy, tt.want, s.Errors)
			}
			served := uint64(a.requests.Load())
			if b != a {
				if a.requests.Load() == 0 || b.requests.Load() == 0 {
					t.Errorf("targets served %d and %d: not spread", a.requests.Load(), b.requests.Load())
				}
				served += uint64(b.requests.Load())
			}
			if served != tt.want {
				t.Errorf("servers saw %d requests, driver counted %d", served, tt.want)
			}
			if tt.connects != 0 && s.ConnectsOK != tt.connects {
				t.Errorf("connects ok %d, want %d", s.ConnectsOK, tt.connects)
			}
			if tt.connects == 0 && s.ConnectsOK > uint64(cfg.Clients) {
				t.Errorf("connects ok %d with keep-alive and %d clients", s.ConnectsOK, cfg.Clients)
			}
		})
	}
}

func TestWarmupRampAndProgress(t *testing.T) {
	race.Skip(t)
	t.Parallel()
	s := startServer(t, labServer)
	var progress syncBuffer
	sum := run(t, Config{Targets: []string{s.URL + "/"}, Clients: 4, Warmup: 1200 * time.Millisecond,
		Ramp: 200 * time.Millisecond, Duration: 1500 * time.Millisecond, Progress: &progress})
	if sum.WarmupRequests == 0 || sum.OK == 0 {
		t.Fatalf("warmup %d ok %d", sum.WarmupRequests, sum.OK)
	}
	if len(sum.Timeline) != 2 {
		t.Errorf("timeline has %d seconds for 1.5 s, want 2", len(sum.Timeline))
	}
	if sum.DurationS < 1.4 || sum.DurationS > 1.6 {
		t.Errorf("duration %.3f s, want the measured 1.5 s without warmup", sum.DurationS)
	}
	if sum.Driver.CPUPct <= 0 || sum.Driver.CPUPct > 100*float64(sum.Driver.CPUs) {
		t.Errorf("driver cpu %.1f%% with %d CPUs", sum.Driver.CPUPct, sum.Driver.CPUs)
	}
	for _, e := range sum.Timeline {
		if e.CPUPct <= 0 {
			t.Errorf("second %d: driver cpu %.1f%%", e.T, e.CPUPct)
		}
	}
	// one line a second: warming up at 1 s, the first measured second at 2.2 s
	lines := strings.Split(strings.TrimSpace(progress.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "warming up") || !strings.Contains(lines[1], "req/s") {
		t.Errorf("progress lines: %q", lines)
	}
	// keep-alive connections made during the warmup carry on
	if sum.ConnectsAttempted != 0 {
		t.Errorf("%d connects in the measured period, want 0", sum.ConnectsAttempted)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	s := startServer(t, labServer)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	sum, err := Run(ctx, Config{Targets: []string{s.URL + "/"}, Clients: 2, Duration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if sum.EndedBy != "canceled" || time.Since(start) > 10*time.Second {
		t.Errorf("ended by %s after %v", sum.EndedBy, time.Since(start))
	}
}

func TestShardMergeEqualsSingleRun(t *testing.T) {
	t.Parallel()
	s := startServer(t, labServer)
	refused := closedPort(t)
	for _, target := range []string{s.URL + "/", s.URL + "/status?code=503", refused} {
		t.Run(target, func(t *testing.T) {
			cfg := Config{Targets: []string{target}, Clients: 6, RequestsPerClient: 5}
			single := run(t, cfg)
			var parts []*Summary
			for i := range 3 {
				c := cfg
				c.Shard = Shard{Index: i, Count: 3}
				p := run(t, c)
				if p.Clients != 2 || p.Timeline[0].Histogram == "" {
					t.Fatalf("shard %d ran %d clients, timeline histogram %q", i, p.Clients, p.Timeline[0].Histogram)
				}
				parts = append(parts, p)
			}
			m, err := Merge(parts...)
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, m)
			if m.Requests != single.Requests || m.OK != single.OK || m.Failed != single.Failed || m.Clients != single.Clients {
				t.Errorf("merged requests %d ok %d failed %d clients %d; single %d %d %d %d",
					m.Requests, m.OK, m.Failed, m.Clients, single.Requests, single.OK, single.Failed, single.Clients)
			}
			for k, v := range single.Errors {
				if m.Errors[k] != v {
					t.Errorf("errors[%s]: merged %d, single %d", k, m.Errors[k], v)
				}
			}
			mh, _ := DecodeHistogram(m.Histogram)
			sh, _ := DecodeHistogram(single.Histogram)
			if mh.TotalCount() != sh.TotalCount() {
				t.Errorf("histogram counts: merged %d single %d", mh.TotalCount(), sh.TotalCount())
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestClientsStarved: a server that answers only its first two
// connections and holds the others open in silence, like a pool whose
// workers are all tied to keep-alive connections. The success rate hides
// the starved clients; ClientsStarved counts them.
func TestClientsStarved(t *testing.T) {
	race.Skip(t)
	t.Parallel()
	var mu sync.Mutex
	served := map[net.Conn]bool{}
	done := make(chan struct{})
	s := startServer(t, func(s *testServer, c net.Conn, path string, closing bool) bool {
		mu.Lock()
		ok, seen := served[c]
		if !seen {
			ok = countTrue(served) < 2
			served[c] = ok
		}
		mu.Unlock()
		if !ok {
			<-done // never answer within the run
			return false
		}
		return respond(c, 200, "ok", closing)
	})
	t.Cleanup(func() { close(done) }) // runs before the server's Close
	sum := run(t, Config{Targets: []string{s.URL + "/"}, Clients: 5, Duration: 800 * time.Millisecond, Timeout: 3 * time.Second})
	if sum.ClientsStarved != 3 {
		t.Fatalf("clients starved = %d, want 3 (ok %d, failed %d)", sum.ClientsStarved, sum.OK, sum.Failed)
	}
	if sum.SuccessRate != 1 || sum.OK < 10 {
		t.Fatalf("the two served clients should succeed: ok %d success %.4f", sum.OK, sum.SuccessRate)
	}
}

func countTrue(m map[net.Conn]bool) int {
	n := 0
	for _, v := range m {
		if v {
			n++
		}
	}
	return n
}

// answersTwice sends two complete responses, in one write, to every request.
func answersTwice(s *testServer, c net.Conn, path string, closing bool) bool {
	one := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	_, err := c.Write([]byte(one + one))
	return err == nil
}

// TestUnsolicitedResponses: a server that answers each request twice. The
// second answer is counted apart: not a request, not an error, and the
// connection it came on is closed, so every request goes out on a new one.
func TestUnsolicitedResponses(t *testing.T) {
	t.Parallel()
	s := startServer(t, answersTwice)
	sum := run(t, Config{Targets: []string{s.URL + "/"}, Clients: 2, RequestsPerClient: 5, Loops: 1})
	if sum.Requests != 10 || sum.OK != 10 || sum.Failed != 0 {
		t.Errorf("requests %d ok %d failed %d (errors %v), want 10 ok", sum.Requests, sum.OK, sum.Failed, sum.Errors)
	}
	if sum.Unsolicited != 10 {
		t.Errorf("unsolicited %d, want 10 (one per request)", sum.Unsolicited)
	}
	if sum.ConnectsOK != 10 || s.requests.Load() != 10 {
		t.Errorf("connects %d, server saw %d requests: want 10 and 10 (a connection per request)", sum.ConnectsOK, s.requests.Load())
	}
	for name := range sum.Errors {
		if strings.Contains(name, "UNSOLICITED") {
			t.Errorf("error class %s outside the taxonomy", name)
		}
	}
	a, b := *sum, *sum // as if shards 0/2 and 1/2 of a run of twice the clients
	a.Shard, b.Shard, a.Shards, b.Shards = "0/2", "1/2", 2, 2
	m, err := Merge(&a, &b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Unsolicited != 20 || m.Requests != 20 {
		t.Errorf("merge of two: unsolicited %d requests %d, want 20 20", m.Unsolicited, m.Requests)
	}
}

// TestStartAtAlignsShards: shards started 400 ms apart with one StartAt
// begin their warmup at that instant, so their timelines count from the
// same second; without it they are 400 ms apart.
func TestStartAtAlignsShards(t *testing.T) {
	race.Skip(t)
	t.Parallel()
	s := startServer(t, labServer)
	const apart = 400 * time.Millisecond
	runShards := func(at time.Time) (parts []*Summary, returned []time.Time) {
		parts, returned = make([]*Summary, 2), make([]time.Time, 2)
		var wg sync.WaitGroup
		for i := range 2 {
			time.Sleep(time.Duration(i) * apart)
			cfg := Config{Targets: []string{s.URL + "/"}, Clients: 4, Warmup: 200 * time.Millisecond, Duration: 2 * time.Second,
				Shard: Shard{Index: i, Count: 2}, RunID: "aligned", StartAt: at}
			wg.Go(func() {
				var err error
				if parts[i], err = Run(context.Background(), cfg); err != nil {
					t.Error(err)
				}
				returned[i] = time.Now()
			})
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		return parts, returned
	}

	at := time.Now().Add(apart + 300*time.Millisecond).Truncate(time.Millisecond)
	parts, returned := runShards(at)
	for i, p := range parts {
		if !p.StartAt.Equal(at) || !p.StartedAt.Equal(at) {
			t.Errorf("shard %d: start_at %v started_at %v, want %v for both", i, p.StartAt, p.StartedAt, at)
		}
		if len(p.Timeline) != 2 || p.Timeline[0].RPS == 0 || p.Timeline[1].RPS == 0 {
			t.Errorf("shard %d timeline %+v: want 2 seconds with answers in each", i, p.Timeline)
		}
	}
	// Both ran warmup plus duration from the same instant: they end together.
	if d := returned[1].Sub(returned[0]); d < -apart/2 || d > apart/2 {
		t.Errorf("shards given one start ended %v apart", d)
	}
	m, err := Merge(parts...)
	if err != nil {
		t.Fatal(err)
	}
	if !m.StartAt.Equal(at) || len(m.Timeline) != 2 {
		t.Errorf("merged start_at %v, %d seconds", m.StartAt, len(m.Timeline))
	}

	// The control: without a start time the second shard's timeline
	// begins 400 ms after the first's.
	parts, _ = runShards(time.Time{})
	if gap := parts[1].StartedAt.Sub(parts[0].StartedAt); gap < apart*3/4 {
		t.Errorf("without --start-at the shards began %v apart, want about %v", gap, apart)
	}
	if !parts[0].StartAt.IsZero() {
		t.Errorf("start_at %v without one given", parts[0].StartAt)
	}
}
