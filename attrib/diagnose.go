package attrib

import (
	"fmt"

	"github.com/scalelab/scalelab/units"
)

// Diagnosis names a step's bottleneck: the saturated resource that is the
// root of what went wrong, and the chain of consequences that follows
// from it, each link with its numbers.
type Diagnosis struct {
	// Root is the bottleneck ("" when no resource ran out).
	Root Resource
	// Evidence are the measured facts that show Root ran out.
	Evidence []string
	// Chain lists the consequences, in order, e.g. "latency 200 ms above
	// the 100 ms timeout", "9,453 timeouts and reconnects", "accept queue
	// full of abandoned connections: ListenOverflows +1,872".
	Chain []string
	// Consequences are the saturated resources explained by Root.
	Consequences []Resource
	// Independent are other saturated resources Root does not explain
	// (e.g. the driver's CPU full beside the server's).
	Independent []Resource
	// RetryStorm says clients timed out, reconnected and left the server
	// working for requests nobody waited for any more.
	RetryStorm bool
}

// causes lists, for each resource, the resources whose saturation it can
// cause, and why (docs/design.md draws this graph).
var causes = map[Resource][]Resource{
	// A full CPU makes every wait longer: workers stay busy, the pool's
	// queue and the kernel's accept queue fill, the accept loop falls behind.
	ServerCPU: {Workers, PoolQueue, AcceptQueue, Loopback, StreamSlots},
	// Busy workers leave accepted connections in the pool's queue, and an
	// acceptor blocked on a full queue leaves them in the kernel's.
	Workers:   {PoolQueue, AcceptQueue},
	PoolQueue: {AcceptQueue},
	// A server out of descriptors cannot accept: connections wait in the
	// accept queue until it overflows.
	ServerFDs: {AcceptQueue},
	// A driver with a full CPU reads its sockets late: their data waits
	// in the loopback queues.
	DriverCPU: {Loopback},
}

// rootOrder breaks ties between independent roots: the limits that fail
// requests outright first, the ones that only slow them last.
var rootOrder = []Resource{ServerFDs, DriverFDs, Ports, AcceptQueue, Loopback, Workers, PoolQueue, StreamSlots, ServerCPU, DriverCPU}

// Diagnose finds the root among the saturated resources of the step: the
// one no other saturated resource explains. The accept queue, say, is the
// root only when the server had CPU and workers to spare and descriptors
// left while its queue overflowed (a burst of connects).
func (s Step) Diagnose() Diagnosis {
	saturated := map[Resource]Use{}
	for _, u := range s.USE() {
		if u.Saturated {
			saturated[u.Resource] = u
		}
	}
	explained := map[Resource]Resource{}
	for from := range saturated {
		for _, to := range causes[from] {
			if _, ok := saturated[to]; ok && to != from {
				explained[to] = from
			}
		}
	}
	// A pool that leaves clients with no answer at all ties its workers
	// to connections: that is its own limit, however busy the CPU.
	if s.ClientsStarved > 0 && explained[Workers] == ServerCPU {
		delete(explained, Workers)
	}
	var d Diagnosis
	for _, r := range rootOrder {
		if _, ok := saturated[r]; !ok {
			continue
		}
		if _, ok := explained[r]; ok {
			continue
		}
		if d.Root == "" {
			d.Root = r
		} else {
			d.Independent = append(d.Independent, r)
		}
	}
	if d.Root == "" {
		return d
	}
	d.Evidence = s.rootEvidence(d.Root)
	d.Consequences = reachable(d.Root, saturated)
	d.Chain, d.RetryStorm = s.chain(d.Root, saturated)
	return d
}

// reachable lists the saturated resources root explains, directly or
// through another.
func reachable(root Resource, saturated map[Resource]Use) []Resource {
	var out []Resource
	seen := map[Resource]bool{root: true}
	queue := []Resource{root}
	for len(queue) > 0 {
		r := queue[0]
		queue = queue[1:]
		for _, to := range causes[r] {
			if _, ok := saturated[to]; ok && !seen[to] {
				seen[to] = true
				out = append(out, to)
				queue = append(queue, to)
			}
		}
	}
	return out
}

// rootEvidence is the evidence of the root resource's limit.
func (s Step) rootEvidence(r Resource) []string {
	var ev []string
	if r != StreamSlots { // the queueing rule reads a pool; stream slots have their USE line
		ev = rules[r.Limit()](s)
	}
	if len(ev) == 0 {
		// The limit's classic evidence did not move (e.g. busy workers
		// without starved clients): say what the USE table saw.
		u, _ := s.Use(r)
		line := fmt.Sprintf("%s %s", r, u.Used)
		if u.Saturation != "" {
			line += "; " + u.Saturation
		}
		ev = []string{line}
	}
	return ev
}

// chain follows the consequences of root with their numbers.
func (s Step) chain(root Resource, saturated map[Resource]Use) (links []string, storm bool) {
	little := s.Little()
	timeouts := s.Errors["read_timeout"]
	slow := little.Measured > 0 && s.Server.HandlerMS.Mean > 0 && float64(little.Measured) > 2*float64(s.Server.HandlerMS.Mean)
	if slow && (root == ServerCPU || root == Workers || root == PoolQueue) {
		links = append(links, fmt.Sprintf("requests waited: mean latency %s (Little's law: %s / %s rps = %s) against %s in the handler",
			little.Measured, little.InSystem(), units.Rate(float64(little.Throughput)), little.Predicted, s.Server.HandlerMS.Mean))
	}
	reconnects := s.Connects - int64(s.Clients)
	if timeouts > 0 {
		links = append(links, fmt.Sprintf("%s requests outlasted the timeout", units.Int(timeouts)))
		if reconnects > timeouts/2 && reconnects > 0 {
			links = append(links, fmt.Sprintf("their clients closed and reconnected: %s new connections in the window", units.Int(s.Connects)))
		}
	}
	if u, ok := saturated[AcceptQueue]; ok && root != AcceptQueue {
		what := "the accept queue filled"
		if timeouts > 0 && reconnects > 0 {
			what = "abandoned and new connections filled the accept queue"
		}
		link := fmt.Sprintf("%s (%s)", what, u.Used)
		if u.Errors > 0 {
			link += fmt.Sprintf(": ListenOverflows +%s", units.Int(u.Errors))
		}
		links = append(links, link)
	}
	if u, ok := saturated[StreamSlots]; ok && root != StreamSlots {
		links = append(links, fmt.Sprintf("streams stayed open longer and filled the h2 stream slots (%s): %s", u.Used, u.Saturation))
	}
	if s.ClientsStarved > 0 && root != Workers && root != ServerFDs { // their own evidence says it
		links = append(links, fmt.Sprintf("%s of %s clients got no answer", units.Int(s.ClientsStarved), units.Int(s.Clients)))
	}
	g := s.Goodput()
	if g.Wasted >= WastedWork && timeouts > 0 {
		storm = true
		links = append(links, g.String(s.DurationS)+": a retry storm, the server's work goes to requests already given up")
	}
	return links, storm
}

// WastedWork is the share of a server's answers that no client received
// above which a step with timeouts is called a retry storm.
const WastedWork = 0.5
