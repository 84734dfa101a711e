//go:build linux

package driver

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// A small rtnetlink client: enough to list the network interfaces of a
// namespace (RTM_GETLINK) and their addresses (RTM_GETADDR), and to set the
// alias of one (RTM_SETLINK).

var ne = binary.NativeEndian

var errNetlink = errors.New("driver: malformed netlink message")

// rtnl is a NETLINK_ROUTE socket. A netlink socket belongs to the network
// namespace of the thread that created it, for its whole life.
type rtnl struct {
	fd  int
	seq uint32
	buf []byte
}

func openRtnl() (*rtnl, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("driver: netlink socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("driver: bind netlink socket: %w", err)
	}
	return &rtnl{fd: fd, buf: make([]byte, 64<<10)}, nil
}

func (r *rtnl) close() error { return unix.Close(r.fd) }

func align4(n int) int { return (n + 3) &^ 3 }

// do sends one request and returns copies of the payloads of the kernel's
// replies of type want, until the dump ends (NLMSG_DONE) or the kernel
// acknowledges the request (NLMSG_ERROR with error 0).
func (r *rtnl) do(typ, flags uint16, body []byte, want uint16) ([][]byte, error) {
	r.seq++
	msg := make([]byte, unix.SizeofNlMsghdr+len(body))
	ne.PutUint32(msg[0:], uint32(len(msg)))
	ne.PutUint16(msg[4:], typ)
	ne.PutUint16(msg[6:], flags|unix.NLM_F_REQUEST)
	ne.PutUint32(msg[8:], r.seq)
	copy(msg[unix.SizeofNlMsghdr:], body)
	if err := unix.Sendto(r.fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("driver: netlink send: %w", err)
	}
	var out [][]byte
	for {
		n, from, err := unix.Recvfrom(r.fd, r.buf, unix.MSG_TRUNC)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("driver: netlink receive: %w", err)
		}
		if n > len(r.buf) {
			return nil, fmt.Errorf("%w: reply of %d bytes truncated", errNetlink, n)
		}
		if sa, ok := from.(*unix.SockaddrNetlink); !ok || sa.Pid != 0 {
			continue // only the kernel answers
		}
		done, err := r.collect(r.buf[:n], want, &out)
		if err != nil || done {
			return out, err
		}
	}
}

// collect walks the messages of one datagram; done is true at the end of
// the reply to the current request.
func (r *rtnl) collect(b []byte, want uint16, out *[][]byte) (done bool, err error) {
	for len(b) >= unix.SizeofNlMsghdr {
		l := int(ne.Uint32(b[0:]))
		typ, seq := ne.Uint16(b[4:]), ne.Uint32(b[8:])
		if l < unix.SizeofNlMsghdr || l > len(b) {
			return false, fmt.Errorf("%w: length %d of %d bytes", errNetlink, l, len(b))
		}
		payload := b[unix.SizeofNlMsghdr:l]
		b = b[min(align4(l), len(b)):]
		if seq != r.seq {
			continue
		}
		switch typ {
		case unix.NLMSG_DONE, unix.NLMSG_ERROR:
			if len(payload) >= 4 {
				if e := int32(ne.Uint32(payload)); e != 0 {
					return true, fmt.Errorf("driver: netlink: %w", unix.Errno(-e))
				}
			}
			return true, nil
		case want:
			*out = append(*out, bytes.Clone(payload))
		}
	}
	return false, nil
}

// link is one network interface.
type link struct {
	index int32
	flags uint32 // IFF_*
	name  string
	alias string
}

func (l link) up() bool       { return l.flags&unix.IFF_UP != 0 }
func (l link) loopback() bool { return l.flags&unix.IFF_LOOPBACK != 0 }

// parseLink decodes an RTM_NEWLINK payload: struct ifinfomsg, then
// attributes.
func parseLink(p []byte) (link, error) {
	if len(p) < unix.SizeofIfInfomsg {
		return link{}, fmt.Errorf("%w: link message of %d bytes", errNetlink, len(p))
	}
	l := link{index: int32(ne.Uint32(p[4:])), flags: ne.Uint32(p[8:])}
	for a := p[unix.SizeofIfInfomsg:]; len(a) >= unix.SizeofRtAttr; {
		n, typ := int(ne.Uint16(a[0:])), ne.Uint16(a[2:])
		if n < unix.SizeofRtAttr || n > len(a) {
			return link{}, fmt.Errorf("%w: attribute length %d of %d bytes", errNetlink, n, len(a))
		}
		v, _, _ := bytes.Cut(a[unix.SizeofRtAttr:n], []byte{0})
		switch typ {
		case unix.IFLA_IFNAME:
			l.name = string(v)
		case unix.IFLA_IFALIAS:
			l.alias = string(v)
		}
		a = a[min(align4(n), len(a)):]
	}
	return l, nil
}

