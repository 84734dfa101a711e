package probe

import (
	"strings"
	"testing"
)

const netDevSample = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 434417061 2869046    0    3    0     0          0         0 434417061 2869046    0    5    0     0       0          0
  eth0: 77087333    5177    0    0    0     0          0         0   417110    4257    0    0    0     0       0          0
`

const softnetSample = `00312cad 00000002 00000001 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
003163d9 00000010 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000001 00000000 00000001
`

func TestParseNetDev(t *testing.T) {
	d, err := parseNetDev(strings.NewReader(netDevSample))
	if err != nil {
		t.Fatal(err)
	}
	lo := d["lo"]
	if lo.RxBytes != 434417061 || lo.RxPackets != 2869046 || lo.RxDrop != 3 || lo.TxDrop != 5 || lo.TxPackets != 2869046 {
		t.Errorf("lo = %+v", lo)
	}
	if len(d) != 2 || d["eth0"].TxBytes != 417110 {
		t.Errorf("interfaces = %+v", d)
	}
	for _, bad := range []string{"h\nh\nlo 1 2 3\n", "h\nh\nlo: 1 2 3\n", "h\nh\nlo: " + strings.Repeat("x ", 16) + "\n"} {
		if _, err := parseNetDev(strings.NewReader(bad)); err == nil {
			t.Errorf("parsed %q", bad)
		}
	}
}

func TestParseSoftnet(t *testing.T) {
	s, err := parseSoftnet(strings.NewReader(softnetSample))
	if err != nil {
		t.Fatal(err)
	}
	if s.Processed != 0x312cad+0x3163d9 || s.Dropped != 2+16 || s.TimeSqueeze != 1 {
		t.Errorf("softnet = %+v", s)
	}
	for _, bad := range []string{"0001 0002\n", "zz 00 00\n"} {
		if _, err := parseSoftnet(strings.NewReader(bad)); err == nil {
			t.Errorf("parsed %q", bad)
		}
	}
}

func TestLoopbackDelta(t *testing.T) {
	before := &Snapshot{PID: 1, NetDev: NetDev{"lo": {RxPackets: 10, RxDrop: 1}}, Softnet: Softnet{Processed: 100, Dropped: 2}}
	after := &Snapshot{PID: 1, NetDev: NetDev{"lo": {RxPackets: 25, RxDrop: 4}}, Softnet: Softnet{Processed: 150, Dropped: 9}}
	c := Delta(before, after)
	if !c.NetDevRead || c.Loopback.RxPackets != 15 || c.Loopback.RxDrop != 3 || c.Softnet.Dropped != 7 || c.Softnet.Processed != 50 {
		t.Errorf("change: lo %+v (read %v), softnet %+v", c.Loopback, c.NetDevRead, c.Softnet)
	}
}

func FuzzParseNetDev(f *testing.F) {
	f.Add([]byte(netDevSample))
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = parseNetDev(strings.NewReader(string(b))) })
}

func FuzzParseSoftnet(f *testing.F) {
	f.Add([]byte(softnetSample))
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = parseSoftnet(strings.NewReader(string(b))) })
}

func TestParseSchedstat(t *testing.T) {
	run, wait, err := parseSchedstat("4226139 4355405 6\n")
	if err != nil || run != 4226139 || wait != 4355405 {
		t.Errorf("got %v %v %v", run, wait, err)
	}
	for _, bad := range []string{"", "12", "a b c", "-1 2 3"} {
		if _, _, err := parseSchedstat(bad); err == nil {
			t.Errorf("parsed %q", bad)
		}
	}
}
