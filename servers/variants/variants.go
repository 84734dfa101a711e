// Package variants maps the names of the lab's server variants to their
// constructors.
package variants

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/scalelab/scalelab/servers"
	"github.com/scalelab/scalelab/servers/fasthttp"
	"github.com/scalelab/scalelab/servers/gnet"
	"github.com/scalelab/scalelab/servers/naive"
	"github.com/scalelab/scalelab/servers/nethttp"
	"github.com/scalelab/scalelab/servers/pool"
)

var factories = map[string]servers.Factory{
	"naive":    naive.New,
	"pool":     pool.New,
	"nethttp":  nethttp.New,
	"fasthttp": fasthttp.New,
	"gnet":     gnet.New,
}

// Names lists the variants in a stable order.
func Names() []string { return slices.Sorted(maps.Keys(factories)) }

// Lookup returns the constructor of the named variant. An unknown name is a
// *servers.ConfigError on the field "variant".
func Lookup(name string) (servers.Factory, error) {
	f, ok := factories[name]
	if !ok {
		return nil, &servers.ConfigError{
			Field: "variant",
			Msg:   fmt.Sprintf("unknown server variant %q (want one of: %s)", name, strings.Join(Names(), ", ")),
		}
	}
	return f, nil
}

// Check validates a spec as Spec.Validate does and checks that its variant
// exists and can honour its knobs (h2c): what a server child checks before
// it starts.
func Check(spec servers.Spec) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	if _, err := Lookup(spec.Variant); err != nil {
		return err
	}
	return spec.Config.CheckVariant(spec.Variant)
}

// New builds the named variant.
func New(name string, cfg servers.Config, st *servers.Stats) (servers.Server, error) {
	f, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return f(cfg, st)
}
