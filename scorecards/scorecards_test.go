package scorecards

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/internal/golden"
	"github.com/scalelab/scalelab/units"
)

// checkGolden compares got with testdata/name (rewritten with -update).
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got)
}

// TestRoundTrip writes every fixture, checks the YAML against its golden
// file, loads it back and compares it with the fixture in written form.
func TestRoundTrip(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			sc := fx.card(t)
			data, err := Marshal(sc)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, fx.name+".golden.yaml", data)

			path := filepath.Join(t.TempDir(), "scorecard.yaml")
			if err := WriteFile(path, sc); err != nil {
				t.Fatal(err)
			}
			back, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			want := sc.Rounded()
			if !reflect.DeepEqual(back, want) {
				t.Errorf("loaded card differs from the written one\n got: %+v\nwant: %+v", back, want)
			}
			// A second cycle changes nothing: the written form is stable.
			again, err := Marshal(back)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, data) {
				t.Errorf("re-encoding a loaded card changed it:\n%s", again)
			}
		})
	}
}

func TestRounded(t *testing.T) {
	type L = attrib.Latency
	tests := []struct {
		name string
		in   attrib.Step
		want attrib.Step
	}{
		{
			name: "rps one decimal, latency three, success four",
			in:   attrib.Step{RPS: 2000.06, SuccessRate: 0.995149, LatencyMS: L{P50: 0.12345, P99: 37.41049, Max: 2003.99951}},
			want: attrib.Step{RPS: 2000.1, SuccessRate: 0.9951, LatencyMS: L{P50: 0.123, P99: 37.41, Max: 2004}},
		},
		{
			name: "negative zero becomes zero",
			in:   attrib.Step{RPS: -0.01, LatencyMS: L{P50: -0.0001}},
			want: attrib.Step{RPS: 0, LatencyMS: L{P50: 0}},
		},
		{
			name: "empty maps and lists become nil",
			in:   attrib.Step{Errors: map[string]int64{}, Timeline: []attrib.Second{}},
			want: attrib.Step{},
		},
		{
			name: "server, driver, timeline and connect values",
			in: attrib.Step{DurationS: 3.00049, ConnectMS: L{P99: 1003.12345}, Timeline: []attrib.Second{{T: 1, RPS: 5.55, P99MS: 1.00049}},
				Server: attrib.ServerEvidence{CPUPct: 97.349, RSSMB: 12.25, HandlerMS: L{P99: 0.0615}},
				Driver: attrib.DriverEvidence{CPUPct: 99.96, RSSMB: 30.04}},
			want: attrib.Step{DurationS: 3, ConnectMS: L{P99: 1003.123}, Timeline: []attrib.Second{{T: 1, RPS: 5.6, P99MS: 1}},
				Server: attrib.ServerEvidence{CPUPct: 97.3, RSSMB: 12.3, HandlerMS: L{P99: 0.062}},
				Driver: attrib.DriverEvidence{CPUPct: 100, RSSMB: 30}},
		},
		{
			name: "kernel counts read, unread and read as zero",
			in:   attrib.Step{Kernel: attrib.KernelEvidence{ListenOverflows: attrib.Of(0), TimeWait: attrib.Of(28190)}},
			want: attrib.Step{Kernel: attrib.KernelEvidence{ListenOverflows: attrib.Of(0), TimeWait: attrib.Of(28190)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := &Scorecard{Schema: Schema, Status: StatusRunning, Steps: []Step{{Step: tt.in}}}
			got := sc.Rounded().Steps[0]
			if !reflect.DeepEqual(got.Step, tt.want) {
				t.Errorf("\n got: %+v\nwant: %+v", got.Step, tt.want)
			}
		})
	}
}

// TestRoundedCopies checks that Rounded leaves its input alone and shares
// no mutable data with it.
func TestRoundedCopies(t *testing.T) {
	sc := completeCard(t)
	before, err := Marshal(sc)
	if err != nil {
		t.Fatal(err)
	}
	r := sc.Rounded()
	r.Steps[4].Server.AcceptErrors = map[string]int64{"EMFILE": 1}
	r.Steps[4].Verdict.Evidence[0] = "changed"
	r.Config.Sweep.Clients[0] = 7
	*r.Config.Limits.TCPTwReuse = 2
	r.Applied.Pinned.Server[0] = 5
	after, err := Marshal(sc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("changing the rounded copy changed the original")
	}
	if sc.Steps[4].Server.CPUPerRequest != 61.7 || sc.Steps[4].DurationS != 3.0004 {
		t.Errorf("Rounded rounded its input in place: %v", sc.Steps[4].DurationS)
	}
}

func TestMarshalPlainNumbers(t *testing.T) {
	sc := &Scorecard{Schema: Schema, Status: StatusRunning, Steps: []Step{{Step: attrib.Step{
		Clients: 10000, RPS: 1234567.89, LatencyMS: attrib.Latency{P50: 0.00001, P99: 0.0004, Max: 1e7},
	}}}}
	data, err := Marshal(sc)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"rps: 1234567.9\n", "p50: 0\n", "p99: 0\n", "max: 10000000\n"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("encoded card lacks %q:\n%s", want, data)
		}
	}
	if strings.Contains(string(data), "e+") || strings.Contains(string(data), "e-") {
		t.Errorf("scientific notation in the card:\n%s", data)
	}
}

