//go:build linux

package driver

import (
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

// linkMessage builds an RTM_NEWLINK payload with the given attributes.
func linkMessage(index int32, flags uint32, attrs map[uint16]string) []byte {
	b := make([]byte, unix.SizeofIfInfomsg)
	ne.PutUint32(b[4:], uint32(index))
	ne.PutUint32(b[8:], flags)
	for typ, v := range attrs {
		a := make([]byte, align4(unix.SizeofRtAttr+len(v)+1))
		ne.PutUint16(a[0:], uint16(unix.SizeofRtAttr+len(v)+1))
		ne.PutUint16(a[2:], typ)
		copy(a[unix.SizeofRtAttr:], v)
		b = append(b, a...)
	}
	return b
}

func TestParseLink(t *testing.T) {
	l, err := parseLink(linkMessage(1, unix.IFF_UP|unix.IFF_LOOPBACK, map[uint16]string{unix.IFLA_IFNAME: "lo", unix.IFLA_IFALIAS: "scalelab:t"}))
	if err != nil || l.index != 1 || l.name != "lo" || l.alias != "scalelab:t" || !l.up() || !l.loopback() {
		t.Errorf("parsed %+v, %v", l, err)
	}
	for _, bad := range [][]byte{
		make([]byte, unix.SizeofIfInfomsg-1),                              // short header
		append(make([]byte, unix.SizeofIfInfomsg), 2, 0, 3, 0),            // attribute shorter than its header
		append(make([]byte, unix.SizeofIfInfomsg), 64, 0, 3, 0, 'l', 'o'), // attribute longer than the message
	} {
		if _, err := parseLink(bad); err == nil {
			t.Errorf("parseLink(%v) accepted", bad)
		}
	}
}

func FuzzParseLink(f *testing.F) {
	f.Add(linkMessage(2, unix.IFF_UP, map[uint16]string{unix.IFLA_IFNAME: "veth0"}))
	f.Add(linkMessage(1, unix.IFF_LOOPBACK, map[uint16]string{unix.IFLA_IFNAME: "lo", unix.IFLA_IFALIAS: "scalelab:x"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := parseLink(b)
		if err != nil {
			return
		}
		if len(l.name) > len(b) || len(l.alias) > len(b) {
			t.Fatalf("names longer than the message: %+v", l)
		}
	})
}

// addrMessage builds an RTM_NEWADDR payload for addr/bits on interface
// index, with addr as IFA_ADDRESS.
func addrMessage(index int32, addr netip.Addr, bits int) []byte {
	b := make([]byte, unix.SizeofIfAddrmsg)
	b[0], b[1] = unix.AF_INET, byte(bits)
	ne.PutUint32(b[4:], uint32(index))
	ip := addr.AsSlice()
	a := make([]byte, align4(unix.SizeofRtAttr+len(ip)))
	ne.PutUint16(a[0:], uint16(unix.SizeofRtAttr+len(ip)))
	ne.PutUint16(a[2:], unix.IFA_ADDRESS)
	copy(a[unix.SizeofRtAttr:], ip)
	return append(b, a...)
}

func TestParseAddr(t *testing.T) {
	a, err := parseAddr(addrMessage(3, netip.MustParseAddr("10.77.0.2"), 24))
	if err != nil || a.index != 3 || a.prefix != netip.MustParsePrefix("10.77.0.0/24") {
		t.Errorf("parsed %+v, %v; want 10.77.0.0/24 on interface 3", a, err)
	}
	for _, bad := range [][]byte{
		make([]byte, unix.SizeofIfAddrmsg-1),                    // short header
		make([]byte, unix.SizeofIfAddrmsg),                      // no address
		addrMessage(3, netip.MustParseAddr("10.77.0.2"), 33),    // prefix longer than the address
		append(make([]byte, unix.SizeofIfAddrmsg), 64, 0, 1, 0), // attribute longer than the message
	} {
		if _, err := parseAddr(bad); err == nil {
			t.Errorf("parseAddr(%v) accepted", bad)
		}
	}
}

func FuzzParseAddr(f *testing.F) {
	f.Add(addrMessage(2, netip.MustParseAddr("10.77.0.2"), 24))
	f.Add(addrMessage(1, netip.MustParseAddr("::1"), 128))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := parseAddr(b)
		if err != nil {
			return
		}
		if !a.prefix.IsValid() || a.prefix != a.prefix.Masked() {
			t.Fatalf("parsed an invalid or unmasked prefix: %+v", a)
		}
	})
}
