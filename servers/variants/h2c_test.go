package variants

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/scalelab/scalelab/servers"
)

// TestH2CRefused: only the variants that speak HTTP/2 take h2c; the others
// refuse it with a ConfigError on "h2c" that names who serves it, both when
// a spec is checked and when the variant is built.
func TestH2CRefused(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			cfg := servers.DefaultConfig()
			cfg.Addr, cfg.H2C = "127.0.0.1:0", true
			checkErr := Check(servers.Spec{Variant: name, Config: cfg})
			_, newErr := New(name, cfg, servers.NewStats())
			if slices.Contains(servers.H2CVariants, name) {
				if checkErr != nil || newErr != nil {
					t.Fatalf("%s serves h2c, but: check %v, new %v", name, checkErr, newErr)
				}
				return
			}
			for _, err := range []error{checkErr, newErr} {
				var ce *servers.ConfigError
				if !errors.As(err, &ce) || ce.Field != "h2c" || !strings.Contains(ce.Msg, "HTTP/1.1 only") || !strings.Contains(ce.Msg, "nethttp") {
					t.Errorf("%s with h2c: %v, want a ConfigError on h2c naming nethttp", name, err)
				}
			}
		})
	}
}
