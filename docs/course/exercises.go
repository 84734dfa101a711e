package course

import (
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/scalelab/scalelab/phases"
	"github.com/scalelab/scalelab/scorecards"
	"github.com/scalelab/scalelab/scorecards/reference"
	"github.com/scalelab/scalelab/units"
)

// Exercise is one exercise of the course: a phase file that changes one
// knob of a rung, with the outcome its page promises. The promise is the
// file's own hypothesis, confirmed by the run, and every check in Checks.
type Exercise struct {
	// File is the phase file, within docs/course: "exercises/04-nofile-2048.yaml".
	File string
	// Rung is the phase of the ladder it changes.
	Rung int
	// Checks are the promises beyond the hypothesis, each with the
	// sentence the page prints.
	Checks []Check
}

// Check is one promise about the exercise's scorecard.
type Check struct {
	Text string
	// Holds returns nil when the card keeps the promise, else what it
	// measured instead.
	Holds func(sc *scorecards.Scorecard) error
}

// Exercises lists the course's exercises in page order.
var Exercises = []Exercise{
	{File: "exercises/01-keepalive.yaml", Rung: 1, Checks: []Check{noErrors("addr_unavailable")}},
	{File: "exercises/01-tw-reuse.yaml", Rung: 1, Checks: []Check{noErrors("addr_unavailable")}},
	{File: "exercises/02-small-range.yaml", Rung: 2, Checks: []Check{someErrors("addr_unavailable")}},
	{File: "exercises/03-workers-64.yaml", Rung: 3, Checks: []Check{cleanAt(64), breaksAt(100)}},
	{File: "exercises/04-nofile-2048.yaml", Rung: 4, Checks: []Check{noAcceptErrors(), allClientsAnswered()}},
	{File: "exercises/05-backlog-1024.yaml", Rung: 5, Checks: []Check{noKernelCounter("ListenOverflows", func(st scorecards.Step) *int64 { return st.Kernel.ListenOverflows })}},
	{File: "exercises/06-cpu-200us.yaml", Rung: 6, Checks: []Check{rpsAtMost(5000)}},
	{File: "exercises/07-cpu-200us.yaml", Rung: 7, Checks: []Check{rpsAtMost(5000)}},
	{File: "exercises/08-no-keepalive.yaml", Rung: 8, Checks: []Check{belowReference(8, 0.5), noErrors("addr_unavailable")}},
	{File: "exercises/09-one-listener.yaml", Rung: 9, Checks: []Check{someErrors("addr_unavailable")}},
	{File: "exercises/10-driver-full-core.yaml", Rung: 10, Checks: []Check{allClientsAnswered()}},
	{File: "exercises/11-max-streams-10.yaml", Rung: 11, Checks: []Check{bottleneck("h2 stream slots"), allClientsAnswered()}},
	{File: "exercises/12-four-small-hosts.yaml", Rung: 12, Checks: []Check{noErrors("addr_unavailable")}},
}

// Lookup returns the exercise whose file is file ("exercises/NAME.yaml"
// or its base name without the extension).
func Lookup(file string) (Exercise, bool) {
	for _, x := range Exercises {
		if x.File == file || x.File == "exercises/"+file+".yaml" {
			return x, true
		}
	}
	return Exercise{}, false
}

// Load parses the exercise's phase file (embedded).
func (x Exercise) Load() (*phases.Phase, error) {
	data, err := exerciseFS.ReadFile(x.File)
	if err != nil {
		return nil, fmt.Errorf("course: %w", err)
	}
	p, err := phases.Parse("docs/course/"+x.File, data)
	if err != nil {
		return nil, fmt.Errorf("course: %w", err)
	}
	return p, nil
}

// Verify checks the promise against the exercise's scorecard: the
// hypothesis confirmed and every check kept. It returns every broken
// promise.
func (x Exercise) Verify(sc *scorecards.Scorecard) []error {
	var errs []error
	if h := sc.Summary.Hypothesis; h != "confirmed" {
		errs = append(errs, fmt.Errorf("hypothesis %s %s, want confirmed: %s", sc.Phase.Hypothesis.Limit, h, sc.Summary.Note))
	}
	for _, c := range x.Checks {
		if err := c.Holds(sc); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.Text, err))
		}
	}
	return errs
}

