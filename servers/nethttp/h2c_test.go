package nethttp

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/scalelab/scalelab/servers"
)

// startH2C starts the variant with h2c on and max streams, on a free port.
func startH2C(t *testing.T, maxStreams int) (string, *servers.Stats) {
	t.Helper()
	cfg := servers.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.H2C, cfg.MaxStreams = true, maxStreams
	st := servers.NewStats()
	srv, err := New(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return srv.Addrs()[0], st
}

// h2Client is a raw HTTP/2 client on the Framer: it does exactly what a
// test tells it, including what a real client must not.
type h2Client struct {
	t     *testing.T
	c     net.Conn
	fr    *http2.Framer
	block bytes.Buffer
	enc   *hpack.Encoder
}

// dialH2 connects and sends the client preface and an empty SETTINGS.
func dialH2(t *testing.T, addr string) *h2Client {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	h := &h2Client{t: t, c: c, fr: http2.NewFramer(c, c)}
	h.enc = hpack.NewEncoder(&h.block)
	h.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	if err := h.fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	return h
}

// settings reads the server's first frame, which must be SETTINGS, and
// returns its SETTINGS_MAX_CONCURRENT_STREAMS.
func (h *h2Client) settings() uint32 {
	h.t.Helper()
	f, err := h.fr.ReadFrame()
	if err != nil {
		h.t.Fatal(err)
	}
	sf, ok := f.(*http2.SettingsFrame)
	if !ok || sf.IsAck() {
		h.t.Fatalf("the server's first frame is %v, want SETTINGS", f)
	}
	v, ok := sf.Value(http2.SettingMaxConcurrentStreams)
	if !ok {
		h.t.Fatal("no SETTINGS_MAX_CONCURRENT_STREAMS in the server's SETTINGS")
	}
	return v
}

// get opens stream id with GET path.
func (h *h2Client) get(id uint32, path string) {
	h.t.Helper()
	h.block.Reset()
	for _, f := range [][2]string{{":method", "GET"}, {":scheme", "http"}, {":authority", "x"}, {":path", path}} {
		_ = h.enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	if err := h.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: h.block.Bytes(), EndStream: true, EndHeaders: true}); err != nil {
		h.t.Fatal(err)
	}
}

// outcomes reads frames until every stream in ids has ended, and returns
// each one's end: "200" for an answer, or the RST_STREAM code's name.
func (h *h2Client) outcomes(ids ...uint32) map[uint32]string {
	h.t.Helper()
	out := map[uint32]string{}
	status := map[uint32]string{}
	for len(out) < len(ids) {
		f, err := h.fr.ReadFrame()
		if err != nil {
			h.t.Fatalf("after %v: %v", out, err)
		}
		switch f := f.(type) {
		case *http2.MetaHeadersFrame:
			status[f.StreamID] = f.PseudoValue("status")
			if f.StreamEnded() {
				out[f.StreamID] = status[f.StreamID]
			}
		case *http2.DataFrame:
			if f.StreamEnded() {
				out[f.StreamID] = status[f.StreamID]
			}
		case *http2.RSTStreamFrame:
			out[f.StreamID] = f.ErrCode.String()
		case *http2.GoAwayFrame:
			h.t.Fatalf("GOAWAY %v", f.ErrCode)
		}
	}
	return out
}

// TestH2CSettings: the limit the server announces in its first SETTINGS
// frame is the max_streams knob, or net/http's default of 250.
func TestH2CSettings(t *testing.T) {
	for _, tc := range []struct{ knob, want int }{{0, 250}, {7, 7}, {1000, 1000}} {
		addr, _ := startH2C(t, tc.knob)
		if got := dialH2(t, addr).settings(); got != uint32(tc.want) {
			t.Errorf("max_streams %d: SETTINGS_MAX_CONCURRENT_STREAMS %d, want %d", tc.knob, got, tc.want)
		}
	}
}

// TestH2CBeyondTheLimit: what net/http does with a stream opened beyond
// its limit of 2 (two slow streams hold the slots). Before the client
// acknowledged the server's SETTINGS it may not know the limit: the stream
// is refused (REFUSED_STREAM, safe to retry). After, it broke a rule it
// was told: PROTOCOL_ERROR. Both count as refused streams.
func TestH2CBeyondTheLimit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ack     bool
		code    string
		counted string
	}{
		{"before the SETTINGS ACK", false, "REFUSED_STREAM", "stream_REFUSED_STREAM_over_max_streams_race"},
		{"after the SETTINGS ACK", true, "PROTOCOL_ERROR", "stream_PROTOCOL_ERROR_over_max_streams"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, st := startH2C(t, 2)
			h := dialH2(t, addr)
			if h.settings() != 2 {
				t.Fatal("limit not announced")
			}
			if tc.ack {
				if err := h.fr.WriteSettingsAck(); err != nil {
					t.Fatal(err)
				}
			}
			h.get(1, "/sleep?ms=300")
			h.get(3, "/sleep?ms=300")
			h.get(5, "/")
			got := h.outcomes(1, 3, 5)
			if got[1] != "200" || got[3] != "200" || got[5] != tc.code {
				t.Fatalf("streams ended %v, want 1 and 3 answered 200, 5 reset %s", got, tc.code)
			}
			snap := st.Snapshot()
			if snap.StreamsOpened != 2 || snap.StreamsRefused != 1 || snap.H2Errors[tc.counted] != 1 {
				t.Errorf("stats: opened %d refused %d errors %v, want 2, 1 and %s", snap.StreamsOpened, snap.StreamsRefused, snap.H2Errors, tc.counted)
			}
		})
	}
}

// TestH2CKeepsHTTP1: with h2c on, the same listener serves HTTP/1.1, and
// a net/http client with prior-knowledge HTTP/2 gets its answer over h2.
func TestH2CKeepsHTTP1(t *testing.T) {
	addr, st := startH2C(t, 0)
	h1 := &http.Client{Timeout: 5 * time.Second}
	p := new(http.Protocols)
	p.SetUnencryptedHTTP2(true)
	h2 := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{Protocols: p}}
	for _, tc := range []struct {
		name  string
		c     *http.Client
		proto int
	}{{"HTTP/1.1", h1, 1}, {"h2c", h2, 2}} {
		resp, err := tc.c.Get("http://" + addr + "/")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "ok" || resp.ProtoMajor != tc.proto {
			t.Errorf("%s: %d %q over HTTP/%d", tc.name, resp.StatusCode, body, resp.ProtoMajor)
		}
	}
	if snap := st.Snapshot(); snap.StreamsOpened != 1 || snap.Requests != 2 {
		t.Errorf("streams %d requests %d, want 1 and 2", snap.StreamsOpened, snap.Requests)
	}
}
