//go:build linux

package probe

// Take reads a snapshot of pid from the live system: every file under
// /proc (FS{}.Snapshot) and, through sock_diag in pid's network namespace,
// each listener's accept queue with its backlog. If sock_diag fails the
// listeners from /proc/PID/net/tcp stay, with Backlog -1, and a warning.
func Take(pid int) *Snapshot {
	s := FS{}.Snapshot(pid)
	qs, err := ListenQueues(pid)
	if err != nil {
		s.Warnings = append(s.Warnings, err.Error())
		return s
	}
	s.Listeners = qs
	return s
}
