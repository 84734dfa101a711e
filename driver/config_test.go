package driver

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/internal/golden"
)

func TestConfigValidate(t *testing.T) {
	ok := []string{"http://127.0.0.1/"}
	tests := []struct {
		name   string
		cfg    Config
		fields []string // JSON names of the broken rules; none: valid
	}{
		{name: "zero values are defaults", cfg: Config{Targets: ok}},
		{name: "everything set", cfg: Config{Targets: ok, Clients: 8, Duration: time.Second, RequestsPerClient: 3, Rate: 100,
			Pipeline: 4, Ramp: time.Second, Warmup: time.Second, Timeout: time.Second, ConnectTimeout: time.Millisecond,
			Shard: Shard{Index: 1, Count: 2}, Loops: 2, NamespaceMark: "tok-1"}},
		{name: "no target", cfg: Config{}, fields: []string{"targets"}},
		{name: "bad URL", cfg: Config{Targets: []string{"https://127.0.0.1/"}}, fields: []string{"targets"}},
		{name: "name without allow_remote", cfg: Config{Targets: []string{"http://example.com/"}}, fields: []string{"targets"}},
		{name: "name with allow_remote", cfg: Config{Targets: []string{"http://example.com/"}, AllowRemote: true}},
		{name: "clients negative", cfg: Config{Targets: ok, Clients: -1}, fields: []string{"clients"}},
		{name: "clients too many", cfg: Config{Targets: ok, Clients: MaxClients + 1}, fields: []string{"clients"}},
		{name: "requests negative", cfg: Config{Targets: ok, RequestsPerClient: -1}, fields: []string{"requests_per_client"}},
		{name: "duration too long", cfg: Config{Targets: ok, Duration: 2 * MaxDuration}, fields: []string{"duration"}},
		{name: "warmup too long", cfg: Config{Targets: ok, Warmup: MaxDuration + 1}, fields: []string{"warmup"}},
		{name: "ramp negative", cfg: Config{Targets: ok, Ramp: -1}, fields: []string{"ramp"}},
		{name: "timeout too long", cfg: Config{Targets: ok, Timeout: 2 * time.Hour}, fields: []string{"timeout"}},
		{name: "timeout too short", cfg: Config{Targets: ok, Timeout: time.Microsecond}, fields: []string{"timeout"}},
		{name: "connect timeout too short", cfg: Config{Targets: ok, ConnectTimeout: time.Microsecond}, fields: []string{"connect_timeout"}},
		{name: "rate negative", cfg: Config{Targets: ok, Rate: -1}, fields: []string{"rate"}},
		{name: "rate NaN", cfg: Config{Targets: ok, Rate: math.NaN()}, fields: []string{"rate"}},
		{name: "rate +Inf", cfg: Config{Targets: ok, Rate: math.Inf(1)}, fields: []string{"rate"}},
		{name: "rate -Inf", cfg: Config{Targets: ok, Rate: math.Inf(-1)}, fields: []string{"rate"}},
		{name: "pipeline too deep", cfg: Config{Targets: ok, Pipeline: MaxPipeline + 1}, fields: []string{"pipeline"}},
		{name: "pipeline without keep-alive", cfg: Config{Targets: ok, Pipeline: 2, DisableKeepAlive: true}, fields: []string{"pipeline"}},
		{name: "shard out of range", cfg: Config{Targets: ok, Shard: Shard{Index: 3, Count: 3}}, fields: []string{"shard"}},
		{name: "shard count overflows", cfg: Config{Targets: ok, Shard: Shard{Index: 1 << 62, Count: 1<<62 + 1}}, fields: []string{"shard"}},
		{name: "shard empty", cfg: Config{Targets: ok, Clients: 2, Shard: Shard{Index: 0, Count: 3}}, fields: []string{"shard"}},
		{name: "loops negative", cfg: Config{Targets: ok, Loops: -1}, fields: []string{"loops"}},
		{name: "mark with a space", cfg: Config{Targets: ok, NamespaceMark: "a b"}, fields: []string{"namespace_mark"}},
		{name: "mark too long", cfg: Config{Targets: ok, NamespaceMark: strings.Repeat("x", MaxNamespaceMark+1)}, fields: []string{"namespace_mark"}},
		{name: "several at once", cfg: Config{Clients: -1, Rate: math.NaN(), ConnectTimeout: time.Microsecond},
			fields: []string{"targets", "clients", "connect_timeout", "rate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if got := configFields(err); !reflect.DeepEqual(got, tt.fields) {
				t.Fatalf("broken rules %v, want %v (err: %v)", got, tt.fields, err)
			}
			if err != nil && !errors.Is(err, ErrConfig) {
				t.Errorf("err = %v, want it to match ErrConfig", err)
			}
		})
	}
}

