package probe

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParseSockstat(t *testing.T) {
	tests := []struct {
		name        string
		v4, v6      string
		want        Sockstat
		wantMissing []string
		wantErr     bool
	}{
		{
			name: "kernel 6.18",
			v4:   "sockets: used 11\nTCP: inuse 1 orphan 2 tw 3 alloc 4 mem 241\nUDP: inuse 0 mem 0\nFRAG: inuse 0 memory 0\n",
			v6:   "TCP6: inuse 5\nUDP6: inuse 0\n",
			want: Sockstat{SocketsUsed: 11, TCPInUse: 1, Orphan: 2, TimeWait: 3, Alloc: 4, MemPages: 241, TCP6InUse: 5},
		},
		{
			name:        "no tw field, no sockstat6",
			v4:          "sockets: used 1\nTCP: inuse 1 orphan 0 alloc 1 mem 0\n",
			want:        Sockstat{SocketsUsed: 1, TCPInUse: 1, Alloc: 1},
			wantMissing: []string{"TCP.tw"},
		},
		{name: "odd fields", v4: "TCP: inuse 1 orphan\n", wantErr: true},
		{name: "bad number", v4: "TCP: inuse one\n", wantErr: true},
		{name: "no prefix", v4: "inuse 1\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v4, err := parseSockstat(strings.NewReader(tt.v4))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("parsed %v, want an error", v4)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var v6 Counters
			if tt.v6 != "" {
				if v6, err = parseSockstat(strings.NewReader(tt.v6)); err != nil {
					t.Fatal(err)
				}
			}
			got, missing := sockstatFrom(v4, v6)
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if !reflect.DeepEqual(missing, tt.wantMissing) {
				t.Errorf("missing %v, want %v", missing, tt.wantMissing)
			}
		})
	}
}

func TestSockstatMissingFileIsWarning(t *testing.T) {
	// A namespace without IPv6: only sockstat6 is absent.
	dir := t.TempDir()
	writeTestFile(t, dir, "7/net/sockstat", "sockets: used 1\nTCP: inuse 1 orphan 0 tw 9 alloc 1 mem 0\n")
	s, warn, err := FS{Root: dir}.Sockstat(7)
	if err != nil {
		t.Fatal(err)
	}
	if s.TimeWait != 9 || len(warn) != 1 || !strings.Contains(warn[0], "sockstat6") {
		t.Errorf("got %+v, warnings %q", s, warn)
	}
	if _, _, err := (FS{Root: dir}).Sockstat(8); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("missing sockstat: err = %v, want one naming the path", err)
	}
}

func FuzzParseSockstat(f *testing.F) {
	f.Add([]byte("sockets: used 11\nTCP: inuse 1 orphan 0 tw 2 alloc 1 mem 241\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := parseSockstat(strings.NewReader(string(in)))
		if err != nil {
			return
		}
		var b strings.Builder
		for _, sec := range c.Sections() {
			b.WriteString(sec + ":")
			for k, v := range c[sec] {
				fmt.Fprintf(&b, " %s %d", k, v)
			}
			b.WriteString("\n")
		}
		again, err := parseSockstat(strings.NewReader(b.String()))
		if err != nil {
			t.Fatalf("reparse of %q: %v", b.String(), err)
		}
		if !reflect.DeepEqual(c, again) {
			t.Fatalf("round trip changed %v into %v", c, again)
		}
		sockstatFrom(c, c)
	})
}
