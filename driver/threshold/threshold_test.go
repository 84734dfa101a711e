package threshold

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		expr   string
		metric string
		op     Op
		value  float64
	}{
		{"success>=99.9%", "success", GreaterEqual, 99.9},
		{" success >= 99.9 % ", "success", GreaterEqual, 99.9},
		{"errors<0.1%", "errors", Less, 0.1},
		{"p99<10ms", "p99", Less, 10},
		{"p99 <= 1.5s", "p99", LessEqual, 1500},
		{"p50<250us", "p50", Less, 0.25},
		{"p50<250µs", "p50", Less, 0.25},
		{"p999<20ms", "p99.9", Less, 20},
		{"p99.9<20ms", "p99.9", Less, 20},
		{"P95<1e1ms", "p95", Less, 10},
		{"max<1s", "max", Less, 1000},
		{"rps>=50000", "rps", GreaterEqual, 50000},
		{"rps>50000/s", "rps", Greater, 50000},
		{"ok_rps>1", "rps", Greater, 1},
		{"responses_rps>=1000", "responses_rps", GreaterEqual, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			th, err := Parse(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			if th.Metric != tt.metric || th.Op != tt.op || th.Value != tt.value {
				t.Errorf("got %s %s %v, want %s %s %v", th.Metric, th.Op, th.Value, tt.metric, tt.op, tt.value)
			}
			if th.Expr != strings.TrimSpace(tt.expr) {
				t.Errorf("Expr %q", th.Expr)
			}
		})
	}
}

func TestParseErrorsSayWhatToWrite(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"success>=99.9", "write 99.9%"},
		{"success>=0.999", "write 99.9% for a share of 0.999"},
		{"success>=101%", "above 100%"},
		{"success>=99ms", "write it with %"},
		{"p99<10", "write 10ms"},
		{"p99<10 parsecs", `unknown unit "parsecs"`},
		{"p(99)<10ms", "write percentiles as p99"},
		{"sucess>=99%", "did you mean success?"},
		{"latency<10ms", "unknown metric"},
		{"rps>=50k", "50000"},
		{"rps>=5%", "plain number"},
		{"rps", "want METRIC OP VALUE"},
		{"rps=>5", "unknown comparison"},
		{"rps==5", "unknown comparison"},
		{"rps!=5", "unknown comparison"},
		{">=5", "no metric"},
		{"rps>=", "no value"},
		{"rps>=-5", "negative"},
		{"rps>=NaN", "not a number"},
		{"rps>=Inf", "not a number"},
		{"p99<ms", "not a number"},
		{strings.Repeat("p", 300), "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := Parse(tt.expr)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	measured := map[string]float64{"success": 99.9, "p99": 12.4, "rps": 50000, "errors": 0.1}
	lookup := func(m string) (float64, bool) { v, ok := measured[m]; return v, ok }
	tests := []struct {
		expr string
		pass bool
	}{
		{"success>=99.9%", true}, // exactly at the bound
		{"success>99.9%", false},
		{"success>=99.91%", false},
		{"p99<10ms", false},
		{"p99<=12.4ms", true},
		{"p99<12.4ms", false},
		{"p99<1s", true},
		{"rps>=50000", true},
		{"rps>50000", false},
		{"errors<=0.1%", true},
		{"p50<1ms", false}, // not measured: fails
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			th, err := Parse(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			r := th.Check(lookup)
			if r.Passed != tt.pass {
				t.Errorf("passed %v, want %v (measured %v)", r.Passed, tt.pass, r.Measured)
			}
			if _, ok := measured[th.Metric]; ok != (r.Measured != nil) {
				t.Errorf("measured %v", r.Measured)
			}
		})
	}
	// 999 of 1,000 in floating point is not exactly 99.9.
	th, _ := Parse("success>=99.9%")
	if v := float64(999) / 1000 * 100; !th.Holds(v) {
		t.Errorf("%v does not meet %s", v, th)
	}
}

func TestCheckAllAndText(t *testing.T) {
	ts, err := ParseAll([]string{"success>=99%", "p99<10ms", "rps>=100"})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]float64{"success": 100, "p99": 12.345, "rps": 1234.56}
	rs, ok := CheckAll(ts, func(k string) (float64, bool) { v, ok := m[k]; return v, ok })
	if ok || !rs[0].Passed || rs[1].Passed || !rs[2].Passed {
		t.Fatalf("results %+v, all %v", rs, ok)
	}
	for i, want := range []string{"100%", "12.35 ms", "1,235/s"} {
		if got := rs[i].MeasuredText(); got != want {
			t.Errorf("%s measured %q, want %q", rs[i].Threshold, got, want)
		}
	}
	if rs[1].Verdict() != "FAIL" || rs[0].Verdict() != "ok" {
		t.Errorf("verdicts %s %s", rs[0].Verdict(), rs[1].Verdict())
	}
	if _, err := ParseAll([]string{"p99<1", "rps>1", "x>1"}); err == nil || strings.Count(err.Error(), "\n") != 1 {
		t.Errorf("want two joined errors, got %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"success>=99.9%", "p99<10ms", "rps>=50000", "p99 <= 1.5s", "errors<1e-3%", "x", "p(99)<1", "rps>=1e309"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		th, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("%q: error %v does not wrap ErrSyntax", s, err)
			}
			return
		}
		if th.Value < 0 || th.Value != th.Value {
			t.Fatalf("%q: value %v", s, th.Value)
		}
		again, err := Parse(th.String())
		if err != nil || again != th {
			t.Fatalf("%q: parses to %+v, its String to %+v (%v)", s, th, again, err)
		}
		r := th.Check(func(string) (float64, bool) { return th.Value, true })
		if r.Passed != (th.Op == LessEqual || th.Op == GreaterEqual) {
			t.Fatalf("%q at its own value: passed %v", s, r.Passed)
		}
	})
}
