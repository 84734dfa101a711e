//go:build linux

package driver

import (
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
