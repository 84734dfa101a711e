//go:build linux

package runner

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// SplitCPUs divides the CPUs this process may run on between the server
// (the first half) and the driver (the rest). On a single CPU both get it,
// and the second result says they share it.
func SplitCPUs() (server, driver []int, shared bool, err error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, nil, false, fmt.Errorf("read CPU affinity: %w", err)
	}
	var cpus []int
	for i := 0; i < 1024 && len(cpus) < set.Count(); i++ {
		if set.IsSet(i) {
			cpus = append(cpus, i)
		}
	}
	switch len(cpus) {
	case 0:
		return nil, nil, false, fmt.Errorf("no CPU in the affinity mask")
	case 1:
		return cpus, cpus, true, nil
	}
	half := len(cpus) / 2
	return cpus[:half], cpus[half:], false, nil
}
