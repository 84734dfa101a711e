package glossary

const (
	netstat  = "/proc/net/netstat (TcpExt), per network namespace"
	snmp     = "/proc/net/snmp (Tcp), per network namespace"
	sockstat = "/proc/net/sockstat, per network namespace"
	mid      = "the socket table (/proc/net/tcp), read once in the middle of the step"
	cpustat  = "/proc/stat, the pinned CPUs, around the step"
	driver   = "the load driver, per failed request"
)

var entries = []Entry{
	// Limits.
	{Name: "fd", Kind: "limit", Source: "server accept errors, /proc/PID/fd and limits; driver errors",
		Meaning: "A process ran out of file descriptors (RLIMIT_NOFILE): every connection costs one on each side. The server's accept fails with EMFILE, or the driver cannot open sockets."},
	{Name: "port", Kind: "limit", Source: "driver errors; sockstat tw; ip_local_port_range",
		Meaning: "The client ran out of ephemeral ports: each connection it closed first holds its port in TIME_WAIT for 60 s, and connect() fails with EADDRNOTAVAIL once the range is used up."},
	{Name: "backlog", Kind: "limit", Source: "TcpExt ListenOverflows/ListenDrops; sock_diag; connect times",
		Meaning: "The kernel's accept queue of a listener overflowed: connects arrived faster than the server accepted them, the kernel dropped SYNs, and clients waited a SYN retransmit (about 1 s) or timed out."},
	{Name: "queueing", Kind: "limit", Source: "the server's stats: workers, queue, queue wait",
		Meaning: "Every worker of a fixed pool was busy and requests waited for one: latency grows with clients while throughput stays flat (Little's law)."},
	{Name: "cpu", Kind: "limit", Source: "/proc/PID/stat; /proc/stat; schedstat",
		Meaning: "The server's cores were full: more clients only wait longer. Its cost per request (CPU time / requests) sets the most it can serve."},
	{Name: "client", Kind: "limit", Source: "the driver's own CPU; client sockets' Recv-Q; server handler latency",
		Meaning: "The load generator, not the server, was the bottleneck: its core was full, or it read its answers late while the server was idle (seed 000)."},
	{Name: "none", Kind: "limit", Meaning: "No resource ran out within the sweep."},

	// Kernel counters (deltas over the step).
	{Name: "ListenOverflows", Kind: "kernel counter", Source: netstat, Limit: "backlog",
		Meaning: "SYNs or final ACKs dropped because a listener's accept queue was full. Each drop costs the client a retransmit, about 1 s."},
	{Name: "ListenDrops", Kind: "kernel counter", Source: netstat, Limit: "backlog",
		Meaning: "Every drop at a listening socket, overflows included."},
	{Name: "TCPReqQFullDrop", Kind: "kernel counter", Source: netstat, Limit: "backlog",
		Meaning: "SYNs dropped because the SYN queue was full and syncookies were off."},
	{Name: "TCPReqQFullDoCookies", Kind: "kernel counter", Source: netstat, Limit: "backlog",
		Meaning: "SYNs answered with a syncookie because the SYN queue was full."},
	{Name: "SyncookiesSent", Kind: "kernel counter", Source: netstat, Limit: "backlog", Meaning: "Syncookies the server sent."},
	{Name: "SyncookiesFailed", Kind: "kernel counter", Source: netstat, Meaning: "Invalid syncookies received."},
	{Name: "TCPTimeouts", Kind: "kernel counter", Source: netstat, Meaning: "Retransmission timeouts: a segment went unanswered long enough to be sent again."},
	{Name: "TCPAbortOnData", Kind: "kernel counter", Source: netstat, Meaning: "Connections reset on close because unread data was left: usually a client that gave up on an answer."},
	{Name: "TCPAbortOnClose", Kind: "kernel counter", Source: netstat, Meaning: "Connections reset because data arrived after the application closed them."},
	{Name: "TCPAbortOnTimeout", Kind: "kernel counter", Source: netstat, Meaning: "Connections aborted after too many retransmissions."},
	{Name: "TW", Kind: "kernel counter", Source: netstat, Limit: "port",
		Meaning: "Sockets that entered TIME_WAIT (counted on entry). On the client side each holds an ephemeral port for 60 s."},
	{Name: "ActiveOpens", Kind: "kernel counter", Source: snmp, Meaning: "connect() calls: connections the clients opened."},
	{Name: "PassiveOpens", Kind: "kernel counter", Source: snmp, Meaning: "Connections the kernel accepted on behalf of a listener."},
	{Name: "AttemptFails", Kind: "kernel counter", Source: snmp, Meaning: "Connection attempts that failed: reset or timed out before they were established."},
	{Name: "EstabResets", Kind: "kernel counter", Source: snmp, Meaning: "Established connections reset: one side gave up on the other (a client timing out, say)."},
	{Name: "RetransSegs", Kind: "kernel counter", Source: snmp, Meaning: "Segments sent again: drops or lost answers somewhere along the way."},
	{Name: "OutRsts", Kind: "kernel counter", Source: snmp, Meaning: "Resets sent."},

	// The lab's gauges.
	{Name: "tw", Kind: "lab gauge", Source: sockstat, Limit: "port",
		Meaning: "TIME_WAIT sockets at the end of the step; each holds a port until it expires (60 s on Linux)."},
	{Name: "tw_max", Kind: "lab gauge", Source: sockstat + ", sampled every 100 ms", Limit: "port",
		Meaning: "The most TIME_WAIT sockets seen during the step: set against port_range_size, how much of the port range was used up."},
	{Name: "port_range_size", Kind: "lab gauge", Source: "net.ipv4.ip_local_port_range of the step's namespace", Limit: "port",
		Meaning: "How many ephemeral ports the clients had."},
	{Name: "inuse", Kind: "lab gauge", Source: sockstat, Meaning: "TCP sockets in use at the end of the step, listeners included."},
	{Name: "established_mid", Kind: "lab gauge", Source: mid, Meaning: "ESTABLISHED sockets mid-step: both ends of every open connection."},
	{Name: "client_recvq_bytes_mid", Kind: "lab gauge", Source: mid, Limit: "client",
		Meaning: "Bytes that arrived on client sockets and were not read yet: a driver too slow to drain its sockets (seed 000)."},
	{Name: "server_sendq_bytes_mid", Kind: "lab gauge", Source: mid,
		Meaning: "Bytes the server sent that were not acknowledged yet: answers waiting for a slow reader."},
	{Name: "server_cpus_tasks_pct", Kind: "lab gauge", Source: cpustat, Limit: "cpu",
		Meaning: "How busy the server's CPUs were running any task (the server and anything else), in % of one CPU."},
	{Name: "server_cpus_softirq_pct", Kind: "lab gauge", Source: cpustat, Limit: "cpu",
		Meaning: "Time the server's CPUs spent in softirq: much of loopback TCP's packet work lands here."},
	{Name: "server_cpus_steal_pct", Kind: "lab gauge", Source: cpustat, Meaning: "Time the hypervisor gave the server's CPUs to another guest."},
	{Name: "driver_cpus_tasks_pct", Kind: "lab gauge", Source: cpustat, Limit: "client", Meaning: "How busy the driver's CPUs were running any task."},
	{Name: "driver_cpus_softirq_pct", Kind: "lab gauge", Source: cpustat, Meaning: "Time the driver's CPUs spent in softirq."},
	{Name: "driver_cpus_steal_pct", Kind: "lab gauge", Source: cpustat, Meaning: "Time the hypervisor gave the driver's CPUs to another guest."},
	{Name: "lo_drops", Kind: "lab gauge", Source: "/proc/net/dev (lo), per network namespace", Limit: "backlog",
		Meaning: "Packets the loopback interface dropped."},
	{Name: "softnet_dropped", Kind: "lab gauge", Source: "/proc/net/softnet_stat, the whole host", Limit: "backlog",
		Meaning: "Packets dropped because a CPU's input queue was full (net.core.netdev_max_backlog): connects that cost 1 s with ListenOverflows at 0."},
	{Name: "softnet_squeezed", Kind: "lab gauge", Source: "/proc/net/softnet_stat, the whole host",
		Meaning: "Times packet processing ran out of its budget with work left: the network stack was behind."},
	{Name: "cpu_wait_pct", Kind: "lab gauge", Source: "/proc/PID/task/*/schedstat (run delay)", Limit: "cpu",
		Meaning: "Time the server's threads were ready to run but waited for a CPU: the CPU's saturation."},
	{Name: "workers_busy_pct", Kind: "lab gauge", Source: "the server's stats (busy workers over time)", Limit: "queueing",
		Meaning: "The pool's utilization: busy workers over the step, in % of all of them."},
	{Name: "cpu_us_per_request", Kind: "lab gauge", Source: "/proc/PID/stat and the server's request count", Limit: "cpu",
		Meaning: "The server's CPU time per request it handled (the utilization law, D = U / X)."},

	// Error classes of the driver.
	{Name: "connect_refused", Kind: "error class", Source: driver, Meaning: "ECONNREFUSED: nothing listened on the port."},
	{Name: "connect_timeout", Kind: "error class", Source: driver, Limit: "backlog",
		Meaning: "The connect did not complete within its timeout: often a dropped SYN waiting for its retransmit."},
	{Name: "addr_unavailable", Kind: "error class", Source: driver, Limit: "port",
		Meaning: "EADDRNOTAVAIL: no free ephemeral port for a new connection."},
	{Name: "too_many_open_files", Kind: "error class", Source: driver, Limit: "fd",
		Meaning: "EMFILE/ENFILE in the driver: the load generator's own descriptor limit."},
	{Name: "reset", Kind: "error class", Source: driver, Meaning: "ECONNRESET/EPIPE: the server reset or closed the connection under a request."},
	{Name: "eof", Kind: "error class", Source: driver, Meaning: "The server closed the connection before a complete answer."},
	{Name: "read_timeout", Kind: "error class", Source: driver, Meaning: "No complete answer within the request timeout."},
	{Name: "bad_response", Kind: "error class", Source: driver, Meaning: "Bytes that are not a valid HTTP/1.x answer."},
	{Name: "http_4xx", Kind: "error class", Source: driver, Meaning: "An answer with a 4xx status."},
	{Name: "http_5xx", Kind: "error class", Source: driver, Meaning: "An answer with a 5xx status."},
}
