// Package attrib turns the numbers measured during one step of a phase into
// a verdict: which limit (fd, port, backlog, queueing, cpu, client) stopped
// the server from doing better, with the measured facts that prove it.
//
// Everything here is a pure function of numbers: no I/O, no clocks. The
// rules follow the evidence table of the lab's design (section 6).
package attrib

import "fmt"

// Limit names what caps a step.
type Limit string

// The limits the lab can prove, and none.
const (
	None     Limit = "none"
	FD       Limit = "fd"
	Port     Limit = "port"
	Backlog  Limit = "backlog"
	Queueing Limit = "queueing"
	CPU      Limit = "cpu"
	Client   Limit = "client"
)

// Order is the order in which limits are checked: when several moved, the
// first one is the verdict and the others are listed beside it.
var Order = []Limit{FD, Port, Backlog, Queueing, CPU, Client}

// ParseLimit checks that s names a limit.
func ParseLimit(s string) (Limit, error) {
	l := Limit(s)
	if l == None {
		return l, nil
	}
	for _, o := range Order {
		if l == o {
			return l, nil
		}
	}
	return "", fmt.Errorf("unknown limit %q (want none, fd, port, backlog, queueing, cpu or client)", s)
}

// NextRung suggests what to try after a step capped by l.
func NextRung(l Limit) string {
	switch l {
	case FD:
		return "raise the server's nofile limit (limits.nofile) above the connections it must hold at once"
	case Port:
		return "keep connections alive (driver.keepalive: true), spread clients over more ports (server.listeners) or widen limits.port_range / set tcp_tw_reuse 1"
	case Backlog:
		return "raise server.backlog and limits.somaxconn, or stagger the connects (driver.ramp)"
	case Queueing:
		return "more workers, or a variant that does not tie a worker to a connection (nethttp, fasthttp, gnet: phases 6-8)"
	case CPU:
		return "a cheaper variant (fasthttp, gnet) or more cores for the server"
	case Client:
		return "the result is about the load generator, not the server: give the driver more CPU, or shard it over several processes (--shard)"
	}
	return "raise the load: more clients (sweep.clients) or a costlier handler (driver.path)"
}
