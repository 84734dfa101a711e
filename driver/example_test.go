//go:build linux

package driver_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/scalelab/scalelab/driver"
)

// Configure a run, drive it against an in-process server and read the
// summary.
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()

	sum, err := driver.Run(context.Background(), driver.Config{
		Targets:           []string{srv.URL + "/", srv.URL + "/missing"},
		Clients:           4, // spread round-robin over the two targets
		RequestsPerClient: 25,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("requests:", sum.Requests, "ok:", sum.OK, "ended by:", sum.EndedBy)
	fmt.Println("404s:", sum.Errors[driver.ClassHTTP4xx], "at stage:", sum.ErrorsByStage["status"])
	fmt.Printf("success rate: %.2f\n", sum.SuccessRate)
	fmt.Println("latency measured:", sum.LatencyMS.P50 > 0 && sum.LatencyMS.P50 <= sum.LatencyMS.Max)
	// Output:
	// requests: 100 ok: 50 ended by: requests
	// 404s: 50 at stage: map[http_4xx:50]
	// success rate: 0.50
	// latency measured: true
}
