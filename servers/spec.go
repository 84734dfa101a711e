package servers

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// maxSocketPath is the longest path a unix socket can be bound to on Linux:
// sun_path holds 108 bytes with the terminating NUL.
const maxSocketPath = 107

// Spec is everything a server process needs to serve: the variant, its knobs
// and where to serve statistics. The runner hands it to the server child as
// one JSON object on stdin:
//
//	{"variant":"pool","config":{"addr":"127.0.0.1:8080","backlog":1024,...},"stats":"/tmp/x/stats.sock"}
type Spec struct {
	// Variant names the server variant (package variants knows them).
	Variant string `json:"variant"`
	// Config holds the knobs.
	Config Config `json:"config"`
	// Stats is the unix socket path of the statistics side channel; empty:
	// no side channel.
	Stats string `json:"stats,omitempty"`
}

// Validate reports the first field without a sensible value as a
// *ConfigError: "variant" or "stats" for the spec's own fields, the knob's
// JSON name for a knob. Whether the variant exists is for package variants
// to say (variants.Lookup).
func (s Spec) Validate() error {
	switch {
	case s.Variant == "":
		return configErr("variant", "missing")
	case len(s.Stats) > maxSocketPath:
		return configErr("stats", "socket path of %d bytes is longer than the %d a unix socket allows", len(s.Stats), maxSocketPath)
	case strings.IndexByte(s.Stats, 0) >= 0:
		return configErr("stats", "socket path contains a NUL byte")
	}
	return s.Config.Validate()
}

// ReadSpec reads one Spec as JSON from r and validates it. Knobs the JSON
// leaves out keep their defaults (DefaultConfig); a field the Spec does not
// have is an error naming it, so a misspelt knob is never silently dropped.
func ReadSpec(r io.Reader) (Spec, error) {
	spec := Spec{Config: DefaultConfig()}
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&spec); err != nil {
		return Spec{}, fmt.Errorf("server spec: %w", err)
	}
	if err := spec.Validate(); err != nil {
		return Spec{}, fmt.Errorf("server spec: %w", err)
	}
	return spec, nil
}

// Ready is the line a server child prints on stdout, as one JSON object,
// once it serves: every listener accepts connections and the statistics
// side channel (when asked for) answers. The runner waits for it before it
// sends load; anything the child printed before it is log output.
//
//	{"ready":true,"variant":"pool","addrs":["127.0.0.1:8080"],"stats":"/tmp/x/stats.sock","pid":4242}
type Ready struct {
	// Ready is always true; it makes the line recognisable.
	Ready bool `json:"ready"`
	// Variant is the variant serving.
	Variant string `json:"variant"`
	// Addrs are the bound listen addresses (ports resolved when port 0
	// was asked for), one per listener.
	Addrs []string `json:"addrs"`
	// Stats is the statistics socket path, empty without a side channel.
	Stats string `json:"stats,omitempty"`
	// PID is the server's process id.
	PID int `json:"pid"`
}
