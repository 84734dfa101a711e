//go:build linux

package netns

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrNotPermitted is returned when the caller may not create namespaces
// (not root, or no CAP_SYS_ADMIN).
var ErrNotPermitted = errors.New("netns: creating a network namespace is not permitted (run as root)")

// NS is a network namespace held open by a file descriptor.
type NS struct {
	f *os.File
}

// New creates a fresh network namespace with its loopback interface up.
func New() (*NS, error) {
	var ns *NS
	err := onNewThread(func() error {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			if errors.Is(err, unix.EPERM) {
				return ErrNotPermitted
			}
			return fmt.Errorf("netns: unshare(CLONE_NEWNET): %w", err)
		}
		f, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			return fmt.Errorf("netns: open own namespace: %w", err)
		}
		if err := loopbackUp(); err != nil {
			f.Close()
			return err
		}
		ns = &NS{f: f}
		return nil
	})
	return ns, err
}

// FromPID opens the network namespace that process pid lives in.
func FromPID(pid int) (*NS, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/ns/net", pid))
	if err != nil {
		return nil, fmt.Errorf("netns: open namespace of pid %d: %w", pid, err)
	}
	return &NS{f: f}, nil
}

// Available reports whether this process may create network namespaces.
func Available() error {
	ns, err := New()
	if err != nil {
		return err
	}
	return ns.Close()
}

// Fd returns the namespace's file descriptor (valid until Close).
func (n *NS) Fd() int { return int(n.f.Fd()) }

// Close releases the namespace; it disappears once no process is left in it.
func (n *NS) Close() error {
	if n == nil || n.f == nil {
		return nil
	}
	err := n.f.Close()
	n.f = nil
	return err
}

// Do runs fn on a fresh OS thread that has joined the namespace. Sockets fn
// creates belong to the namespace; /proc/thread-self/net and /proc/sys/net
// show the namespace. The thread is discarded afterwards, so no other
// goroutine ever runs inside the namespace by accident.
func (n *NS) Do(fn func() error) error {
	return onNewThread(func() error {
		if err := unix.Setns(n.Fd(), unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("netns: setns: %w", err)
		}
		return fn()
	})
}

// Start starts cmd inside the namespace. When cpus is not empty the process
// is also pinned to those CPUs from its first instruction (the affinity of the
// forking thread is inherited).
func (n *NS) Start(cmd *exec.Cmd, cpus []int) error {
	return n.Do(func() error { return startPinned(cmd, cpus) })
}

// StartPinned starts cmd in the current namespace, pinned to cpus when given.
func StartPinned(cmd *exec.Cmd, cpus []int) error {
	return onNewThread(func() error { return startPinned(cmd, cpus) })
}

func startPinned(cmd *exec.Cmd, cpus []int) error {
	if len(cpus) > 0 {
		var set unix.CPUSet
		for _, c := range cpus {
			set.Set(c)
		}
		if err := unix.SchedSetaffinity(0, &set); err != nil {
			return fmt.Errorf("netns: pin to cpus %v: %w", cpus, err)
		}
	}
	return cmd.Start()
}

// SetSysctl writes value to a network sysctl of the namespace, given in dotted
// form ("net.core.somaxconn"), and reads it back to prove it took effect.
func (n *NS) SetSysctl(name, value string) error {
	return n.Do(func() error { return writeSysctl(name, value) })
}

// Sysctl reads a sysctl as the namespace sees it.
func (n *NS) Sysctl(name string) (string, error) {
	var v string
	err := n.Do(func() error {
		var err error
		v, err = readSysctl(name)
		return err
	})
	return v, err
}

func sysctlPath(name string) string {
	return filepath.Join("/proc/sys", strings.ReplaceAll(name, ".", "/"))
}

func readSysctl(name string) (string, error) {
	b, err := os.ReadFile(sysctlPath(name))
	if err != nil {
		return "", fmt.Errorf("netns: read sysctl %s: %w", name, err)
	}
	return strings.TrimSpace(string(b)), nil
}

func writeSysctl(name, value string) error {
	if err := os.WriteFile(sysctlPath(name), []byte(value), 0); err != nil {
		return fmt.Errorf("netns: set sysctl %s=%s: %w", name, value, err)
	}
	got, err := readSysctl(name)
	if err != nil {
		return err
	}
	if strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(value), " ") {
		return fmt.Errorf("netns: sysctl %s: wrote %q, kernel kept %q", name, value, got)
	}
	return nil
}

// loopbackUp sets IFF_UP on "lo" in the calling thread's namespace.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("netns: socket for ioctl: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("netns: ifreq lo: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("netns: get flags of lo: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("netns: bring lo up: %w", err)
	}
	return nil
}

// onNewThread runs fn on a locked OS thread that is thrown away afterwards
// (a goroutine that exits while locked takes its thread with it), so a
// thread whose namespace or CPU affinity fn changed is never reused.
//
// The main thread is the exception: Go cannot end it and parks it forever
// instead, which would keep a namespace alive. So the thread's namespace and
// affinity are always put back after fn, and the main thread, once clean, is
// unlocked and returned to the scheduler.
func onNewThread(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		restore, err := saveThreadState()
		if err != nil {
			errc <- err
			return
		}
		err = fn()
		clean := restore() == nil
		if clean && unix.Gettid() == unix.Getpid() {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

// saveThreadState records the calling thread's network namespace and CPU
// affinity, and returns a function that puts them back.
func saveThreadState() (restore func() error, err error) {
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return nil, fmt.Errorf("netns: open own namespace: %w", err)
	}
	var cpus unix.CPUSet
	if err := unix.SchedGetaffinity(0, &cpus); err != nil {
		orig.Close()
		return nil, fmt.Errorf("netns: read affinity: %w", err)
	}
	return func() error {
		defer orig.Close()
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			return err
		}
		return unix.SchedSetaffinity(0, &cpus)
	}, nil
}