// configFields lists the Field of every *ConfigError joined in err.
func configFields(err error) []string {
	if err == nil {
		return nil
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	var fields []string
	for _, e := range errs {
		var ce *ConfigError
		if !errors.As(e, &ce) {
			return append(fields, "not a ConfigError: "+e.Error())
		}
		fields = append(fields, ce.Field)
	}
	return fields
}

func TestConfigErrorText(t *testing.T) {
	err := Config{Targets: []string{"http://127.0.0.1/"}, ConnectTimeout: time.Microsecond}.Validate()
	want := "driver: invalid config: connect_timeout: must be at least 1ms, got 1µs"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

// TestConfigJSON pins the JSON form of a Config, the handover from the
// runner to `scalelab load --config`, and checks that it round-trips.
// Run with -update after adding a field.
func TestConfigJSON(t *testing.T) {
	c := Config{Targets: []string{"http://127.0.0.1:8080/", "http://127.0.0.1:8081/"}, Clients: 64,
		Duration: 3 * time.Second, RequestsPerClient: 0, Rate: 1500.5, Pipeline: 2, Ramp: 100 * time.Millisecond,
		Warmup: 500 * time.Millisecond, Timeout: 2 * time.Second, ConnectTimeout: time.Second, AllowRemote: false,
		Shard: Shard{Index: 1, Count: 4}, Loops: 1, NamespaceMark: "0123abcd",
		Pacer: ClosedLoop{}, NetnsFD: 7, Progress: &bytes.Buffer{}}
	got, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "config.golden.json"), append(got, '\n'))
	back, err := DecodeConfig(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	c.Pacer, c.NetnsFD, c.Progress = nil, 0, nil // not part of the JSON form
	if !reflect.DeepEqual(back, c) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, c)
	}
}

