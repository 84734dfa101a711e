package probe

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// parseSockstat parses /proc/net/sockstat or sockstat6: lines of
// "PROTO: key value key value ...", as in "TCP: inuse 3 orphan 0 tw 12 alloc 5 mem 1".
func parseSockstat(r io.Reader) (Counters, error) {
	c := Counters{}
	_, err := eachLine(r, func(n int, b []byte) error {
		if len(bytes.TrimSpace(b)) == 0 {
			return nil
		}
		sec, kv, err := splitSection(b)
		if err != nil {
			return err
		}
		if len(kv)%2 != 0 {
			return fmt.Errorf("%w: %s has an odd number of key/value fields", errFormat, sec)
		}
		m := c.section(sec, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			v, err := strconv.ParseInt(kv[i+1], 10, 64)
			if err != nil {
				return fmt.Errorf("%s %s: %w", sec, kv[i], err)
			}
			m[kv[i]] = v
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Sockstat holds the socket gauges of one network namespace. TCP counts are
// per namespace; TimeWait and Orphan cover IPv4 and IPv6 sockets alike.
type Sockstat struct {
	// SocketsUsed is the number of sockets of all kinds ("sockets: used").
	SocketsUsed int64 `proc:"-"`
	// TCPInUse is the number of IPv4 TCP sockets, listeners included.
	TCPInUse int64 `proc:"inuse"`
	// TCP6InUse is the number of IPv6 TCP sockets (from sockstat6).
	TCP6InUse int64 `proc:"-"`
	// Orphan is the number of TCP sockets no longer attached to a file
	// descriptor (closed, still sending or waiting for FIN).
	Orphan int64 `proc:"orphan"`
	// TimeWait ("tw") is the number of timewait minisockets: sockets in
	// TIME_WAIT plus FIN_WAIT2 sockets already closed by their owner. Each
	// holds its port: the port-exhaustion evidence.
	TimeWait int64 `proc:"tw"`
	// Alloc is the number of TCP sockets allocated (any state, IPv4 and IPv6).
	Alloc int64 `proc:"alloc"`
	// MemPages is TCP buffer memory in pages.
	MemPages int64 `proc:"mem"`
}

// sockstatFrom extracts the typed gauges from sockstat (and, when not nil,
// sockstat6) tables; missing names are returned as "TCP.tw" and so on.
func sockstatFrom(v4, v6 Counters) (s Sockstat, missing []string) {
	if v, ok := v4.Get("sockets", "used"); ok {
		s.SocketsUsed = v
	} else {
		missing = append(missing, "sockets.used")
	}
	missing = append(missing, fill(v4, "TCP", &s)...)
	if v6 != nil {
		if v, ok := v6.Get("TCP6", "inuse"); ok {
			s.TCP6InUse = v
		} else {
			missing = append(missing, "TCP6.inuse")
		}
	}
	return s, missing
}

// Sockstat reads /proc/PID/net/sockstat and sockstat6 of the namespace
// process pid lives in. A missing sockstat6 (IPv6 disabled) and fields the
// kernel did not report are returned as warnings; only an unreadable
// sockstat is an error.
func (fs FS) Sockstat(pid int) (Sockstat, []string, error) {
	v4, err := readWith(fs, parseSockstat, pid, "net", "sockstat")
	if err != nil {
		return Sockstat{}, nil, err
	}
	var warn []string
	v6, err := readWith(fs, parseSockstat, pid, "net", "sockstat6")
	if err != nil {
		warn = append(warn, err.Error())
		v6 = nil
	}
	s, missing := sockstatFrom(v4, v6)
	for _, m := range missing {
		warn = append(warn, fmt.Sprintf("%s: no field %s", fs.path(pid, "net", "sockstat"), m))
	}
	return s, warn, nil
}
