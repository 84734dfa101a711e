//go:build linux

package phases

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/scalelab/scalelab/internal/netns"
)

// TestKernelAgrees asks the running kernel, in a fresh network namespace
// like the ones the runner makes: validation accepts a limits.port_range
// exactly when the kernel takes it as net.ipv4.ip_local_port_range, and the
// kernel takes every limits.somaxconn validation accepts.
func TestKernelAgrees(t *testing.T) {
	ns, err := netns.New()
	if err != nil {
		t.Skipf("no network namespace of our own: %v", err)
	}
	defer ns.Close()
	ranges := []PortRange{
		{1, 2000}, {1023, 2000}, {1024, 2000}, {1024, 1024}, {1025, 1025}, {2001, 2000},
		{32768, 60999}, {32768, 60998}, {32767, 60999}, {1024, 65535}, {1024, 65536},
		{65535, 65535}, {65536, 65536}, {0, 1024}, {60999, 32768},
	}
	for _, r := range ranges {
		t.Run("port_range "+r.String(), func(t *testing.T) {
			c := &checker{file: "k.yaml"}
			c.portRange(r)
			kerr := ns.SetSysctl("net.ipv4.ip_local_port_range", r.String())
			if (len(c.errs) == 0) != (kerr == nil) {
				t.Errorf("validation says %v; the kernel says %v", c.errs, kerr)
			}
		})
	}
	for _, n := range []int{1, 4096, MaxSoMaxConn, MaxSoMaxConn + 1} {
		t.Run("somaxconn "+strconv.Itoa(n), func(t *testing.T) {
			c := &checker{file: "k.yaml"}
			c.limits(&Limits{SoMaxConn: n, DriverNoFile: DefaultDriverNoFile})
			kerr := ns.SetSysctl("net.core.somaxconn", fmt.Sprint(n))
			if len(c.errs) == 0 && kerr != nil {
				t.Errorf("validation accepts %d; the kernel refuses it: %v", n, kerr)
			}
			if n > MaxSoMaxConn && (len(c.errs) == 0 || kerr == nil) {
				t.Errorf("%d: validation says %v, the kernel %v; both should refuse", n, c.errs, kerr)
			}
		})
	}
}
