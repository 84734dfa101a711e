// Package attrib turns the numbers measured during one step of a phase into
// a verdict: which limit (fd, port, backlog, queueing, cpu, client) stopped
// the server from doing better, with the measured facts that prove it.
//
// attrib owns the lab's vocabulary: the limits, the states of a step, the
// outcomes of a hypothesis, the measured record of a step with its typed
// evidence (Step), the verdict and the summary of a phase. The phase files,
// the runner, the scorecards and the report all use these types.
//
// Everything here is a pure function of numbers: no I/O, no clocks. The
// rules follow the evidence table of the lab's design (section 6).
package attrib

import (
	"fmt"
	"strings"
)

// Limit names what caps a step.
type Limit string

// The limits the lab can prove, and none.
const (
	None     Limit = "none"     // nothing capped the step
	FD       Limit = "fd"       // file descriptors, server's or driver's
	Port     Limit = "port"     // the client ran out of ephemeral ports
	Backlog  Limit = "backlog"  // the listen (accept) queue overflowed
	Queueing Limit = "queueing" // every worker busy, requests wait in line
	CPU      Limit = "cpu"      // the server's cores are full
	Client   Limit = "client"   // the load generator itself is the bottleneck
)

// Order is the order in which limits are checked: when several moved, the
// first one is the verdict and the others are listed beside it.
var Order = []Limit{FD, Port, Backlog, Queueing, CPU, Client}

// Known reports whether l is one of Order or None.
func (l Limit) Known() bool {
	if l == None {
		return true
	}
	for _, o := range Order {
		if l == o {
			return true
		}
	}
	return false
}

// Choices lists the limit names for messages: "none | fd | port | ...".
func Choices() string {
	names := []string{string(None)}
	for _, l := range Order {
		names = append(names, string(l))
	}
	return strings.Join(names, " | ")
}

// ParseLimit checks that s names a limit.
func ParseLimit(s string) (Limit, error) {
	if l := Limit(s); l.Known() {
		return l, nil
	}
	return "", fmt.Errorf("unknown limit %q (want %s)", s, Choices())
}

// State says whether a step held up, saturated or dropped.
type State string

// The states of a step.
const (
	// Clean: the step held its success rate and its throughput grew (or
	// it is the first step).
	Clean State = "clean"
	// Saturated: more clients only waited longer — throughput flat while
	// latency grew.
	Saturated State = "saturated"
	// Dropped: success fell below the threshold, clients starved, or
	// throughput fell while clients grew.
	Dropped State = "dropped"
)

// Known reports whether s is a state; the empty state (not judged) counts.
func (s State) Known() bool {
	switch s {
	case "", Clean, Saturated, Dropped:
		return true
	}
	return false
}

// Outcome is what a run says about its phase's hypothesis.
type Outcome string

// The outcomes of a hypothesis.
const (
	Confirmed    Outcome = "confirmed"    // the limit expected is the limit found
	Refuted      Outcome = "refuted"      // another limit, or none, was found
	Inconclusive Outcome = "inconclusive" // the evidence does not decide
)

// Known reports whether o is an outcome; the empty one (not decided yet)
// counts.
func (o Outcome) Known() bool {
	switch o {
	case "", Confirmed, Refuted, Inconclusive:
		return true
	}
	return false
}
