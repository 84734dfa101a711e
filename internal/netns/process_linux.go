//go:build linux

package netns

import (
	"errors"
	"os/exec"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Process is a child started by Spawn. The OS thread that forked it stays
// alive (locked) until the child exits, which keeps the child's parent-death
// signal armed: if this process dies, the kernel kills the child too.
type Process struct {
	Cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Spawn starts cmd in namespace n (nil: the current one), pinned to cpus
// when given, in its own process group (so a terminal's Ctrl-C reaches only
// the lab, which then stops its children in order) and with SIGKILL as its
// parent-death signal (so no child outlives the lab).
func Spawn(n *NS, cmd *exec.Cmd, cpus []int) (*Process, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	p := &Process{Cmd: cmd, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// The thread must live exactly as long as the child; afterwards
		// it is thrown away (or cleaned, if it is the main thread: see
		// onNewThread).
		_ = onNewThread(func() error {
			if n != nil {
				if err := unix.Setns(n.Fd(), unix.CLONE_NEWNET); err != nil {
					started <- err
					return nil
				}
			}
			if err := startPinned(cmd, cpus); err != nil {
				started <- err
				return nil
			}
			started <- nil
			p.err = cmd.Wait()
			close(p.done)
			return nil
		})
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}

// Pid is the child's process id.
func (p *Process) Pid() int { return p.Cmd.Process.Pid }

// Done is closed when the child has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait waits for the child to exit and returns its exit error.
func (p *Process) Wait() error {
	<-p.done
	return p.err
}

// Exited reports whether the child has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop asks the child to end with SIGTERM, waits up to grace, then kills it
// and its process group. It returns the child's exit error, or nil when it
// ended on the signal.
func (p *Process) Stop(grace time.Duration) error {
	if p.Exited() {
		return p.err
	}
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
		<-p.done
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) && ee.Sys().(syscall.WaitStatus).Signaled() {
		return nil
	}
	return p.err
}

// Kill ends the child and its process group at once and waits for it.
func (p *Process) Kill() {
	if !p.Exited() {
		_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
	}
	<-p.done
}