// listLinks returns the interfaces of the namespace the socket lives in.
func (r *rtnl) listLinks() ([]link, error) {
	// ifi_family AF_UNSPEC: every link
	return dump(r, unix.RTM_GETLINK, unix.RTM_NEWLINK, unix.SizeofIfInfomsg, "network interfaces", parseLink)
}

// dump asks for every object of a kind (RTM_GET* with NLM_F_DUMP and an
// all-zero request body of bodyLen bytes: every family) and parses each
// reply of type want; what names the kind in errors.
func dump[T any](r *rtnl, typ, want uint16, bodyLen int, what string, parse func([]byte) (T, error)) ([]T, error) {
	msgs, err := r.do(typ, unix.NLM_F_DUMP, make([]byte, bodyLen), want)
	if err != nil {
		return nil, fmt.Errorf("driver: list %s: %w", what, err)
	}
	out := make([]T, 0, len(msgs))
	for _, m := range msgs {
		v, err := parse(m)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// setAlias sets the alias (IFLA_IFALIAS) of interface index; "" removes it.
func (r *rtnl) setAlias(index int32, alias string) error {
	attr := unix.SizeofRtAttr + len(alias)
	body := make([]byte, unix.SizeofIfInfomsg+align4(attr))
	ne.PutUint32(body[4:], uint32(index))
	a := body[unix.SizeofIfInfomsg:]
	ne.PutUint16(a[0:], uint16(attr))
	ne.PutUint16(a[2:], unix.IFLA_IFALIAS)
	copy(a[unix.SizeofRtAttr:], alias)
	if _, err := r.do(unix.RTM_SETLINK, unix.NLM_F_ACK, body, 0); err != nil {
		return fmt.Errorf("driver: set alias of interface %d: %w", index, err)
	}
	return nil
}

// ifAddr is one address of an interface, with its prefix length.
type ifAddr struct {
	index  int32
	prefix netip.Prefix
}

// parseAddr decodes an RTM_NEWADDR payload: struct ifaddrmsg (family,
// prefix length, flags, scope, interface index), then attributes, of
// which IFA_ADDRESS is the interface's address (IFA_LOCAL on a
// point-to-point link, which is preferred when present).
func parseAddr(p []byte) (ifAddr, error) {
	if len(p) < unix.SizeofIfAddrmsg {
		return ifAddr{}, fmt.Errorf("%w: address message of %d bytes", errNetlink, len(p))
	}
	bits, index := int(p[1]), int32(ne.Uint32(p[4:]))
	var addr, local netip.Addr
	for a := p[unix.SizeofIfAddrmsg:]; len(a) >= unix.SizeofRtAttr; {
		n, typ := int(ne.Uint16(a[0:])), ne.Uint16(a[2:])
		if n < unix.SizeofRtAttr || n > len(a) {
			return ifAddr{}, fmt.Errorf("%w: attribute length %d of %d bytes", errNetlink, n, len(a))
		}
		if ip, ok := netip.AddrFromSlice(a[unix.SizeofRtAttr:n]); ok {
			switch typ {
			case unix.IFA_ADDRESS:
				addr = ip.Unmap()
			case unix.IFA_LOCAL:
				local = ip.Unmap()
			}
		}
		a = a[min(align4(n), len(a)):]
	}
	if local.IsValid() {
		addr = local
	}
	if !addr.IsValid() || bits > addr.BitLen() {
		return ifAddr{}, fmt.Errorf("%w: address message without a valid address (/%d)", errNetlink, bits)
	}
	return ifAddr{index: index, prefix: netip.PrefixFrom(addr, bits).Masked()}, nil
}

// listAddrs returns the addresses of the namespace the socket lives in.
func (r *rtnl) listAddrs() ([]ifAddr, error) {
	// ifa_family AF_UNSPEC: every family
	return dump(r, unix.RTM_GETADDR, unix.RTM_NEWADDR, unix.SizeofIfAddrmsg, "addresses", parseAddr)
}
