package servers

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/internal/golden"
)

// checkGolden compares got with testdata/name (rewritten with -update).
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got)
}

func TestRouteTarget(t *testing.T) {
	tests := []struct {
		target string
		want   Action
	}{
		{"/", Action{Kind: KindOK}},
		{"/?x=1", Action{Kind: KindOK}},
		{"/?", Action{Kind: KindOK}},
		{"/json", Action{Kind: KindJSON}},
		{"/echo", Action{Kind: KindEcho}},
		{"/echo?x=1", Action{Kind: KindEcho}},
		{"/echo/", Action{Kind: KindNotFound}},
		{"/json?pretty=1", Action{Kind: KindJSON}},
		{"/cpu?us=0", Action{Kind: KindCPU, N: 0}},
		{"/cpu?us=50", Action{Kind: KindCPU, N: 50}},
		{"/cpu?us=1000000", Action{Kind: KindCPU, N: MaxCPUMicros}},
		{"/cpu?a=b&us=7&c", Action{Kind: KindCPU, N: 7}},
		{"/cpu?us=5&us=9", Action{Kind: KindCPU, N: 5}}, // the first of repeated keys
		{"/cpu?us=abc&us=9", Action{Kind: KindBadRequest}},
		{"/cpu?us=007", Action{Kind: KindCPU, N: 7}},
		{"/sleep?ms=0", Action{Kind: KindSleep, N: 0}},
		{"/sleep?ms=10", Action{Kind: KindSleep, N: 10}},
		{"/sleep?ms=60000", Action{Kind: KindSleep, N: MaxSleepMillis}},

		{"/cpu", Action{Kind: KindBadRequest}},
		{"/cpu?", Action{Kind: KindBadRequest}},
		{"/cpu?us", Action{Kind: KindBadRequest}},
		{"/cpu?us=", Action{Kind: KindBadRequest}},
		{"/cpu?us=abc", Action{Kind: KindBadRequest}},
		{"/cpu?us=-1", Action{Kind: KindBadRequest}},
		{"/cpu?us=+1", Action{Kind: KindBadRequest}},
		{"/cpu?us=1.5", Action{Kind: KindBadRequest}},
		{"/cpu?us=1%30", Action{Kind: KindBadRequest}},
		{"/cpu?us=1000001", Action{Kind: KindBadRequest}},
		{"/cpu?us=999999999", Action{Kind: KindBadRequest}},
		{"/cpu?us=1234567890", Action{Kind: KindBadRequest}},           // ten digits: refused before it can overflow
		{"/cpu?us=99999999999999999999", Action{Kind: KindBadRequest}}, // would overflow int64
		{"/cpu?xus=5", Action{Kind: KindBadRequest}},
		{"/cpu?US=5", Action{Kind: KindBadRequest}},
		{"/cpu?ms=5", Action{Kind: KindBadRequest}},
		{"/sleep", Action{Kind: KindBadRequest}},
		{"/sleep?ms=60001", Action{Kind: KindBadRequest}},
		{"/sleep?us=5", Action{Kind: KindBadRequest}},

		{"/nope", Action{Kind: KindNotFound}},
		{"", Action{Kind: KindNotFound}},
		{"/json/", Action{Kind: KindNotFound}},
		{"/JSON", Action{Kind: KindNotFound}},
		{"//", Action{Kind: KindNotFound}},
		{"/cpu/", Action{Kind: KindNotFound}},
		{"json", Action{Kind: KindNotFound}},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			if got := RouteTarget(tt.target); got != tt.want {
				t.Errorf("RouteTarget(%q) = %+v, want %+v", tt.target, got, tt.want)
			}
			if got := RouteTarget([]byte(tt.target)); got != tt.want {
				t.Errorf("RouteTarget([]byte(%q)) = %+v, want %+v", tt.target, got, tt.want)
			}
		})
	}
}

func TestRouteAllocs(t *testing.T) {
	target := []byte("/cpu?a=1&us=25")
	allocs := testing.AllocsPerRun(100, func() {
		if a := RouteTarget(target); a.Kind != KindCPU || a.N != 25 {
			t.Fatalf("got %+v", a)
		}
	})
	if allocs != 0 {
		t.Errorf("RouteTarget allocates %.1f times, want 0", allocs)
	}
}

