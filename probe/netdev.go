package probe

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// Iface holds the counters of one network interface from /proc/net/dev.
type Iface struct {
	RxBytes, RxPackets, RxErrs, RxDrop int64
	TxBytes, TxPackets, TxErrs, TxDrop int64
}

// NetDev maps interface names ("lo", "eth0") to their counters; it is
// per network namespace.
type NetDev map[string]Iface

// parseNetDev parses /proc/net/dev: two header lines, then one line per
// interface, "name: 16 numbers" (8 receive, 8 transmit).
func parseNetDev(r io.Reader) (NetDev, error) {
	d := NetDev{}
	_, err := eachLine(r, func(n int, b []byte) error {
		b = bytes.TrimSpace(b)
		if n <= 2 || len(b) == 0 {
			return nil // the two header lines
		}
		name, rest, ok := bytes.Cut(b, []byte(":"))
		if !ok || len(bytes.TrimSpace(name)) == 0 {
			return fmt.Errorf("%w: no \"iface:\" prefix", errFormat)
		}
		var v [16]int64
		if err := parseInts(strings.Fields(string(rest)), 10, v[:]); err != nil {
			return err
		}
		d[string(bytes.TrimSpace(name))] = Iface{
			RxBytes: v[0], RxPackets: v[1], RxErrs: v[2], RxDrop: v[3],
			TxBytes: v[8], TxPackets: v[9], TxErrs: v[10], TxDrop: v[11],
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// NetDev reads /proc/PID/net/dev: the interfaces of pid's namespace.
func (fs FS) NetDev(pid int) (NetDev, error) {
	return readWith(fs, parseNetDev, pid, "net", "dev")
}

// Softnet sums /proc/net/softnet_stat over the CPUs: packets the kernel
// processed from its per-CPU backlog queues, packets it dropped because a
// queue was full (net.core.netdev_max_backlog), and the times its budget
// ran out with work left. Loopback traffic goes through these queues, so
// a drop here costs a connect one SYN retransmit (about 1 s) with
// ListenOverflows still at 0. The counters are the host's, not a
// namespace's.
type Softnet struct {
	Processed, Dropped, TimeSqueeze int64
}

// parseSoftnet parses softnet_stat: one line per CPU of hexadecimal
// columns, the first three processed, dropped and time_squeeze.
func parseSoftnet(r io.Reader) (Softnet, error) {
	var s Softnet
	_, err := eachLine(r, func(n int, b []byte) error {
		f := strings.Fields(string(b))
		if len(f) == 0 {
			return nil
		}
		var v [3]int64
		if err := parseInts(f, 16, v[:]); err != nil {
			return err
		}
		s.Processed += v[0]
		s.Dropped += v[1]
		s.TimeSqueeze += v[2]
		return nil
	})
	if err != nil {
		return Softnet{}, err
	}
	return s, nil
}

// Softnet reads /proc/PID/net/softnet_stat (the same for every process:
// the host's per-CPU queues).
func (fs FS) Softnet(pid int) (Softnet, error) {
	return readWith(fs, parseSoftnet, pid, "net", "softnet_stat")
}
