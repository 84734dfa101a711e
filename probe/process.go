package probe

import (
	"fmt"
	"time"
)

// Process is what the lab knows about the server process at one moment.
type Process struct {
	// PID is the process id.
	PID int
	// Comm is the command name.
	Comm string
	// StartTime is the process start in ClockTicks after boot; it tells a
	// restarted server from the one measured before.
	StartTime uint64
	// OpenFDs is the number of open file descriptors (/proc/PID/fd).
	OpenFDs int
	// NoFile is RLIMIT_NOFILE (/proc/PID/limits "Max open files"); zero
	// when it could not be read (a warning says so).
	NoFile Limit
	// UserSeconds and SystemSeconds are CPU time used since start.
	UserSeconds, SystemSeconds float64
	// Threads is the number of threads.
	Threads int64
	// RSSBytes is the resident set size; HWMBytes its peak since start.
	RSSBytes, HWMBytes int64
	// VoluntaryCtxtSwitches and NonvoluntaryCtxtSwitches count context
	// switches since start (blocked vs preempted).
	VoluntaryCtxtSwitches, NonvoluntaryCtxtSwitches int64
	// RunTime and RunDelay sum, over the threads, the time they ran on a
	// CPU and the time they were runnable but waited for one (schedstat).
	RunTime, RunDelay time.Duration
}

// CPUSeconds returns user plus system CPU time in seconds.
func (p Process) CPUSeconds() float64 { return p.UserSeconds + p.SystemSeconds }

// Process reads /proc/PID/{stat,status,limits,fd}. It returns what it could
// read and one warning per file or field it could not.
func (fs FS) Process(pid int) (Process, []string) {
	p := Process{PID: pid}
	var warn []string
	if st, err := fs.Stat(pid); err != nil {
		warn = append(warn, err.Error())
	} else {
		p.Comm = st.Comm
		p.StartTime = st.StartTime
		p.UserSeconds = float64(st.UTime) / ClockTicks
		p.SystemSeconds = float64(st.STime) / ClockTicks
		p.Threads = st.NumThreads
	}
	if st, missing, err := fs.Status(pid); err != nil {
		warn = append(warn, err.Error())
	} else {
		p.RSSBytes, p.HWMBytes = st.VmRSS, st.VmHWM
		p.VoluntaryCtxtSwitches, p.NonvoluntaryCtxtSwitches = st.VoluntaryCtxtSwitches, st.NonvoluntaryCtxtSwitches
		if p.Threads == 0 {
			p.Threads = st.Threads
		}
		for _, m := range missing {
			warn = append(warn, fmt.Sprintf("%s: no field %s", fs.path(pid, "status"), m))
		}
	}
	if l, err := fs.Limits(pid); err != nil {
		warn = append(warn, err.Error())
	} else if nf, ok := l.NoFile(); ok {
		p.NoFile = nf
	} else {
		warn = append(warn, fmt.Sprintf("%s: no row %q", fs.path(pid, "limits"), NoFileName))
	}
	if n, err := fs.OpenFDs(pid); err != nil {
		warn = append(warn, err.Error())
	} else {
		p.OpenFDs = n
	}
	if run, wait, err := fs.RunQueue(pid); err != nil {
		warn = append(warn, err.Error())
	} else {
		p.RunTime, p.RunDelay = run, wait
	}
	return p, warn
}
