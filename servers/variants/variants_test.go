package variants_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/scalelab/scalelab/servers"
	"github.com/scalelab/scalelab/servers/variants"
)

func TestCheck(t *testing.T) {
	valid := servers.Spec{Variant: "gnet", Config: servers.DefaultConfig()}
	tests := []struct {
		name      string
		change    func(*servers.Spec)
		wantField string // "" = valid
		wantMsg   string
	}{
		{"valid", func(*servers.Spec) {}, "", ""},
		{"unknown variant", func(s *servers.Spec) { s.Variant = "apache" }, "variant",
			`variant: unknown server variant "apache" (want one of: fasthttp, gnet, naive, nethttp, pool)`},
		{"no variant", func(s *servers.Spec) { s.Variant = "" }, "variant", "variant: missing"},
		{"bad knob", func(s *servers.Spec) { s.Config.Backlog = 0 }, "backlog", "backlog: must be at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := valid
			tt.change(&spec)
			err := variants.Check(spec)
			if tt.wantField == "" {
				if err != nil {
					t.Errorf("Check = %v", err)
				}
				return
			}
			var ce *servers.ConfigError
			if !errors.As(err, &ce) || ce.Field != tt.wantField || err.Error() != tt.wantMsg {
				t.Errorf("Check = %v, want a ConfigError on %q reading %q", err, tt.wantField, tt.wantMsg)
			}
		})
	}
}

// TestNewNamesTheVariant: a factory's refusal names the variant.
func TestNewNamesTheVariant(t *testing.T) {
	for _, name := range variants.Names() {
		cfg := servers.DefaultConfig()
		cfg.Workers = 0
		_, err := variants.New(name, cfg, servers.NewStats())
		if err == nil || !strings.Contains(err.Error(), "workers: must be at least 1") {
			t.Errorf("%s with 0 workers: %v", name, err)
		}
		f, err := variants.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f(servers.DefaultConfig(), nil); err == nil || !strings.HasPrefix(err.Error(), name+": ") {
			t.Errorf("%s without stats: %v, want an error naming the variant", name, err)
		}
	}
}
