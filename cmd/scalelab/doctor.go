package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/scalelab/scalelab/internal/doctor"
)

func init() {
	commands["doctor"] = command{summary: "check this machine for what the lab needs and say what each missing piece costs", run: runDoctor}
}

// doctorGather and doctorExit are doctor.Gather and os.Exit; tests replace
// them.
var (
	doctorGather = doctor.Gather
	doctorExit   = os.Exit
)

const doctorHelp = `
Checks, each tried for real where it can be:
  privileges             root, or CAP_SYS_ADMIN and CAP_NET_ADMIN: a network namespace per step
  network namespace      unshare(CLONE_NEWNET) on a locked thread, loopback up
  namespace sysctls      the phases' sysctls written and read back inside one
  cgroup CPU controller  a group capped at 50% of a core: limits.server_cpu, driver_cpu
  cores                  2 or more: the server and the driver each get their own
  open files             the RLIMIT_NOFILE the phases ask for (20,000 in phases 6-9)
  wrk, nginx             optional: only the benchmarks (make anchors, make bench-driver)

Exit status: 0 when every check the lab needs is ok, 1 when one is missing
or limited (the optional ones never change it), 2 on a usage error.
`

func runDoctor(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("doctor", "[--json]", stderr)
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprint(stderr, doctorHelp)
	}
	asJSON := fs.Bool("json", false, "print the checks as JSON instead of a table")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("doctor: unexpected argument %q", pos[0])
	}
	facts, err := doctorGather()
	if err != nil {
		return err
	}
	checks := doctor.Checks(facts)
	if *asJSON {
		err = writeDoctorJSON(stdout, checks)
	} else {
		err = writeDoctorTable(stdout, checks)
	}
	if err != nil {
		return fmt.Errorf("doctor: %w", err)
	}
	if doctor.Failed(checks) {
		doctorExit(1)
	}
	return nil
}

// doctorReport is the JSON form of the checks.
type doctorReport struct {
	OK     bool           `json:"ok"` // every check the lab needs is ok
	Checks []doctor.Check `json:"checks"`
}

func writeDoctorJSON(w io.Writer, checks []doctor.Check) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doctorReport{OK: !doctor.Failed(checks), Checks: checks})
}

// writeDoctorTable prints one row per check, then one line that says
// whether the lab has what it needs.
func writeDoctorTable(w io.Writer, checks []doctor.Check) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tSTATUS\tFOUND\tCOST")
	var short []string
	for _, c := range checks {
		name, cost := c.Name, c.Cost
		if c.Optional {
			name += " (optional)"
		}
		if cost == "" {
			cost = "none"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, c.Status, c.Value, cost)
		if !c.Optional && c.Status != doctor.OK {
			short = append(short, c.Name)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var err error
	if len(short) == 0 {
		_, err = fmt.Fprintln(w, "\nthe lab has everything it needs on this machine")
	} else {
		_, err = fmt.Fprintf(w, "\nnot everything the lab needs is here (%s): what it costs is above\n", strings.Join(short, ", "))
	}
	return err
}
