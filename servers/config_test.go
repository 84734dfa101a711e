package servers

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*Config)
		wantErr string // "" = valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"port 0", func(c *Config) { c.Addr = "127.0.0.1:0" }, ""},
		{"ipv6", func(c *Config) { c.Addr = "[::1]:9000" }, ""},
		{"any host", func(c *Config) { c.Addr = ":9000" }, ""},
		{"queue 0", func(c *Config) { c.Queue = 0 }, ""},
		{"no read timeout", func(c *Config) { c.ReadTimeout = 0 }, ""},
		{"last ports", func(c *Config) { c.Addr = "127.0.0.1:65534"; c.Listeners = 2 }, ""},
		{"no port", func(c *Config) { c.Addr = "127.0.0.1" }, "--addr"},
		{"host name", func(c *Config) { c.Addr = "localhost:80" }, "--addr"},
		{"port range", func(c *Config) { c.Addr = "127.0.0.1:70000" }, "--addr"},
		{"backlog", func(c *Config) { c.Backlog = 0 }, "--backlog"},
		{"workers", func(c *Config) { c.Workers = 0 }, "--workers"},
		{"queue", func(c *Config) { c.Queue = -1 }, "--queue"},
		{"listeners 0", func(c *Config) { c.Listeners = 0 }, "--listeners"},
		{"listeners 65", func(c *Config) { c.Listeners = 65 }, "--listeners"},
		{"listeners past 65535", func(c *Config) { c.Addr = "127.0.0.1:65535"; c.Listeners = 2 }, "--listeners"},
		{"read timeout", func(c *Config) { c.ReadTimeout = -time.Second }, "--read-timeout"},
		{"max header bytes", func(c *Config) { c.MaxHeaderBytes = 255 }, "--max-header-bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.change(&c)
			err := c.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Validate() = %v, want an error naming %s", err, tt.wantErr)
			}
		})
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
