package attrib

import "strings"

// Setup is what ran, as far as the advice needs it.
type Setup struct {
	// Variant is the server variant ("naive", "pool", "nethttp",
	// "fasthttp", "gnet").
	Variant string
	// KeepAlive says whether the driver kept connections open.
	KeepAlive bool
}

// cheaper lists the variants from the costliest per request to the
// cheapest, as measured here (requests per server CPU-second against
// nginx: naive 0.35x, net/http 0.48x, fasthttp 0.85x, pool 0.90x, gnet
// 1.02x; docs/design.md).
var cheaper = []string{"naive", "nethttp", "fasthttp", "pool", "gnet"}

// phaseOf names the ladder's rung of a variant.
var phaseOf = map[string]string{"nethttp": "phase 6", "fasthttp": "phase 7", "gnet": "phase 8", "pool": "phase 3"}

// Advise suggests the next rung after a phase capped by limit at resource,
// on the side that ran out, never the variant already in use; after a
// retry storm it suggests what helps against one, not a bigger queue.
func Advise(limit Limit, resource Resource, retryStorm bool, setup Setup) string {
	if retryStorm {
		return "This is a retry storm: requests outlast the clients' timeout, the clients give up and reconnect, and the server " +
			"spends its work on requests nobody waits for. A bigger queue makes it worse. What helps: fewer clients, a longer " +
			"driver.timeout, a cheaper handler, or admission control (refuse early, e.g. answer 503 when a bounded queue is full)."
	}
	switch limit {
	case FD:
		if resource == DriverFDs {
			return "The load generator ran out of descriptors, not the server: raise limits.driver_nofile above the connections " +
				"it opens at once (each connection costs the driver one descriptor)."
		}
		return "Raise RLIMIT_NOFILE (limits.nofile) above the connections the server must hold at once: " +
			"each open connection costs one descriptor on each side (phase 6 runs with nofile 20,000)."
	case Port:
		if !setup.KeepAlive {
			return "Stop spending a port per request: keep connections open (driver.keepalive: true, phase 3), " +
				"spread clients over more server ports (server.listeners) or more client addresses (driver.hosts, phase 12), " +
				"or widen limits.port_range and let the kernel reuse TIME_WAIT ports (tcp_tw_reuse 1)."
		}
		return "Each connection holds a port of one client address: spread clients over more server ports (server.listeners) " +
			"or more client addresses (driver.hosts, phase 12), or widen limits.port_range."
	case Backlog:
		if resource == Loopback {
			return "Packets were dropped before any listener saw them: raise net.core.netdev_max_backlog, or spread the connects (driver.ramp)."
		}
		return "Let the accept queue absorb the burst: raise server.backlog and limits.somaxconn together, " +
			"accept faster, or spread the connects over a ramp (driver.ramp)."
	case Queueing:
		if setup.Variant == "pool" {
			return "Stop tying a worker to each open connection: serve with a goroutine per connection " +
				"(phase 6, net/http) or an event loop (phase 8, gnet), or size the pool (server.workers) for the clients you expect."
		}
		return "Requests wait for a free worker: add workers, or serve without a fixed pool."
	case CPU:
		return cpuAdvice(setup.Variant)
	case Client:
		return "The driver, not the server, is saturated: give it more CPU or split it into shards " +
			"(--shard i/N) before drawing conclusions about the server."
	}
	return "No limit was reached: extend the sweep to more clients (sweep.clients) or use a costlier handler (driver.path)."
}

// cpuAdvice suggests the variants cheaper than the one in use.
func cpuAdvice(variant string) string {
	var options []string
	found := false
	for _, v := range cheaper {
		if found {
			opt := v
			if p, ok := phaseOf[v]; ok {
				opt += " (" + p + ")"
			}
			options = append(options, opt)
		}
		found = found || v == variant
	}
	switch {
	case !found:
		return "Spend less CPU per request (phase 7, fasthttp; phase 8, gnet) or give the server more cores; " +
			"more clients will only add latency."
	case len(options) == 0:
		return "The server's cores are full and " + variant + " is the cheapest variant the lab has: spend less CPU " +
			"per request in the handler, or give the server more cores; more clients will only add latency."
	}
	return "Spend less CPU per request: " + strings.Join(options, ", ") + " cost less than " + variant +
		" here; or give the server more cores. More clients will only add latency."
}
