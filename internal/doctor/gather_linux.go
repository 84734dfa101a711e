//go:build linux

package doctor

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/scalelab/scalelab/internal/cgroup"
	"github.com/scalelab/scalelab/internal/netns"
)

// gatherSystem fills in what only Linux can tell: capabilities, network
// namespaces and their sysctls, the cgroup CPU controller, RLIMIT_NOFILE.
func gatherSystem(f *Facts) {
	if st, err := os.Open("/proc/self/status"); err != nil {
		f.CapsErr = err
	} else {
		f.Caps, f.CapsErr = parseCaps(st)
		st.Close()
	}

	ns, err := netns.New()
	f.NetNS = err
	if err == nil {
		for _, s := range sysctlTrials(f.Phases) {
			s.Err = ns.SetSysctl(s.Name, s.Value)
			f.Sysctls = append(f.Sysctls, s)
		}
		ns.Close()
	}

	f.Cgroup, f.CgroupTrialed, f.CgroupQuota, f.CgroupErr = trialGroup()

	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		f.NoFileErr = fmt.Errorf("getrlimit(RLIMIT_NOFILE): %w", err)
	} else {
		f.NoFileHard = lim.Max
	}
	if b, err := os.ReadFile("/proc/sys/fs/nr_open"); err == nil {
		f.NrOpen, _ = strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	}
}

// trialGroup finds the CPU controller and proves it works: it makes a group
// capped at trialShare, reads the quota back and removes the group.
func trialGroup() (where string, share, got float64, err error) {
	c, err := cgroup.Detect()
	if err != nil {
		return "", trialShare, 0, err
	}
	g, err := c.New("doctor", trialShare)
	if err != nil {
		return c.String(), trialShare, 0, err
	}
	got, qerr := g.Quota()
	if qerr == nil && math.Abs(got-trialShare) > 1e-6 {
		qerr = fmt.Errorf("quota read back as %v", got)
	}
	return c.String(), trialShare, got, errors.Join(qerr, g.Remove())
}
