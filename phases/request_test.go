package phases

import (
	"strings"
	"testing"
)

// TestRequestAndThresholds: driver.method, driver.headers, driver.body and
// the top-level thresholds are read, handed to the driver, and checked
// with errors that name the file, the line and the field.
func TestRequestAndThresholds(t *testing.T) {
	base := "schema: scalelab/phase/v1\nnumber: 3\nname: pool\nhypothesis: {limit: queueing}\n"
	in := complete(base + "driver:\n  path: /echo\n  method: POST\n  headers: [\"Content-Type: application/json\"]\n  body: '{\"a\":1}'\n" +
		"thresholds: [\"success>=99.9%\", \"p99<10ms\"]\n")
	p, err := Parse("p.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Thresholds) != 2 || p.Driver.Method != "POST" || p.Driver.Body != `{"a":1}` {
		t.Fatalf("thresholds %q method %q body %q", p.Thresholds, p.Driver.Method, p.Driver.Body)
	}
	c := p.DriverConfig(10, []string{"127.0.0.1:8080"})
	if c.Method != "POST" || c.Body != `{"a":1}` || len(c.Headers) != 1 || c.Headers[0] != "Content-Type: application/json" ||
		c.Targets[0] != "http://127.0.0.1:8080/echo" {
		t.Errorf("driver config %+v", c)
	}

	for _, tt := range []struct{ add, want string }{
		{"thresholds: [\"success>=99%\", \"p99<10\"]\n", `p.yaml:5: thresholds[1]: threshold "p99<10": p99 is a time: write 10ms`},
		{"thresholds: [\"sucess>=99%\"]\n", "did you mean success?"},
		{"driver: {method: post}\n", "p.yaml:5: driver.method: methods are case-sensitive: did you mean POST?"},
		{"driver: {headers: [\"Content-Length: 3\"]}\n", "p.yaml:5: driver.headers: Content-Length: it is set from the body"},
		{"driver: {headers: [\"no colon\"]}\n", `driver.headers: header "no colon": want "Name: value"`},
	} {
		t.Run(tt.add, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte(complete(base+tt.add)))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