// judged is every step of the card measured to its end.
func judged(sc *scorecards.Scorecard) []scorecards.Step {
	var out []scorecards.Step
	for _, st := range sc.Steps {
		if st.Judged() {
			out = append(out, st)
		}
	}
	return out
}

func noErrors(class string) Check {
	return Check{Text: fmt.Sprintf("no request fails with `%s`", class), Holds: func(sc *scorecards.Scorecard) error {
		for _, st := range judged(sc) {
			if n := st.Errors[class]; n > 0 {
				return fmt.Errorf("%s: %s %s", units.Clients(st.Clients), units.Int(n), class)
			}
		}
		return nil
	}}
}

func someErrors(class string) Check {
	return Check{Text: fmt.Sprintf("the driver counts `%s` errors", class), Holds: func(sc *scorecards.Scorecard) error {
		for _, st := range judged(sc) {
			if st.Errors[class] > 0 {
				return nil
			}
		}
		return fmt.Errorf("no step counted %s", class)
	}}
}

func noAcceptErrors() Check {
	return Check{Text: "the server's accept never fails (no EMFILE)", Holds: func(sc *scorecards.Scorecard) error {
		for _, st := range judged(sc) {
			for errno, n := range st.Server.AcceptErrors {
				if n > 0 {
					return fmt.Errorf("%s: accept %s %s", units.Clients(st.Clients), errno, units.Int(n))
				}
			}
		}
		return nil
	}}
}

// bottleneck promises that every judged step names this resource as its
// bottleneck.
func bottleneck(resource string) Check {
	return Check{Text: fmt.Sprintf("the bottleneck is the %s", resource), Holds: func(sc *scorecards.Scorecard) error {
		for _, st := range judged(sc) {
			if got := string(st.Verdict.Resource); got != resource {
				return fmt.Errorf("%s: bottleneck %q (%s)", units.Clients(st.Clients), got, st.Verdict.Limit)
			}
		}
		return nil
	}}
}

func allClientsAnswered() Check {
	return Check{Text: "every client gets answers", Holds: func(sc *scorecards.Scorecard) error {
		for _, st := range judged(sc) {
			if st.ClientsStarved > 0 {
				return fmt.Errorf("%s: %s got no answer", units.Clients(st.Clients), units.Clients(st.ClientsStarved))
			}
		}
		return nil
	}}
}

func noKernelCounter(name string, get func(scorecards.Step) *int64) Check {
	return Check{Text: fmt.Sprintf("the kernel's `%s` stays at 0", name), Holds: func(sc *scorecards.Scorecard) error {
		for _, st := range judged(sc) {
			v := get(st)
			if v == nil {
				return fmt.Errorf("%s: %s not measured", units.Clients(st.Clients), name)
			}
			if *v > 0 {
				return fmt.Errorf("%s: %s %s", units.Clients(st.Clients), name, units.Int(*v))
			}
		}
		return nil
	}}
}

// levelAt is the judged client count n of the card.
func levelAt(sc *scorecards.Scorecard, n int) (state string, limit string, ok bool) {
	for _, l := range sc.JudgedLevels() {
		if l.Clients == n {
			return string(l.State), string(l.Limit), true
		}
	}
	return "", "", false
}

func cleanAt(n int) Check {
	return Check{Text: fmt.Sprintf("%s do not break", units.Clients(n)), Holds: func(sc *scorecards.Scorecard) error {
		state, limit, ok := levelAt(sc, n)
		if !ok {
			return fmt.Errorf("%s not measured", units.Clients(n))
		}
		if state == "dropped" {
			return fmt.Errorf("%s broke (%s)", units.Clients(n), limit)
		}
		return nil
	}}
}

