// Package probe reads the evidence scalelab needs to name a limit: kernel TCP
// counters, socket counts and queues, listener backlogs, and the server
// process's file descriptors, CPU time and memory.
//
// One file per source, in the manner of node_exporter's collectors:
//
//	netstat.go   /proc/PID/net/netstat   TcpExt counters (ListenOverflows, ...)
//	snmp.go      /proc/PID/net/snmp      Tcp counters (ActiveOpens, RetransSegs, ...)
//	sockstat.go  /proc/PID/net/sockstat  sockets in use, orphans, TIME_WAIT
//	tcp.go       /proc/PID/net/tcp{,6}   socket states, listener accept queues, Recv-Q/Send-Q
//	sockdiag.go  NETLINK_SOCK_DIAG       listener accept queue and its backlog
//	limits.go, stat.go, status.go, fd.go  /proc/PID/{limits,stat,status,fd}
//	snapshot.go, sampler.go               all of them at once; peaks during a run
//
// Every source has a pure parser over an io.Reader (fuzzed) and a reader on
// an FS, whose Root is "/proc" on a live system and a fixture directory in
// tests. Network files are read through /proc/PID/net, which shows the
// network namespace of process PID: the lab runs its server in a namespace
// of its own, where /proc/net (the reader's namespace) would show nothing.
//
// A Snapshot combines all sources for one process at one moment (Take adds
// listener backlogs from sock_diag); Delta turns two snapshots into counter
// deltas and CPU use; a Sampler watches a few cheap gauges (open fds, accept
// queue, TIME_WAIT, CPU, RSS) during a run and keeps their peaks. Missing files and fields are warnings, never failures:
// a kernel without TCPReqQFullDrop still yields every other number.
package probe
