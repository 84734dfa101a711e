//go:build !linux

package doctor

import (
	"errors"

	"github.com/scalelab/scalelab/internal/cgroup"
)

// errNotLinux is what every Linux-only check finds elsewhere.
var errNotLinux = errors.New("not Linux: the lab needs Linux")

// gatherSystem records that none of the Linux pieces are here.
func gatherSystem(f *Facts) {
	f.CapsErr = errNotLinux
	f.NetNS = errNotLinux
	f.Cgroup, f.CgroupTrialed, f.CgroupErr = "", trialShare, cgroup.ErrUnsupported
	f.NoFileErr = errNotLinux
}
