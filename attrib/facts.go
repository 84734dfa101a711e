package attrib

import (
	"fmt"
	"sort"
	"strings"

	"github.com/scalelab/scalelab/units"
)

// Facts describes what the step measured in words, one line for the
// server, the driver, the client hosts when there were several, and the
// kernel (always last), for the report's "Measured" list.
func (st Step) Facts() []string {
	sv := st.Server
	server := fmt.Sprintf("Server: CPU %s%% of a core, RSS %s MB, open fds up to %s", units.Float(float64(sv.CPUPct), 1),
		units.Float(float64(sv.RSSMB), 1), units.Int(sv.FDsMax))
	if sv.NoFile > 0 {
		server += " of " + units.Int(sv.NoFile)
	}
	server += fmt.Sprintf(", %s accepted, accept errors %s", units.Int(sv.Accepted), units.Counts(sv.AcceptErrors, 4))
	if sv.Workers > 0 {
		server += fmt.Sprintf(", busy workers up to %s of %s", units.Int(sv.BusyWorkersMax), units.Int(sv.Workers))
	}
	if sv.QueueCap > 0 {
		server += fmt.Sprintf(", queue up to %s of %s", units.Int(sv.QueueMax), units.Int(sv.QueueCap))
	}
	if sv.Backlog > 0 {
		server += fmt.Sprintf(", accept queue up to %s of %s", units.Int(sv.ListenQueueMax), units.Int(sv.Backlog))
	}
	if sv.Requests > 0 {
		server += fmt.Sprintf(", handler p99 %s ms", units.MSValue(float64(sv.HandlerMS.P99)))
	} else {
		server += ", handler p99 n/a (no request handled)"
	}
	if sv.CPUPerRequest > 0 {
		server += ", " + sv.CPUPerRequest.String() + " of CPU per request"
	}
	server += "."

	dr := st.Driver
	driver := fmt.Sprintf("Driver: CPU %s%% of a core", units.Float(float64(dr.CPUPct), 1))
	if dr.CPUs > 0 {
		driver += fmt.Sprintf(" (%s available)", units.Plural(dr.CPUs, "core", "cores"))
	}
	driver += fmt.Sprintf(", RSS %s MB", units.Float(float64(dr.RSSMB), 1))
	if st.ClientsStarved > 0 {
		driver += fmt.Sprintf(", %s of %s clients got no answer", units.Int(st.ClientsStarved), units.Int(st.Clients))
	}
	if dr.FDsMax > 0 {
		driver += ", open fds up to " + units.Int(dr.FDsMax)
		if dr.NoFile > 0 {
			driver += " of " + units.Int(dr.NoFile)
		}
	}
	if h := dr.H2; h != nil {
		driver += fmt.Sprintf(", h2c %s × %s streams (the server allows %s), in flight %s per connection on average",
			units.Plural(h.Connections, "connection", "connections"), units.Int(h.Streams), maxStreamsText(h.ServerMaxStreams), units.Float(float64(h.InFlightMean), 1))
		if h.Waited > 0 {
			driver += fmt.Sprintf(", %s requests queued at the client for a stream slot (p99 %s)", units.Int(h.Waited), h.WaitP99MS)
		}
		if h.Refused > 0 || h.GoAway > 0 {
			driver += fmt.Sprintf(", %s streams refused, %s GOAWAY", units.Int(h.Refused), units.Int(h.GoAway))
		}
	}
	if st.Connects > 0 && (st.ConnectMS.P99 > 0 || st.ConnectMS.Max > 0) {
		driver += fmt.Sprintf(", connect p99 %s ms.", units.MSValue(float64(st.ConnectMS.P99)))
	} else {
		driver += ", connect time n/a (no connect in the measured window)."
	}

	kernel := "Kernel: no counter recorded."
	if counts := st.Kernel.Counts(); len(counts) > 0 {
		sort.Slice(counts, func(i, j int) bool { return counts[i].Name < counts[j].Name })
		parts := make([]string, len(counts))
		for i, c := range counts {
			parts[i] = fmt.Sprintf("`%s` %s", c.Name, units.Int(c.Value))
		}
		kernel = "Kernel: " + strings.Join(parts, ", ") + "."
	}
	out := []string{server, driver}
	if len(st.Hosts) > 0 {
		out = append(out, fmt.Sprintf("Client hosts: %s, each a namespace of its own on the lab's bridge; ", units.Int(len(st.Hosts)))+
			strings.Join(HostLines(st.Hosts), "; ")+".")
	}
	return append(out, kernel) // the kernel's line last: the report replaces it
}

// maxStreamsText says what a server's SETTINGS_MAX_CONCURRENT_STREAMS
// allows (-1: it announced none).
func maxStreamsText(n int64) string {
	if n < 0 {
		return "any number"
	}
	return units.Int(n)
}
