package servers

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestReadSpec(t *testing.T) {
	tests := []struct {
		name      string
		json      string
		wantField string // the ConfigError's field; "" with wantErr: another error
		wantErr   string // "" = valid
		check     func(t *testing.T, s Spec)
	}{
		{
			name: "full",
			json: `{"variant":"pool","config":{"addr":"127.0.0.1:0","backlog":16,"workers":4,"queue":2,"keepalive":false,` +
				`"listeners":2,"reuseport":true,"read_timeout":1500000000,"max_header_bytes":4096},"stats":"/tmp/s.sock"}`,
			check: func(t *testing.T, s Spec) {
				want := Config{Addr: "127.0.0.1:0", Backlog: 16, Workers: 4, Queue: 2, KeepAlive: false, Listeners: 2,
					ReusePort: true, ReadTimeout: 1500 * time.Millisecond, MaxHeaderBytes: 4096}
				if s.Variant != "pool" || s.Stats != "/tmp/s.sock" || s.Config != want {
					t.Errorf("got %+v, want pool, /tmp/s.sock, %+v", s, want)
				}
			},
		},
		{
			name: "defaults fill the gaps",
			json: `{"variant":"gnet","config":{"backlog":128}}`,
			check: func(t *testing.T, s Spec) {
				want := DefaultConfig()
				want.Backlog = 128
				if s.Config != want || s.Stats != "" {
					t.Errorf("got %+v, want %+v and no stats", s, want)
				}
			},
		},
		{name: "no variant", json: `{"config":{}}`, wantField: "variant", wantErr: "variant: missing"},
		{name: "bad knob", json: `{"variant":"pool","config":{"workers":0}}`, wantField: "workers", wantErr: "workers: must be at least 1"},
		{name: "misspelt knob", json: `{"variant":"pool","config":{"worker":4}}`, wantErr: `unknown field "worker"`},
		{name: "wrong type", json: `{"variant":"pool","config":{"read_timeout":"1s"}}`, wantErr: "read_timeout"},
		{name: "stats path too long", json: `{"variant":"pool","stats":"/` + strings.Repeat("s", 107) + `"}`,
			wantField: "stats", wantErr: "longer than the 107"},
		{name: "not JSON", json: `variant: pool`, wantErr: "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ReadSpec(strings.NewReader(tt.json))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ReadSpec: %v", err)
				}
				tt.check(t, s)
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ReadSpec = %v, want an error containing %q", err, tt.wantErr)
			}
			var ce *ConfigError
			if errors.As(err, &ce) != (tt.wantField != "") || (ce != nil && ce.Field != tt.wantField) {
				t.Errorf("ReadSpec = %v (%#v), want a ConfigError on field %q", err, ce, tt.wantField)
			}
		})
	}
}

// TestSpecRoundTrip: what the runner writes is what the child reads.
func TestSpecRoundTrip(t *testing.T) {
	in := Spec{Variant: "nethttp", Config: DefaultConfig(), Stats: "/run/s.sock"}
	in.Config.ReadTimeout = 250 * time.Millisecond
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ReadSpec(strings.NewReader(string(b)))
	if err != nil || out != in {
		t.Errorf("round trip of %s: %+v, %v", b, out, err)
	}
}

func TestReadyJSON(t *testing.T) {
	r := Ready{Ready: true, Variant: "gnet", Addrs: []string{"127.0.0.1:8080", "127.0.0.1:8081"}, PID: 42}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"ready":true,"variant":"gnet","addrs":["127.0.0.1:8080","127.0.0.1:8081"],"pid":42}`
	if string(b) != want {
		t.Errorf("Ready as JSON:\n got %s\nwant %s", b, want)
	}
}
