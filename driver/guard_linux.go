//go:build linux

package driver

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// MarkNamespace marks the calling thread's network namespace as one the lab
// created, by setting the alias of its loopback interface to
// "scalelab:"+token. A run whose Config.NamespaceMark is token may then load
// targets outside loopback from that namespace. The lab's runner calls it
// inside each namespace it makes, with a token of its own; it needs
// CAP_NET_ADMIN in the namespace. A goroutine that joined another namespace
// must be locked to its thread (runtime.LockOSThread), as always.
func MarkNamespace(token string) error {
	if token == "" {
		return fmt.Errorf("driver: mark namespace: empty token")
	}
	if err := checkMark(token); err != nil {
		return fmt.Errorf("driver: mark namespace: token %w", err)
	}
	runtime.LockOSThread()
	r, err := openRtnl() // the socket stays in this thread's namespace
	runtime.UnlockOSThread()
	if err != nil {
		return fmt.Errorf("driver: mark namespace: %w", err)
	}
	defer r.close()
	links, err := r.listLinks()
	if err != nil {
		return fmt.Errorf("driver: mark namespace: %w", err)
	}
	for _, l := range links {
		if l.loopback() {
			return r.setAlias(l.index, markPrefix+token)
		}
	}
	return fmt.Errorf("driver: mark namespace: no loopback interface")
}

// readNamespace reads what the guard needs to know of a network namespace
// (nsFD) from a thread inside it.
func readNamespace(nsFD int) (nsView, error) {
	var v nsView
	err := inNamespace(nsFD, func() error {
		r, err := openRtnl()
		if err != nil {
			return err
		}
		defer r.close()
		links, err := r.listLinks()
		if err != nil {
			return err
		}
		up := map[int32]bool{}
		for _, l := range links {
			switch {
			case l.loopback():
				v.mark = l.alias
			case l.up():
				v.upLinks = append(v.upLinks, l.name)
				up[l.index] = true
			}
		}
		addrs, err := r.listAddrs()
		if err != nil {
			return err
		}
		for _, a := range addrs {
			if up[a.index] {
				v.onLink = append(v.onLink, a.prefix)
			}
		}
		return nil
	})
	return v, err
}

// guard applies the remote-target rule of Config.AllowRemote before any
// load socket exists. It returns the namespace the event loops must join
// (0: none to join, the process's own) and a function releasing it.
func guard(c Config, targets []Target) (nsFD int, release func(), err error) {
	if c.AllowRemote || allLoopback(targets) {
		return c.NetnsFD, func() {}, nil
	}
	nsFD, release = c.NetnsFD, func() {}
	if nsFD == 0 {
		// The calling thread's namespace: the loops join this very one,
		// so the namespace checked is the namespace loaded from.
		runtime.LockOSThread()
		nsFD, err = unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		runtime.UnlockOSThread()
		if err != nil {
			return 0, nil, fmt.Errorf("%w: cannot open the network namespace to check it (%v); pass --allow-remote (Config.AllowRemote) to load it anyway", ErrRemoteTarget, err)
		}
		fd := nsFD
		release = func() { unix.Close(fd) }
	}
	v, err := readNamespace(nsFD)
	if err == nil {
		err = guardVerdict(targets, v, c.NamespaceMark)
	} else {
		err = fmt.Errorf("%w: cannot read the interfaces of the network namespace (%v); pass --allow-remote (Config.AllowRemote) to load it anyway", ErrRemoteTarget, err)
	}
	if err != nil {
		release()
		return 0, nil, err
	}
	return nsFD, release, nil
}

// inNamespace runs fn on a locked OS thread inside the network namespace
// nsFD. The thread goes back to its own namespace afterwards, or, if it
// cannot, is never used again.
func inNamespace(nsFD int, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- fmt.Errorf("driver: open own network namespace: %w", err)
			return // the thread stays locked and dies with the goroutine
		}
		defer unix.Close(orig)
		joined, err := enterNamespace(nsFD)
		if err != nil {
			runtime.UnlockOSThread() // it did not move
			errc <- err
			return
		}
		err = fn()
		if !joined || unix.Setns(orig, unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

// enterNamespace makes the calling (locked) thread join the network
// namespace nsFD unless it already lives there; joined tells whether it
// moved. A process without CAP_SYS_ADMIN can still use its own namespace.
func enterNamespace(nsFD int) (joined bool, err error) {
	var want, own unix.Stat_t
	if err := unix.Fstat(nsFD, &want); err != nil {
		return false, fmt.Errorf("driver: network namespace fd %d: %w", nsFD, err)
	}
	if unix.Stat("/proc/thread-self/ns/net", &own) == nil && own.Dev == want.Dev && own.Ino == want.Ino {
		return false, nil
	}
	if err := unix.Setns(nsFD, unix.CLONE_NEWNET); err != nil {
		return false, fmt.Errorf("driver: join network namespace: %w", err)
	}
	return true, nil
}
