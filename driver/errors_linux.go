//go:build linux

package driver

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// classify maps an errno seen at stage s to a fixed class; ok is false when
// the errno fits none, and the caller records otherClass(errnoName(e), s).
func classify(s Stage, e unix.Errno) (c class, ok bool) {
	switch e {
	case unix.EMFILE, unix.ENFILE:
		return cTooManyFiles, true
	case unix.EADDRNOTAVAIL:
		if s == StageSocket || s == StageConnect {
			return cAddrUnavailable, true
		}
	case unix.ECONNREFUSED:
		return cConnectRefused, true
	case unix.ETIMEDOUT:
		if s == StageConnect {
			return cConnectTimeout, true
		}
	case unix.ECONNRESET, unix.EPIPE:
		return cReset, true
	}
	return 0, false
}

// errnoName returns the symbolic name of e ("EHOSTUNREACH"), or its number.
func errnoName(e unix.Errno) string {
	if n := unix.ErrnoName(e); n != "" {
		return n
	}
	return "ERRNO" + strconv.Itoa(int(e))
}
