package probe

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func TestParseCounters(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Counters
		wantErr bool
	}{
		{
			name: "two sections, negative gauge",
			in:   "Tcp: RtoMin MaxConn ActiveOpens\nTcp: 200 -1 22\nUdp: InDatagrams\nUdp: 27\n",
			want: Counters{"Tcp": {"RtoMin": 200, "MaxConn": -1, "ActiveOpens": 22}, "Udp": {"InDatagrams": 27}},
		},
		{name: "empty", in: "", want: Counters{}},
		{name: "blank lines and no final newline", in: "\nIcmpMsg: InType3\n\nIcmpMsg: 1", want: Counters{"IcmpMsg": {"InType3": 1}}},
		{name: "empty section", in: "MPTcpExt:\nMPTcpExt:\n", want: Counters{"MPTcpExt": {}}},
		{name: "names without values", in: "TcpExt: ListenOverflows\n", wantErr: true},
		{name: "sections differ", in: "TcpExt: A\nIpExt: 1\n", wantErr: true},
		{name: "more names than values", in: "TcpExt: A B\nTcpExt: 1\n", wantErr: true},
		{name: "not a number", in: "TcpExt: A\nTcpExt: x\n", wantErr: true},
		{name: "overflows int64", in: "TcpExt: A\nTcpExt: 18446744073709551615\n", wantErr: true},
		{name: "no section", in: "A B\n1 2\n", wantErr: true},
		{name: "space in section", in: "Tcp Ext: A\nTcp Ext: 1\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCounters(strings.NewReader(tt.in))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("parsed %v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTypedCounters(t *testing.T) {
	// A kernel before 4.x: no TCPReqQFullDrop / TCPReqQFullDoCookies.
	old := Counters{"TcpExt": {"ListenOverflows": 3, "ListenDrops": 4}, "Tcp": {"ActiveOpens": 9, "CurrEstab": 2}}
	ext, missing := old.TCPExt()
	if ext.ListenOverflows != 3 || ext.ListenDrops != 4 {
		t.Errorf("TCPExt = %+v", ext)
	}
	for _, name := range []string{"TcpExt.TCPReqQFullDrop", "TcpExt.TCPReqQFullDoCookies", "TcpExt.TW"} {
		if !contains(missing, name) {
			t.Errorf("missing %v lacks %s", missing, name)
		}
	}
	if contains(missing, "TcpExt.ListenOverflows") {
		t.Errorf("ListenOverflows reported missing")
	}
	tcp, missing := old.TCP()
	if tcp.ActiveOpens != 9 || tcp.CurrEstab != 2 || len(missing) != reflect.TypeFor[TCP]().NumField()-2 {
		t.Errorf("TCP = %+v, missing %v", tcp, missing)
	}
	if _, missing := (Counters{}).TCPExt(); len(missing) != reflect.TypeFor[TCPExt]().NumField() {
		t.Errorf("empty table: %d missing, want all %d", len(missing), reflect.TypeFor[TCPExt]().NumField())
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestDeltaCounters(t *testing.T) {
	before := Counters{"Tcp": {"ActiveOpens": 10, "CurrEstab": 50, "RtoMin": 200, "OutRsts": 9}, "TcpExt": {"ListenOverflows": 1}}
	after := Counters{"Tcp": {"ActiveOpens": 25, "CurrEstab": 3, "RtoMin": 200, "OutRsts": 2, "InErrs": 4}, "TcpExt": {"ListenOverflows": 8}, "IpExt": {"InOctets": 100}}
	d, warn := DeltaCounters(before, after)
	want := Counters{
		"Tcp":    {"ActiveOpens": 15, "CurrEstab": 3, "RtoMin": 200, "OutRsts": 2, "InErrs": 4},
		"TcpExt": {"ListenOverflows": 7},
		"IpExt":  {"InOctets": 100},
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("delta = %v, want %v", d, want)
	}
	wantWarn := []string{
		"Tcp.InErrs missing before: its delta is its value after",
		"Tcp.OutRsts went backwards (9 -> 2): counters were reset",
		"section IpExt missing before: its delta is its value after",
	}
	if !reflect.DeepEqual(warn, wantWarn) {
		t.Errorf("warnings = %q, want %q", warn, wantWarn)
	}
}

// formatCounters writes c in the netstat/snmp layout.
func formatCounters(c Counters) string {
	var b strings.Builder
	for _, sec := range c.Sections() {
		names := make([]string, 0, len(c[sec]))
		for n := range c[sec] {
			names = append(names, n)
		}
		sort.Strings(names)
		vals := make([]string, len(names))
		for i, n := range names {
			vals[i] = fmt.Sprint(c[sec][n])
		}
		fmt.Fprintf(&b, "%s: %s\n%s: %s\n", sec, strings.Join(names, " "), sec, strings.Join(vals, " "))
	}
	return b.String()
}

func FuzzParseCounters(f *testing.F) {
	f.Add([]byte("Tcp: RtoMin MaxConn\nTcp: 200 -1\n"))
	f.Add([]byte("TcpExt: A B\nTcpExt: 1\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := parseCounters(strings.NewReader(string(in)))
		if err != nil {
			if c != nil {
				t.Fatalf("error %v with a result", err)
			}
			return
		}
		// Whatever parses must survive a round trip unchanged.
		again, err := parseCounters(strings.NewReader(formatCounters(c)))
		if err != nil {
			t.Fatalf("reparse of %q: %v", formatCounters(c), err)
		}
		if !reflect.DeepEqual(c, again) {
			t.Fatalf("round trip changed %v into %v", c, again)
		}
		if _, missing := c.TCPExt(); len(missing) > reflect.TypeFor[TCPExt]().NumField() {
			t.Fatal("more missing than fields")
		}
	})
}