func breaksAt(n int) Check {
	return Check{Text: fmt.Sprintf("%s break", units.Clients(n)), Holds: func(sc *scorecards.Scorecard) error {
		state, _, ok := levelAt(sc, n)
		if !ok {
			return fmt.Errorf("%s not measured", units.Clients(n))
		}
		if state != "dropped" {
			return fmt.Errorf("%s %s, did not break", units.Clients(n), state)
		}
		return nil
	}}
}

// rpsAtMost promises a ceiling that arithmetic sets (1 s / the handler's
// CPU time): a noisy machine only lowers the throughput.
func rpsAtMost(ceiling float64) Check {
	return Check{Text: fmt.Sprintf("the best throughput stays at or below %s requests/s", units.Rate(ceiling)), Holds: func(sc *scorecards.Scorecard) error {
		if best := sc.BestRPS(); best > ceiling {
			return fmt.Errorf("best %s requests/s", units.Rate(best))
		}
		return nil
	}}
}

// belowReference promises a throughput below a share of the newest
// reference run of phase n, read when the check runs.
func belowReference(n int, share float64) Check {
	text := fmt.Sprintf("the best throughput stays below %s of phase %d's reference run", units.Pct(share), n)
	return Check{Text: text, Holds: func(sc *scorecards.Scorecard) error {
		ref, ok := reference.Latest(n)
		if !ok {
			return fmt.Errorf("phase %d has no reference run", n)
		}
		limit := share * ref.Card.BestRPS()
		if best := sc.BestRPS(); best >= limit {
			return fmt.Errorf("best %s requests/s, not below %s (%s of %s)", units.Rate(best), units.Rate(limit), units.Pct(share),
				units.Rate(ref.Card.BestRPS()))
		}
		return nil
	}}
}

// Change is one setting an exercise sets otherwise than its rung.
type Change struct {
	Field string // the phase file's path: "limits.nofile"
	From  string // the rung's value ("unset" when it has none)
	To    string
}

// String writes the change as the page shows it: `limits.nofile` 256 → 2,048.
func (c Change) String() string {
	return fmt.Sprintf("`%s` %s → %s", c.Field, c.From, c.To)
}

// quick are the settings an exercise may change only to run in seconds:
// they are listed apart from the knob it turns.
var quick = []string{"sweep.", "driver.duration", "driver.warmup", "driver.ramp", "verify."}

// ignored are the settings that name the file rather than configure the run.
var ignored = []string{"schema", "number", "name", "title", "hypothesis."}

// Changes lists the settings of exercise x that differ from its rung:
// the knobs, and apart from them the changes that only make it quick.
func Changes(rung, x *phases.Phase) (knobs, shortened []Change) {
	a, b := flatPhase(rung), flatPhase(x)
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		if hasPrefix(k, ignored) {
			continue
		}
		from, ok := a[k]
		if !ok {
			from = "unset"
		}
		to, ok := b[k]
		if !ok {
			to = "unset"
		}
		if from == to {
			continue
		}
		c := Change{Field: k, From: from, To: to}
		if hasPrefix(k, quick) {
			shortened = append(shortened, c)
		} else {
			knobs = append(knobs, c)
		}
	}
	return knobs, shortened
}

func hasPrefix(k string, prefixes []string) bool {
	for _, p := range prefixes {
		if k == strings.TrimSuffix(p, ".") || strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// flatPhase is the phase's settings as "section.field" -> value, as its
// YAML writes them.
func flatPhase(p *phases.Phase) map[string]string {
	data, err := yaml.Marshal(p)
	if err != nil {
		panic(err) // a decoded phase always encodes
	}
	var tree map[string]any
	if err := yaml.Unmarshal(data, &tree); err != nil {
		panic(err)
	}
	out := map[string]string{}
	flatten("", tree, out)
	return out
}

func flatten(prefix string, v any, out map[string]string) {
	if m, ok := v.(map[string]any); ok {
		for k, x := range m {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			flatten(key, x, out)
		}
		return
	}
	out[prefix] = value(v)
}

func value(v any) string {
	switch x := v.(type) {
	case int:
		return units.Int(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fmt.Sprint(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case nil:
		return "unset"
	}
	return fmt.Sprint(v)
}
