package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/scalelab/scalelab/internal/doctor"
)

func init() {
	register(&command{
		name:    "doctor",
		summary: "check this machine for what the lab needs and say what each missing piece costs",
		usage:   []string{"[--json]"},
		footer:  strings.TrimSpace(doctorHelp),
		setup:   setupDoctor,
	})
}

// doctorGather is doctor.Gather; tests replace it.
var doctorGather = doctor.Gather

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
or limited (the optional ones never change it), 2 on a usage error, 3 when
the checks could not run.
`

func setupDoctor(fs *pflag.FlagSet) runFunc {
	asJSON := fs.Bool("json", false, "print the checks as JSON instead of a table")
	return func(ctx context.Context, out streams, pos []string) error {
		if len(pos) > 0 {
			return usageError("doctor", "unexpected argument %q", pos[0])
		}
		facts, err := doctorGather()
		if err != nil {
			return runtimeError(err)
		}
		checks := doctor.Checks(facts)
		if *asJSON {
			err = writeDoctorJSON(out.stdout, checks)
		} else {
			err = writeDoctorTable(out.stdout, checks)
		}
		if err != nil {
			return runtimeError(err)
		}
		if doctor.Failed(checks) {
			// The table (or the JSON's "ok": false) says what is missing.
			return &exitError{code: exitFailed, err: errors.New("not everything the lab needs is here"), quiet: true}
		}
		return nil
	}
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