func TestActionAnswers(t *testing.T) {
	tests := []struct {
		a        Action
		status   int
		ctype    string
		body     string
		blocking bool
	}{
		{Action{Kind: KindOK}, 200, TextPlain, "ok", false},
		{Action{Kind: KindJSON}, 200, AppJSON, `{"message":"ok","server":"scalelab"}`, false},
		{Action{Kind: KindCPU, N: 5}, 200, TextPlain, "ok", false},
		{Action{Kind: KindSleep, N: 5}, 200, TextPlain, "ok", true},
		{Action{Kind: KindSleep, N: 0}, 200, TextPlain, "ok", false},
		{Action{Kind: KindNotFound}, 404, TextPlain, "not found\n", false},
		{Action{Kind: KindBadRequest}, 400, TextPlain, "bad request\n", false},
		{Action{Kind: KindEcho}, 200, TextPlain, "0", false},
		{Action{Kind: KindEcho}.WithBody(7), 200, TextPlain, "7", false},
		{Action{Kind: KindEcho}.WithBody(65536), 200, TextPlain, "65536", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%+v", tt.a), func(t *testing.T) {
			if got := tt.a.Status(); got != tt.status {
				t.Errorf("Status = %d, want %d", got, tt.status)
			}
			if got := tt.a.ContentType(); got != tt.ctype {
				t.Errorf("ContentType = %q, want %q", got, tt.ctype)
			}
			if got := string(tt.a.Body()); got != tt.body {
				t.Errorf("Body = %q, want %q", got, tt.body)
			}
			if got := string(tt.a.AppendBody([]byte("x"))); got != "x"+tt.body {
				t.Errorf("AppendBody = %q, want %q", got, "x"+tt.body)
			}
			if got := tt.a.Blocking(); got != tt.blocking {
				t.Errorf("Blocking = %v, want %v", got, tt.blocking)
			}
			for _, keep := range []bool{true, false} {
				want := AppendResponse(nil, tt.status, tt.ctype, []byte(tt.body), keep)
				if got := AppendAction([]byte("x"), tt.a, keep); !bytes.Equal(got, append([]byte("x"), want...)) {
					t.Errorf("AppendAction(keepAlive=%v) = %q, want %q", keep, got, want)
				}
			}
		})
	}
}

// TestEchoRouting: WithBody sets the length of /echo actions only, and an
// /echo answer is built without allocating.
func TestEchoRouting(t *testing.T) {
	if a := RouteTarget("/echo").WithBody(12); a.Kind != KindEcho || a.N != 12 {
		t.Errorf("/echo with 12 bytes: %+v", a)
	}
	for _, target := range []string{"/", "/cpu?us=5", "/nope"} {
		a := RouteTarget(target)
		if got := a.WithBody(99); got != a {
			t.Errorf("%s: WithBody changed %+v to %+v", target, a, got)
		}
	}
	buf := make([]byte, 0, 256)
	a := Action{Kind: KindEcho, N: 1234}
	allocs := testing.AllocsPerRun(100, func() { buf = AppendAction(buf[:0], a, true) })
	if allocs != 0 {
		t.Errorf("AppendAction(echo) allocates %.1f times, want 0", allocs)
	}
	if !bytes.HasSuffix(buf, []byte("Content-Length: 4\r\n\r\n1234")) {
		t.Errorf("echo answer %q", buf)
	}
}

func TestActionDo(t *testing.T) {
	for _, a := range []Action{{Kind: KindCPU, N: 2000}, {Kind: KindSleep, N: 2}} {
		start := time.Now()
		a.Do()
		if took := time.Since(start); took < 2*time.Millisecond {
			t.Errorf("%+v returned after %v, before the 2 ms it asks for", a, took)
		}
	}
}

func TestStatusTextAndErrorBody(t *testing.T) {
	for _, code := range []int{200, 400, 404, 405, 408, 411, 413, 431, 500, 501, 503, 505} {
		text := StatusText(code)
		if strings.HasPrefix(text, "Status ") {
			t.Errorf("StatusText(%d) = %q: no reason phrase", code, text)
		}
		if code >= 400 && len(ErrorBody(code)) == 0 {
			t.Errorf("ErrorBody(%d) is empty", code)
		}
	}
	if got := StatusText(299); got != "Status 299" {
		t.Errorf("StatusText(299) = %q", got)
	}
}

// TestAppendResponseGolden pins the bytes of every canned answer and of the
// refusals.
func TestAppendResponseGolden(t *testing.T) {
	var out bytes.Buffer
	for k := KindOK; k <= KindBadRequest; k++ {
		for _, keep := range []bool{true, false} {
			a := Action{Kind: k}
			fmt.Fprintf(&out, "=== kind %d keep-alive=%v\n", k, keep)
			resp := AppendResponse(nil, a.Status(), a.ContentType(), a.Body(), keep)
			if len(a.Body()) > 1024 { // the head, and the body said in words
				resp = append(resp[:len(resp)-len(a.Body())], fmt.Sprintf("<%d bytes of %q>", len(a.Body()), a.Body()[0])...)
			}
			out.Write(resp)
			out.WriteString("\n")
		}
	}
	for _, code := range []int{400, 405, 411, 413, 431, 505} {
		fmt.Fprintf(&out, "=== error %d\n", code)
		out.Write(AppendResponse(nil, code, TextPlain, ErrorBody(code), false))
		out.WriteString("\n")
	}
	checkGolden(t, "responses.golden", out.Bytes())
}

func BenchmarkAppendAction(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendAction(buf[:0], Action{Kind: KindJSON}, true)
	}
}
