package servers

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name      string
		change    func(*Config)
		wantField string // "" = valid
		wantMsg   string // what Error() reads
	}{
		{"defaults", func(*Config) {}, "", ""},
		{"port 0", func(c *Config) { c.Addr = "127.0.0.1:0" }, "", ""},
		{"ipv6", func(c *Config) { c.Addr = "[::1]:9000" }, "", ""},
		{"any host", func(c *Config) { c.Addr = ":9000" }, "", ""},
		{"queue 0", func(c *Config) { c.Queue = 0 }, "", ""},
		{"no read timeout", func(c *Config) { c.ReadTimeout = 0 }, "", ""},
		{"last ports", func(c *Config) { c.Addr = "127.0.0.1:65534"; c.Listeners = 2 }, "", ""},
		{"no port", func(c *Config) { c.Addr = "127.0.0.1" }, "addr", `addr: "127.0.0.1": address 127.0.0.1: missing port in address`},
		{"host name", func(c *Config) { c.Addr = "localhost:80" }, "addr", `addr: "localhost:80": host must be an IP address`},
		{"port range", func(c *Config) { c.Addr = "127.0.0.1:70000" }, "addr", `addr: "127.0.0.1:70000": port must be 0..65535`},
		{"backlog", func(c *Config) { c.Backlog = 0 }, "backlog", "backlog: must be at least 1"},
		{"workers", func(c *Config) { c.Workers = 0 }, "workers", "workers: must be at least 1"},
		{"queue", func(c *Config) { c.Queue = -1 }, "queue", "queue: must not be negative"},
		{"listeners 0", func(c *Config) { c.Listeners = 0 }, "listeners", "listeners: must be 1..64, not 0"},
		{"listeners 65", func(c *Config) { c.Listeners = 65 }, "listeners", "listeners: must be 1..64, not 65"},
		{"listeners past 65535", func(c *Config) { c.Addr = "127.0.0.1:65535"; c.Listeners = 2 }, "listeners", "listeners: 2 ports from port 65535 run past 65535"},
		{"read timeout", func(c *Config) { c.ReadTimeout = -time.Second }, "read_timeout", "read_timeout: must not be negative"},
		{"max header bytes", func(c *Config) { c.MaxHeaderBytes = 255 }, "max_header_bytes", "max_header_bytes: must be at least 256"},
		{"h2c with max streams", func(c *Config) { c.H2C, c.MaxStreams = true, 100 }, "", ""},
		{"max streams negative", func(c *Config) { c.H2C, c.MaxStreams = true, -1 }, "max_streams", "max_streams: must be 0..1048576 (0: the library's default), not -1"},
		{"max streams without h2c", func(c *Config) { c.MaxStreams = 10 }, "max_streams", "max_streams: is HTTP/2's SETTINGS_MAX_CONCURRENT_STREAMS; it needs h2c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.change(&c)
			err := c.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("Validate() = %v (%T), want a *ConfigError", err, err)
			}
			if ce.Field != tt.wantField || err.Error() != tt.wantMsg {
				t.Errorf("Validate() = field %q, %q; want field %q, %q", ce.Field, err, tt.wantField, tt.wantMsg)
			}
		})
	}
}

// TestConfigJSONNames pins the JSON names of the knobs: the runner hands
// them to the server child, and ConfigError.Field uses them.
func TestConfigJSONNames(t *testing.T) {
	b, err := json.Marshal(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"addr":"127.0.0.1:8080","backlog":1024,"workers":16,"queue":64,"keepalive":true,"listeners":1,` +
		`"reuseport":false,"read_timeout":30000000000,"max_header_bytes":8192}`
	if string(b) != want {
		t.Errorf("DefaultConfig as JSON:\n got %s\nwant %s", b, want)
	}
}

func TestListenAddrs(t *testing.T) {
	tests := []struct {
		addr      string
		listeners int
		want      []string
	}{
		{"127.0.0.1:8080", 1, []string{"127.0.0.1:8080"}},
		{"127.0.0.1:8080", 3, []string{"127.0.0.1:8080", "127.0.0.1:8081", "127.0.0.1:8082"}},
		{"127.0.0.1:0", 2, []string{"127.0.0.1:0", "127.0.0.1:0"}},
		{"[::1]:9000", 2, []string{"[::1]:9000", "[::1]:9001"}},
	}
	for _, tt := range tests {
		c := DefaultConfig()
		c.Addr, c.Listeners = tt.addr, tt.listeners
		got, err := c.ListenAddrs()
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("ListenAddrs(%s × %d) = %v, %v; want %v", tt.addr, tt.listeners, got, err, tt.want)
		}
	}
	c := DefaultConfig()
	c.Addr = "nonsense"
	if _, err := c.ListenAddrs(); err == nil {
		t.Error("ListenAddrs accepted an address without a port")
	}
}
