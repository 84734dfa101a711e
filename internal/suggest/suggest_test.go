package suggest

import "testing"

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"", "ab", 2}, {"clients", "clients", 0},
		{"clinets", "clients", 1}, {"duration", "durtion", 1}, {"rate", "rtae", 1},
		{"kitten", "sitting", 3}, {"ca", "abc", 3},
	} {
		t.Run(tt.a+"/"+tt.b, func(t *testing.T) {
			if got := Distance(tt.a, tt.b); got != tt.want {
				t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if got := Distance(tt.b, tt.a); got != tt.want {
				t.Errorf("Distance(%q, %q) = %d, want %d (not symmetric)", tt.b, tt.a, got, tt.want)
			}
		})
	}
}

func TestNearest(t *testing.T) {
	names := []string{"clients", "duration", "rate", "keepalive", "connect-timeout", "p99"}
	for _, tt := range []struct{ name, want string }{
		{"clinets", "clients"},
		{"Clients", "clients"},
		{"keep-alive", "keepalive"},
		{"connect_timeout", "connect-timeout"},
		{"durration", "duration"},
		{"rat", "rate"},
		{"p9", "p99"},
		{"banana", ""},
		{"", ""},
		{"xy", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Nearest(tt.name, names); got != tt.want {
				t.Errorf("Nearest(%q) = %q, want %q", tt.name, got, tt.want)
			}
		})
	}
}
