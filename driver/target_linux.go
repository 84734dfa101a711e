//go:build linux

package driver

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// initNetNSInode is the inode number the kernel gives the initial network
// namespace (PROC_NET_INIT_INO).
const initNetNSInode = 0xEFFFFFF9

// inLabNamespace reports whether the driver's sockets will live in a network
// namespace other than the host's: either netnsFD names one, or the process
// was started inside one. The host's namespace is the kernel's initial one,
// and also PID 1's when that is readable (in a container, the container's
// own namespace counts as the host's).
func inLabNamespace(netnsFD int) (bool, error) {
	var own unix.Stat_t
	var err error
	if netnsFD != 0 {
		err = unix.Fstat(netnsFD, &own)
	} else {
		err = unix.Stat("/proc/thread-self/ns/net", &own)
	}
	if err != nil {
		return false, fmt.Errorf("driver: stat network namespace: %w", err)
	}
	if own.Ino == initNetNSInode {
		return false, nil
	}
	var pid1 unix.Stat_t
	if err := unix.Stat("/proc/1/ns/net", &pid1); err == nil && pid1.Dev == own.Dev && pid1.Ino == own.Ino {
		return false, nil
	}
	return true, nil
}
