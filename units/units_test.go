package units

import (
	"encoding/json"
	"math"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"int small", Int(999), "999"},
		{"int thousands", Int(16384), "16,384"},
		{"int millions", Int(int64(1234567)), "1,234,567"},
		{"int negative", Int(-3333), "-3,333"},
		{"int uint64", Int(uint64(1000)), "1,000"},
		{"float", Float(-3333.25, 1), "-3,333.2"},
		{"float no -0", Float(-0.0001, 2), "0.00"},
		{"float nan", Float(math.NaN(), 1), NA},
		{"ms below 1", MS(0.4123), "0.412 ms"},
		{"ms below 100", MS(4.8), "4.80 ms"},
		{"ms large", MS(1204.4), "1,204 ms"},
		{"ms value", MSValue(37.414), "37.41"},
		{"ms nan", MS(math.NaN()), NA},
		{"pct full", Pct(1), "100%"},
		{"pct never rounds up to 100", Pct(0.99996), "99.99%"},
		{"pct", Pct(0.6408), "64.08%"},
		{"pct zero", Pct(0), "0.00%"},
		{"pct nan", Pct(math.NaN()), NA},
		{"whole pct", WholePct(87.6), "88%"},
		{"rate large", Rate(25922.4), "25,922"},
		{"rate small", Rate(12.46), "12.5"},
		{"plural one", Clients(1), "1 client"},
		{"plural many", Clients(1000), "1,000 clients"},
		{"cores", Cores(2), "2 cores"},
		{"millis string", Millis(4.8).String(), "4.80 ms"},
		{"micros string", Micros(12.46).String(), "12.5 µs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

// record has one field of every unit type.
type record struct {
	Latency  Millis    `yaml:"latency" json:"latency"`
	RPS      PerSecond `yaml:"rps" json:"rps"`
	Success  Ratio     `yaml:"success" json:"success"`
	CPU      Percent   `yaml:"cpu" json:"cpu"`
	RSS      MB        `yaml:"rss" json:"rss"`
	Duration Seconds   `yaml:"duration" json:"duration"`
	PerReq   Micros    `yaml:"per_req" json:"per_req"`
}

// TestRoundTrip writes a record in YAML and JSON and reads it back: every
// field comes back rounded to its precision, and writing that again gives
// the same bytes.
func TestRoundTrip(t *testing.T) {
	in := record{Latency: 1.23456, RPS: 25922.46, Success: 0.999956, CPU: 87.64, RSS: 15.66, Duration: 3.00049, PerReq: 12.46}
	want := record{Latency: 1.235, RPS: 25922.5, Success: 1, CPU: 87.6, RSS: 15.7, Duration: 3, PerReq: 12.5}
	codecs := []struct {
		name      string
		marshal   func(any) ([]byte, error)
		unmarshal func([]byte, any) error
	}{
		{"yaml", yaml.Marshal, yaml.Unmarshal},
		{"json", json.Marshal, json.Unmarshal},
	}
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			b, err := c.marshal(in)
			if err != nil {
				t.Fatal(err)
			}
			var got record
			if err := c.unmarshal(b, &got); err != nil {
				t.Fatalf("%v in %s", err, b)
			}
			if got != want {
				t.Errorf("read back %+v, want %+v (written %s)", got, want, b)
			}
			b2, err := c.marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if string(b2) != string(b) {
				t.Errorf("second write differs:\n%s\n%s", b, b2)
			}
		})
	}
}

func TestJSONNaNIsNull(t *testing.T) {
	b, err := json.Marshal(struct{ P Millis }{Millis(math.NaN())})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"P":null}` {
		t.Errorf("got %s", b)
	}
}
