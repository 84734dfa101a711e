package probe

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
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
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1024), maxLine)
	d := NetDev{}
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if line <= 2 || len(b) == 0 {
			continue // the two header lines
		}
		name, rest, ok := bytes.Cut(b, []byte(":"))
		if !ok || len(bytes.TrimSpace(name)) == 0 {
			return nil, fmt.Errorf("line %d: %w: no \"iface:\" prefix", line, errFormat)
		}
		f := strings.Fields(string(rest))
		if len(f) < 16 {
			return nil, fmt.Errorf("line %d: %w: %d fields, want 16", line, errFormat, len(f))
		}
		var v [16]int64
		for i := range v {
			n, err := strconv.ParseInt(f[i], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("line %d: field %d: %w", line, i+1, err)
			}
			v[i] = n
		}
		d[string(bytes.TrimSpace(name))] = Iface{
			RxBytes: v[0], RxPackets: v[1], RxErrs: v[2], RxDrop: v[3],
			TxBytes: v[8], TxPackets: v[9], TxErrs: v[10], TxDrop: v[11],
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return d, nil
}

// NetDev reads /proc/PID/net/dev: the interfaces of pid's namespace.
func (fs FS) NetDev(pid int) (NetDev, error) {
	return readWith(fs, func(f *os.File) (NetDev, error) { return parseNetDev(f) }, pid, "net", "dev")
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
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1024), maxLine)
	var s Softnet
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) < 3 {
			return Softnet{}, fmt.Errorf("line %d: %w: %d columns, want at least 3", line, errFormat, len(f))
		}
		var v [3]int64
		for i := range v {
			n, err := strconv.ParseUint(f[i], 16, 32)
			if err != nil {
				return Softnet{}, fmt.Errorf("line %d: column %d: %w", line, i+1, err)
			}
			v[i] = int64(n)
		}
		s.Processed += v[0]
		s.Dropped += v[1]
		s.TimeSqueeze += v[2]
	}
	if err := sc.Err(); err != nil {
		return Softnet{}, err
	}
	return s, nil
}

// Softnet reads /proc/PID/net/softnet_stat (the same for every process:
// the host's per-CPU queues).
func (fs FS) Softnet(pid int) (Softnet, error) {
	return readWith(fs, func(f *os.File) (Softnet, error) { return parseSoftnet(f) }, pid, "net", "softnet_stat")
}
