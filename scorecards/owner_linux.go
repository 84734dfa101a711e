//go:build linux

package scorecards

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Self identifies this process, to be recorded as a card's Owner.
func Self() (*Owner, error) {
	start, err := startTime(os.Getpid())
	if err != nil {
		return nil, err
	}
	boot, err := bootID()
	if err != nil {
		return nil, err
	}
	return &Owner{PID: os.Getpid(), StartTime: start, BootID: boot}, nil
}

// Gone reports whether the owner process no longer runs (the machine
// rebooted, the pid is free, or another process took it), and says why.
// A nil owner, or one that cannot be checked, is not gone.
func (o *Owner) Gone() (bool, string) {
	if o == nil || o.PID <= 0 {
		return false, ""
	}
	if boot, err := bootID(); err == nil && o.BootID != "" && boot != o.BootID {
		return true, fmt.Sprintf("abandoned: the machine rebooted since its runner (pid %d) wrote it", o.PID)
	}
	start, err := startTime(o.PID)
	switch {
	case os.IsNotExist(err):
		return true, fmt.Sprintf("abandoned: its runner (pid %d) is gone; it was killed before it could finish the card", o.PID)
	case err != nil:
		return false, ""
	case start != o.StartTime:
		return true, fmt.Sprintf("abandoned: its runner (pid %d) is gone (another process has the pid now)", o.PID)
	}
	return false, ""
}

func bootID() (string, error) {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return "", fmt.Errorf("scorecards: read boot id: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// startTime reads field 22 of /proc/PID/stat.
func startTime(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("scorecards: malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0, fmt.Errorf("scorecards: short /proc/%d/stat", pid)
	}
	return strconv.ParseUint(f[19], 10, 64) // field 22 is the 20th after the name
}