func TestDecodeConfig(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // in the error; "": valid
	}{
		{name: "minimal", in: `{"targets":["http://127.0.0.1:1/"]}`},
		{name: "unknown field", in: `{"targets":["http://127.0.0.1:1/"],"surprise":1}`, want: `unknown field "surprise"`},
		{name: "wrong type", in: `{"targets":["http://127.0.0.1:1/"],"clients":"ten"}`, want: "clients"},
		{name: "bad value", in: `{"targets":["http://127.0.0.1:1/"],"connect_timeout":5}`, want: "connect_timeout: must be at least 1ms"},
		{name: "two objects", in: `{"targets":["http://127.0.0.1:1/"]} {}`, want: "after the config"},
		{name: "empty", in: ``, want: "EOF"},
		{name: "shard", in: `{"targets":["http://127.0.0.1:1/"],"clients":4,"shard":{"index":4,"count":4}}`, want: "shard"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeConfig(strings.NewReader(tt.in))
			if (err == nil) != (tt.want == "") || err != nil && !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestPacers(t *testing.T) {
	if _, paced := PerConnection(0, 10).Due(5); paced {
		t.Error("rate 0 must be a closed loop")
	}
	p := PerConnection(1000, 10) // 100/s per connection: every 10 ms
	for n, want := range []time.Duration{0, 10 * time.Millisecond, 20 * time.Millisecond} {
		if at, paced := p.Due(uint64(n)); !paced || at != want {
			t.Errorf("Due(%d) = %v %v, want %v paced", n, at, paced, want)
		}
	}
}

func TestParseShard(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{{"0/1", true}, {"2/3", true}, {"3/3", false}, {"-1/2", false}, {"1", false}, {"a/b", false}, {"0/0", false}} {
		s, err := ParseShard(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("%s: err %v", tt.in, err)
		}
		if tt.ok && s.String() != tt.in {
			t.Errorf("%s round-trips as %s", tt.in, s)
		}
	}
	lo, hi := Shard{Index: 2, Count: 3}.clients(10)
	if lo != 6 || hi != 10 {
		t.Errorf("shard 2/3 of 10 = [%d,%d), want [6,10)", lo, hi)
	}
}

// TestDeal: every client of the shard goes to exactly one loop, spread
// round-robin, and starts after its share of the ramp.
func TestDeal(t *testing.T) {
	c, err := Config{Targets: []string{"http://127.0.0.1/"}, Clients: 10, Ramp: time.Second, Shard: Shard{Index: 1, Count: 2}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	p := newPlan(c, nil, 0)
	clients, origins := p.deal(c, 2)
	want := [][]int{{5, 7, 9}, {6, 8}}
	if !reflect.DeepEqual(clients, want) {
		t.Errorf("clients %v, want %v", clients, want)
	}
	if origins[0][0] != int64(500*time.Millisecond) || origins[1][1] != int64(800*time.Millisecond) {
		t.Errorf("origins %v, want client g at g/10 of the 1 s ramp", origins)
	}
}

func TestShardFromEnv(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k != ShardIndexEnv {
				t.Errorf("read %s, want %s", k, ShardIndexEnv)
			}
			return v
		}
	}
	tests := []struct {
		in, index string
		want      Shard
		err       string
	}{
		{"auto/4", "0", Shard{0, 4}, ""},
		{"auto/4", "3", Shard{3, 4}, ""},
		{"2/4", "0", Shard{2, 4}, ""}, // i/N ignores the environment
		{"auto/4", "4", Shard{}, `JOB_COMPLETION_INDEX="4", want an index 0 <= i < 4`},
		{"auto/4", "-1", Shard{}, "want an index"},
		{"auto/4", "x", Shard{}, "want an index"},
		{"auto/4", "", Shard{}, "JOB_COMPLETION_INDEX is not set"},
		{"auto/0", "0", Shard{}, "want auto/N with N >= 1"},
		{"auto/", "0", Shard{}, "want auto/N"},
		{"auto", "0", Shard{}, "want i/N"},
	}
	for _, tt := range tests {
		t.Run(tt.in+"="+tt.index, func(t *testing.T) {
			got, err := ShardFromEnv(tt.in, env(tt.index))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestParseStartAt(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-12-01T10:00:00Z", time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), true},
		{"2026-12-01T11:00:00.25+01:00", time.Date(2026, 12, 1, 10, 0, 0, 250e6, time.UTC), true},
		{"1764583200", time.Unix(1764583200, 0), true},
		{"1764583200.5", time.Unix(1764583200, 500e6), true},
		{"1764583200.123456789", time.Unix(1764583200, 123456789), true},
		{"1764583200.1234567891", time.Time{}, false},
		{"1764583200.", time.Unix(1764583200, 0), true},
		{"+1764583200", time.Time{}, false},
		{"-5", time.Time{}, false},
		{"0", time.Time{}, false},
		{"2026-12-01 10:00:00", time.Time{}, false},
		{"10s", time.Time{}, false},
		{"", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseStartAt(tt.in)
			if (err == nil) != tt.ok || (tt.ok && !got.Equal(tt.want)) {
				t.Fatalf("ParseStartAt(%q) = %v, %v; want %v (ok %v)", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestStartAtBounds(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name string
		at   time.Time
		err  string
	}{
		{"none", time.Time{}, ""},
		{"soon", now.Add(2 * time.Second), ""},
		{"a little late", now.Add(-StartLate / 2), ""},
		{"too late", now.Add(-3 * StartLate), "in the past: a shard may start at most 1s late"},
		{"too far ahead", now.Add(MaxStartWait + time.Minute), "more than the 10m0s a run may wait"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Config{Targets: []string{"http://127.0.0.1:8080/"}, StartAt: tt.at}.Validate()
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != "start_at" || !strings.Contains(ce.Msg, tt.err) {
				t.Fatalf("err = %v, want start_at: %q", err, tt.err)
			}
		})
	}
}