func TestLoadErrors(t *testing.T) {
	valid, err := Marshal(runningCard(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data string
		want string // substring of the error
	}{
		{"empty", "", "empty scorecard"},
		{"unknown field", strings.Replace(string(valid), "status: running", "status: running\nstatuz: x", 1), "field statuz not found"},
		{"wrong schema", strings.Replace(string(valid), "scorecard/v1", "scorecard/v9", 1), `schema "scalelab/scorecard/v9", want scalelab/scorecard/v1`},
		{"bad status", strings.Replace(string(valid), "status: running", "status: done", 1), `status "done"`},
		{"two documents", string(valid) + "---\n" + string(valid), "more than one YAML document"},
		{"mistyped", strings.Replace(string(valid), "cpus: 2", "cpus: two", 1), "cannot unmarshal"},
		{"unknown verdict limit", "schema: " + Schema + "\nstatus: complete\nsteps:\n  - clients: 1\n    verdict: {limit: disk}\n",
			`steps[0].verdict.limit: unknown limit "disk"`},
		{"success rate above 1", "schema: " + Schema + "\nstatus: complete\nsteps:\n  - clients: 1\n    success_rate: 1.5\n",
			"steps[0].success_rate: 1.5 is outside 0..1"},
		{"bad outcome", "schema: " + Schema + "\nstatus: complete\nsummary: {hypothesis: maybe}\n", `summary.hypothesis "maybe"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "card.yaml")
			if err := os.WriteFile(path, []byte(tt.data), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			if err == nil {
				t.Fatalf("Load succeeded, want error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not contain %q and the path", err, tt.want)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file: %v, want ErrNotExist", err)
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "scorecard.yaml")
	sc := completeCard(t)
	if err := WriteFile(path, sc); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(path)

	t.Run("invalid card refused, old card kept", func(t *testing.T) {
		bad := completeCard(t)
		bad.Status = "finished"
		if err := WriteFile(path, bad); err == nil {
			t.Fatal("WriteFile accepted an unknown status")
		}
		now, _ := os.ReadFile(path)
		if !bytes.Equal(now, first) {
			t.Error("a refused write changed the file")
		}
	})
	t.Run("overwrite", func(t *testing.T) {
		sc.Steps = sc.Steps[:2]
		sc.Status = StatusInterrupted
		if err := WriteFile(path, sc); err != nil {
			t.Fatal(err)
		}
		back, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(back.Steps) != 2 || back.Status != StatusInterrupted {
			t.Errorf("overwrite: %d steps, status %s", len(back.Steps), back.Status)
		}
	})
	t.Run("no temporary file left", func(t *testing.T) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Name() != "scorecard.yaml" {
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Errorf("directory holds %v, want only scorecard.yaml", names)
		}
		if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o644 {
			t.Errorf("mode %v, %v; want 0644", st.Mode(), err)
		}
	})
	t.Run("missing directory", func(t *testing.T) {
		err := WriteFile(filepath.Join(dir, "no", "such", "card.yaml"), sc)
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("got %v, want ErrNotExist", err)
		}
	})
}

// TestWriteFileReadersSeeWholeCards rewrites a card step by step, as the
// runner does, while readers load it: every load must see a valid card.
func TestWriteFileReadersSeeWholeCards(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scorecard.yaml")
	full := completeCard(t)
	sc := New(builtin(t, 3))
	if err := WriteFile(path, sc); err != nil {
		t.Fatal(err)
	}
	const rounds = 40
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var loads, failures int
	var mu sync.Mutex
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				_, err := Load(path)
				mu.Lock()
				loads++
				if err != nil {
					failures++
					t.Errorf("load during writes: %v", err)
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < rounds; i++ {
		sc.Steps = full.Steps[:i%len(full.Steps)+1]
		if err := WriteFile(path, sc); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if loads == 0 {
		t.Fatal("no load ran while writing")
	}
	if failures > 0 {
		t.Errorf("%d of %d loads failed", failures, loads)
	}
}

func TestNew(t *testing.T) {
	p := builtin(t, 5)
	sc := New(p)
	if sc.Schema != Schema || sc.Status != StatusRunning {
		t.Errorf("schema %q status %q", sc.Schema, sc.Status)
	}
	if sc.Phase.Number != 5 || sc.Phase.Source != "builtin:05" || sc.Phase.Hypothesis.Limit != attrib.Backlog {
		t.Errorf("phase info %+v", sc.Phase)
	}
	if sc.Config.Server.Backlog != 128 || sc.Config.Limits.SoMaxConn != 128 || sc.Config.SuccessThreshold != p.SuccessThreshold {
		t.Errorf("config %+v", sc.Config)
	}
	if err := sc.Validate(); err != nil {
		t.Errorf("a new card is invalid: %v", err)
	}
}

func TestReportGolden(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			sc := fx.card(t)
			var buf bytes.Buffer
			if err := RenderReport(&buf, sc); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, fx.name+".golden.md", buf.Bytes())

			// The report of the loaded card is the same: it only reads the card.
			data, err := Marshal(sc)
			if err != nil {
				t.Fatal(err)
			}
			back, err := Unmarshal(data)
			if err != nil {
				t.Fatal(err)
			}
			var again bytes.Buffer
			if err := RenderReport(&again, back); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), again.Bytes()) {
				t.Error("the report of the reloaded card differs")
			}
		})
	}
}

// TestReportFacts checks the statements a learner relies on, independent
// of the golden files.
func TestReportFacts(t *testing.T) {
	tests := []struct {
		name    string
		card    func(t *testing.T) *Scorecard
		want    []string
		wantNot []string
	}{
		{"complete", completeCard, []string{
			"# Phase 3: Thread pool (16 workers) + keep-alive",
			"**Date:** 2026-11-25 10:00 UTC",
			"**Expected limit:** `queueing`.",
			"**Found:** `queueing` (workers) at the breaking point (32 clients).",
			"**Result: confirmed.**",
			"| Clients | Trials | RPS | vs best before |",
			"| 16 | 2 | 3,151 (3,148–3,153) | ~ (p=0.333 n=2) vs 8 clients, inconclusive |",
			"**Sweet spot:** 16 clients: 3,151 requests/s at 100% success",
			"**Breaking point:** 32 clients: success 100% at 3,148 requests/s (broke in 2 of 2 trials: 16 of 32 clients got no answer)",
			"| **workers (bottleneck)** | 100% busy over the step, up to 16 of 16 at once | 100% |",
			"Utilization law (D = U / X): the server spent 61.7 µs of CPU per request",
			"Little's law (R = N / X): 16 clients / 3,150 requests completed per second predicts 5.08 ms per request; measured 5.12 ms.",
			"Nothing: every setting the phase asked for was applied",
			"**Suggested from the verdict `queueing` at 32 clients.** Stop tying a worker",
			"**queueing** (limit):",
		}, []string{"WARNING", "DIFFERS", "interrupted"}},
		{"interrupted", interruptedCard, []string{
			"> **This run was interrupted (2 of 8 steps measured).** Error: interrupted by signal (SIGINT).",
			"| 1 | 2 | 9,404 (7,505–11,302) | first | 51.21% (2.43%–100%) |",
			"### 1 client: `port` (dropped)",
			"2 trials: 1 saturated (port), 1 dropped (port).",
			"**Result: inconclusive.**",
			"**Sweet spot:** none: no step kept success at or above 99.00%.",
			"> **WARNING: 2 settings the phase asked for were NOT applied.**",
			"- **tcp_tw_reuse 0**: no network namespace (not root)",
			"| net.ipv4.ip_local_port_range | 49152-65535 (16,384 ports) | 32768-60999 (28,232 ports) | **DIFFERS** |",
			"| own network namespace | yes | no: the host's namespace | **DIFFERS** |",
			"**addr_unavailable** (error class): EADDRNOTAVAIL",
		}, nil},
		{"running-empty", runningCard, []string{
			"> **This run is still in progress (0 of 3 steps measured).**",
			"No step was measured to its end.",
			"**Result: not decided yet:**",
			"No verdict yet to suggest the next rung from.",
		}, []string{"Sweet spot", "| Clients |"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderReport(&buf, tt.card(t)); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("report lacks %q", w)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(out, w) {
					t.Errorf("report contains %q", w)
				}
			}
			for _, r := range out {
				if r >= 0x1F300 { // pictographs and emoji
					t.Fatalf("report contains %q", r)
				}
			}
		})
	}
}

func TestReportHelpers(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"counts", units.Counts(map[string]int64{"a": 1, "b": 5, "c": 5, "d": 0}, 3), "`b` 5, `c` 5, `a` 1"},
		{"counts more", units.Counts(map[string]int64{"a": 1, "b": 2, "c": 3}, 2), "`c` 3, `b` 2 (+1 more)"},
		{"counts none", units.Counts(map[string]int64{"a": 0}, 3), "none"},
		{"cell escape", cellEscape("a|b\nc"), `a\|b c`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

// FuzzUnmarshal checks that decoding never panics, that any card it accepts
// encodes to a stable form (decode(encode(card)) encodes the same), and
// that its report renders.
func FuzzUnmarshal(f *testing.F) {
	goldens, _ := filepath.Glob("testdata/*.golden.yaml")
	for _, g := range goldens {
		data, err := os.ReadFile(g)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Unmarshal(data)
		if err != nil {
			return
		}
		first, err := Marshal(sc)
		if err != nil {
			t.Fatalf("encode an accepted card: %v", err)
		}
		back, err := Unmarshal(first)
		if err != nil {
			t.Fatalf("decode an encoded card: %v\n%s", err, first)
		}
		second, err := Marshal(back)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("encoding is not stable:\n%s\n---\n%s", first, second)
		}
		if err := RenderReport(io.Discard, sc); err != nil {
			t.Fatalf("report of an accepted card: %v", err)
		}
	})
}

// TestWriteCharts draws every chart of every fixture, the empty one and the
// interrupted one included, and checks that each file is there.
func TestWriteCharts(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			dir := t.TempDir()
			paths, err := WriteCharts(dir, fx.card(t))
			if err != nil {
				t.Fatal(err)
			}
			if len(paths) != 2*len(ChartNames) {
				t.Fatalf("wrote %d files, want %d: %v", len(paths), 2*len(ChartNames), paths)
			}
			for _, p := range paths {
				st, err := os.Stat(p)
				if err != nil || st.Size() < 500 {
					t.Errorf("%s: %v, %d bytes", p, err, st.Size())
				}
			}
		})
	}
}

func TestWriteCSV(t *testing.T) {
	var out bytes.Buffer
	if err := WriteCSV(&out, completeCard(t)); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "complete.golden.csv", out.Bytes())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1+10 {
		t.Errorf("%d lines, want a header and a row per step", len(lines))
	}
}
