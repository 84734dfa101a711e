package probe

// NetStat reads /proc/PID/net/netstat (TcpExt, IpExt, MPTcpExt, ...): the
// extended TCP/IP counters of the network namespace process pid lives in.
func (fs FS) NetStat(pid int) (Counters, error) { return fs.counters(pid, "netstat") }

// TCPExt holds the TcpExt counters the lab uses as evidence (names as the
// kernel spells them; see Documentation/networking/snmp_counter.rst).
type TCPExt struct {
	// ListenOverflows counts SYNs or final ACKs dropped because a listener's
	// accept queue was full: the backlog evidence.
	ListenOverflows int64
	// ListenDrops counts every drop at a listener, overflows included.
	ListenDrops int64
	// TCPReqQFullDrop counts SYNs dropped because the SYN queue was full and
	// syncookies were off (absent on old kernels).
	TCPReqQFullDrop int64
	// TCPReqQFullDoCookies counts SYNs answered with a syncookie because the
	// SYN queue was full.
	TCPReqQFullDoCookies int64
	// SyncookiesSent counts syncookies sent.
	SyncookiesSent int64
	// SyncookiesRecv counts valid syncookies received.
	SyncookiesRecv int64
	// SyncookiesFailed counts invalid syncookies received.
	SyncookiesFailed int64
	// EmbryonicRsts counts resets received for connections in SYN_RECV.
	EmbryonicRsts int64
	// TCPTimeouts counts retransmission timeouts.
	TCPTimeouts int64
	// TCPSynRetrans counts SYN and SYN-ACK retransmissions.
	TCPSynRetrans int64
	// TCPAbortOnData counts resets sent on close with unread data.
	TCPAbortOnData int64
	// TCPAbortOnClose counts resets sent when data arrived after close.
	TCPAbortOnClose int64
	// TCPAbortOnMemory counts connections aborted for lack of memory
	// (too many orphans).
	TCPAbortOnMemory int64
	// TCPAbortOnTimeout counts connections aborted after too many retransmits.
	TCPAbortOnTimeout int64
	// TCPAbortOnLinger counts connections aborted by SO_LINGER timeouts.
	TCPAbortOnLinger int64
	// TCPBacklogDrop counts segments dropped because the socket backlog
	// (not the accept queue) was full.
	TCPBacklogDrop int64
	// TW counts sockets that entered TIME_WAIT with the full timeout (the
	// kernel counts on entry, not on expiry: measured in testdata/proc/2000).
	TW int64
	// TWRecycled counts TIME_WAIT sockets reused for a new connection.
	TWRecycled int64
	// TWKilled counts sockets that entered TIME_WAIT with a shortened
	// timeout (at most 4 s).
	TWKilled int64
	// TCPTimeWaitOverflow counts connections that skipped TIME_WAIT because
	// tcp_max_tw_buckets was reached.
	TCPTimeWaitOverflow int64
	// PAWSEstab counts segments of established connections dropped by PAWS.
	PAWSEstab int64
}

// TCPExt extracts the typed TcpExt counters from a netstat table (or from a
// delta of two). Fields the kernel did not report stay 0 and are returned as
// "TcpExt.Name" in missing.
func (c Counters) TCPExt() (TCPExt, []string) { return sectionOf[TCPExt](c, "TcpExt") }
