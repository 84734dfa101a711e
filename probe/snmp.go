package probe

// SNMP reads /proc/PID/net/snmp (Ip, Icmp, Tcp, Udp, ...): the RFC 1213
// counters of the network namespace process pid lives in.
func (fs FS) SNMP(pid int) (Counters, error) { return fs.counters(pid, "snmp") }

// TCP holds the Tcp counters of /proc/net/snmp the lab uses.
type TCP struct {
	// ActiveOpens counts connect()s (SYN_SENT transitions).
	ActiveOpens int64
	// PassiveOpens counts connections accepted by the kernel (SYN_RECV).
	PassiveOpens int64
	// AttemptFails counts connection attempts that failed (reset or timed
	// out in SYN_SENT/SYN_RECV).
	AttemptFails int64
	// EstabResets counts resets of established or CLOSE_WAIT connections.
	EstabResets int64
	// CurrEstab is a gauge: connections now ESTABLISHED or CLOSE_WAIT.
	CurrEstab int64
	// InSegs counts segments received.
	InSegs int64
	// OutSegs counts segments sent.
	OutSegs int64
	// RetransSegs counts segments retransmitted.
	RetransSegs int64
	// InErrs counts segments received with errors.
	InErrs int64
	// OutRsts counts resets sent.
	OutRsts int64
}

// TCP extracts the typed Tcp counters from an snmp table (or a delta of
// two). Fields the kernel did not report stay 0 and are returned as
// "Tcp.Name" in missing.
func (c Counters) TCP() (TCP, []string) { return sectionOf[TCP](c, "Tcp") }
