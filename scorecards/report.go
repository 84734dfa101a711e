package scorecards

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/scalelab/scalelab/phases"
	"github.com/scalelab/scalelab/units"
)

// Report is a scorecard laid out for reading: a title and sections in
// order. Each section holds blocks (paragraphs, lists, tables, warnings);
// charts can be added later as another kind of block.
type Report struct {
	Title    string
	Sections []Section
}

// Section is a heading and its blocks. Level 2 is "##"; level 0 has no
// heading (the lines under the title).
type Section struct {
	Level   int
	Heading string
	Blocks  []Block
}

// Block is one piece of a section that knows how to write itself as Markdown.
type Block interface {
	markdown(w *bufio.Writer)
}

// Paragraph is a block of running text (Markdown inline syntax allowed).
type Paragraph string

// Bullets is a bulleted list; an optional Lead paragraph introduces it.
type Bullets struct {
	Lead  string
	Items []string
}

// Table is a Markdown table; Right marks the columns aligned right (numbers).
type Table struct {
	Header []string
	Right  []bool
	Rows   [][]string
}

// Warning is a block that must not be missed, rendered as a quoted, bold lead.
type Warning struct {
	Lead string // bold
	Text string
}

func (p Paragraph) markdown(w *bufio.Writer) { fmt.Fprintf(w, "%s\n\n", p) }

func (b Bullets) markdown(w *bufio.Writer) {
	if b.Lead != "" {
		fmt.Fprintf(w, "%s\n\n", b.Lead)
	}
	for _, it := range b.Items {
		fmt.Fprintf(w, "- %s\n", it)
	}
	w.WriteString("\n")
}

func (t Table) markdown(w *bufio.Writer) {
	row := func(cells []string) {
		w.WriteString("|")
		for _, c := range cells {
			fmt.Fprintf(w, " %s |", cellEscape(c))
		}
		w.WriteString("\n")
	}
	row(t.Header)
	w.WriteString("|")
	for i := range t.Header {
		if i < len(t.Right) && t.Right[i] {
			w.WriteString("---:|")
		} else {
			w.WriteString("---|")
		}
	}
	w.WriteString("\n")
	for _, r := range t.Rows {
		row(r)
	}
	w.WriteString("\n")
}

func (x Warning) markdown(w *bufio.Writer) {
	fmt.Fprintf(w, "> **%s**", x.Lead)
	if x.Text != "" {
		fmt.Fprintf(w, " %s", x.Text)
	}
	w.WriteString("\n\n")
}

// cellEscape keeps a value inside its table cell.
func cellEscape(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

// WriteMarkdown writes the report as Markdown.
func (r *Report) WriteMarkdown(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# %s\n\n", r.Title)
	for _, s := range r.Sections {
		if s.Level > 0 {
			fmt.Fprintf(bw, "%s %s\n\n", strings.Repeat("#", s.Level), s.Heading)
		}
		for _, b := range s.Blocks {
			b.markdown(bw)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("scorecards: write report: %w", err)
	}
	return nil
}

// RenderReport writes the Markdown report of sc (report.md) to w.
func RenderReport(w io.Writer, sc *Scorecard) error {
	return NewReport(sc).WriteMarkdown(w)
}

// NewReport lays out sc for reading. It reads sc in its written form (see
// Rounded), so a report rendered during a run and one rendered later from
// the saved card are identical.
func NewReport(sc *Scorecard) *Report {
	sc = sc.Rounded()
	view := newView(sc)
	r := &Report{Title: reportTitle(sc)}
	r.Sections = append(r.Sections, headerSection(sc))
	r.Sections = append(r.Sections, hypothesisSection(view))
	if sc.Config.Server.Variant != "" {
		r.Sections = append(r.Sections, setupSection(sc))
	}
	r.Sections = append(r.Sections, resultsSection(view))
	if sc.Status != StatusRunning && len(view.levels) > 0 {
		r.Sections = append(r.Sections, chartsSection(view))
	}
	r.Sections = append(r.Sections, analysisSections(view)...)
	if sc.Status != StatusRunning && len(view.levels) > 0 {
		r.Sections = append(r.Sections, verificationSection(view))
	}
	r.Sections = append(r.Sections, nextSection(view))
	r.Sections = append(r.Sections, appliedSections(sc)...)
	r.Sections = append(r.Sections, glossarySection(view))
	r.Sections = append(r.Sections, environmentSection(sc))
	return r
}

func reportTitle(sc *Scorecard) string {
	title := sc.Phase.Title
	if title == "" {
		title = sc.Phase.Name
	}
	return fmt.Sprintf("Phase %d: %s", sc.Phase.Number, title)
}

func fmtDate(sc *Scorecard) string {
	if sc.Environment.Date.IsZero() {
		return "not recorded"
	}
	return sc.Environment.Date.UTC().Format("2006-01-02 15:04 UTC")
}

func headerSection(sc *Scorecard) Section {
	s := Section{}
	line := fmt.Sprintf("**Date:** %s · **Status:** %s", fmtDate(sc), sc.Status)
	if sc.Phase.Source != "" {
		line += fmt.Sprintf(" · **Phase file:** `%s`", sc.Phase.Source)
	}
	s.Blocks = append(s.Blocks, Paragraph(line))
	if sc.Status == StatusComplete {
		return s
	}
	planned := sc.Config.Sweep.Steps()
	measured := fmt.Sprintf("%s measured", units.Plural(len(sc.Steps), "step", "steps"))
	if planned > 0 {
		measured = fmt.Sprintf("%d of %d steps measured", len(sc.Steps), planned)
	}
	var lead string
	switch sc.Status {
	case StatusRunning:
		lead = fmt.Sprintf("This run is still in progress (%s).", measured)
	case StatusInterrupted:
		lead = fmt.Sprintf("This run was interrupted (%s).", measured)
	case StatusFailed:
		lead = fmt.Sprintf("This run failed (%s).", measured)
	case StatusAbandoned:
		lead = fmt.Sprintf("This run was abandoned (%s).", measured)
	default:
		lead = fmt.Sprintf("This run has an unknown status %q (%s).", sc.Status, measured)
	}
	text := "The numbers below cover only the steps that finished."
	if sc.Error != "" {
		text = fmt.Sprintf("Error: %s. %s", strings.TrimSuffix(sc.Error, "."), text)
	}
	s.Blocks = append(s.Blocks, Warning{Lead: lead, Text: text})
	return s
}

// stepsAt returns the steps run with n clients.
func stepsAt(sc *Scorecard, n int) []Step {
	var out []Step
	for _, st := range sc.Steps {
		if st.Clients == n {
			out = append(out, st)
		}
	}
	return out
}

func describeServer(sv phases.Server) string {
	parts := []string{"`" + string(sv.Variant) + "`"}
	if sv.Variant.HasWorkers() {
		parts = append(parts, units.Plural(sv.Workers, "worker", "workers"), "queue "+units.Int(sv.Queue))
	}
	if sv.KeepAlive {
		parts = append(parts, "keep-alive on")
	} else {
		parts = append(parts, "keep-alive off")
	}
	parts = append(parts, "backlog "+units.Int(sv.Backlog), units.Plural(sv.Listeners, "listener", "listeners"))
	if sv.ReusePort {
		parts = append(parts, "SO_REUSEPORT")
	}
	if sv.ReadTimeout > 0 {
		parts = append(parts, "read timeout "+sv.ReadTimeout.String())
	}
	if sv.MaxHeaderBytes > 0 {
		parts = append(parts, "max header "+units.Int(sv.MaxHeaderBytes)+" bytes")
	}
	return strings.Join(parts, ", ")
}

func describeDriver(d phases.Driver) string {
	parts := []string{"GET `" + d.Path + "`"}
	if d.KeepAlive {
		parts = append(parts, "keep-alive on")
	} else {
		parts = append(parts, "keep-alive off (the client closes each connection first)")
	}
	if d.Rate > 0 {
		parts = append(parts, fmt.Sprintf("open loop at %s requests/s", units.Int(d.Rate)))
	} else {
		parts = append(parts, "closed loop (each client waits for its response)")
	}
	if d.Pipeline > 1 {
		parts = append(parts, fmt.Sprintf("%d requests pipelined", d.Pipeline))
	}
	warm := "no warmup"
	if d.Warmup > 0 {
		warm = d.Warmup.String() + " warmup"
	}
	switch {
	case d.Duration > 0 && d.RequestsPerClient > 0:
		parts = append(parts, fmt.Sprintf("%s, then %s or %d requests per client per step", warm, d.Duration, d.RequestsPerClient))
	case d.Duration > 0:
		parts = append(parts, fmt.Sprintf("%s, then %s measured per step", warm, d.Duration))
	default:
		parts = append(parts, fmt.Sprintf("%s, then %d requests per client per step", warm, d.RequestsPerClient))
	}
	if d.Ramp > 0 {
		parts = append(parts, "clients start over "+d.Ramp.String())
	} else {
		parts = append(parts, "all clients start at once")
	}
	parts = append(parts, fmt.Sprintf("timeout %s (connect %s)", d.Timeout, d.ConnectTimeout))
	if len(d.Targets) > 0 {
		parts = append(parts, "targets "+strings.Join(d.Targets, ", "))
	}
	return strings.Join(parts, ", ")
}

func setupSection(sc *Scorecard) Section {
	cf := sc.Config
	clients := make([]string, len(cf.Sweep.Clients))
	for i, n := range cf.Sweep.Clients {
		clients[i] = units.Int(n)
	}
	trials := units.Plural(cf.Sweep.Trials, "trial", "trials")
	return Section{Level: 2, Heading: "Setup", Blocks: []Block{Bullets{Items: []string{
		"**Server:** " + describeServer(cf.Server) + ".",
		"**Driver:** " + describeDriver(cf.Driver) + ".",
		fmt.Sprintf("**Sweep:** %s clients, %s each. A step whose success rate falls below %s counts as a drop.",
			strings.Join(clients, ", "), trials, units.Pct(float64(cf.SuccessThreshold))),
	}}}}
}

// appliedRow compares one setting the phase asked for with what was read back.
type appliedRow struct {
	setting, asked, applied string
	askedSet, appliedSet    bool
	capped                  bool // applied below asked because the kernel caps it
}

func (r appliedRow) check() string {
	switch {
	case !r.askedSet:
		return ""
	case !r.appliedSet:
		return "not read"
	case r.capped:
		return "capped at somaxconn"
	case r.asked != r.applied:
		return "**DIFFERS**"
	}
	return "ok"
}

func intRow(setting string, asked, applied int, askedDefault string) appliedRow {
	r := appliedRow{setting: setting, asked: askedDefault, applied: "not read", askedSet: asked != 0, appliedSet: applied != 0}
	if r.askedSet {
		r.asked = units.Int(asked)
	}
	if r.appliedSet {
		r.applied = units.Int(applied)
	}
	return r
}

func ptrRow(setting string, asked, applied *int) appliedRow {
	r := appliedRow{setting: setting, asked: "system default", applied: "not read", askedSet: asked != nil, appliedSet: applied != nil}
	if asked != nil {
		r.asked = fmt.Sprint(*asked)
	}
	if applied != nil {
		r.applied = fmt.Sprint(*applied)
	}
	return r
}

func fmtPortRange(r [2]int) string {
	return fmt.Sprintf("%d-%d (%s ports)", r[0], r[1], units.Int(r[1]-r[0]+1))
}

// effectiveBacklog returns the listener's backlog as measured in the steps.
func effectiveBacklog(sc *Scorecard) int {
	for _, st := range sc.Steps {
		if st.Server.Backlog > 0 {
			return st.Server.Backlog
		}
	}
	return 0
}

func appliedRows(sc *Scorecard) []appliedRow {
	asked, got := sc.Config.Limits, sc.Applied
	rows := []appliedRow{
		intRow("server nofile (RLIMIT_NOFILE)", asked.NoFile, got.NoFile, "system default"),
		intRow("driver nofile (RLIMIT_NOFILE)", asked.DriverNoFile, got.DriverNoFile, "system default"),
		intRow("net.core.somaxconn", asked.SoMaxConn, got.SoMaxConn, "system default"),
	}
	pr := appliedRow{setting: "net.ipv4.ip_local_port_range", asked: "system default", applied: "not read",
		askedSet: !asked.PortRange.IsZero(), appliedSet: got.PortRange != [2]int{}}
	if pr.askedSet {
		pr.asked = fmtPortRange(asked.PortRange)
	}
	if pr.appliedSet {
		pr.applied = fmtPortRange(got.PortRange)
	}
	rows = append(rows, pr, ptrRow("net.ipv4.tcp_tw_reuse", asked.TCPTwReuse, got.TCPTwReuse))
	if asked.SynCookies != nil || got.SynCookies != nil {
		rows = append(rows, ptrRow("net.ipv4.tcp_syncookies", asked.SynCookies, got.SynCookies))
	}
	for _, c := range []struct {
		name       string
		asked, got float64
	}{{"server CPU cap (cgroup quota)", asked.ServerCPU, got.ServerCPU}, {"driver CPU cap (cgroup quota)", asked.DriverCPU, got.DriverCPU}} {
		if c.asked == 0 && c.got == 0 {
			continue
		}
		r := appliedRow{setting: c.name, asked: shareText(c.asked), applied: "not applied", askedSet: c.asked > 0, appliedSet: c.got > 0}
		if r.appliedSet {
			r.applied = shareText(c.got)
		}
		rows = append(rows, r)
	}
	bl := intRow("listen backlog (Send-Q)", sc.Config.Server.Backlog, effectiveBacklog(sc), "system default")
	bl.capped = bl.askedSet && bl.appliedSet && got.SoMaxConn > 0 &&
		effectiveBacklog(sc) == got.SoMaxConn && sc.Config.Server.Backlog > got.SoMaxConn
	rows = append(rows, bl)
	return rows
}

// shareText is a CPU share: "0.2 of a core (20%)".
func shareText(share float64) string {
	if share <= 0 {
		return "none"
	}
	return fmt.Sprintf("%s of a core (%s)", strconv.FormatFloat(share, 'f', -1, 64), units.Float(100*share, 0)+"%")
}

func appliedSections(sc *Scorecard) []Section {
	s := Section{Level: 2, Heading: "Limits applied"}
	t := Table{Header: []string{"Setting", "Phase asked", "Applied (read back)", "Check"}}
	var differs []string
	for _, r := range appliedRows(sc) {
		t.Rows = append(t.Rows, []string{r.setting, r.asked, r.applied, r.check()})
		if r.check() == "**DIFFERS**" {
			differs = append(differs, fmt.Sprintf("%s: asked %s, got %s", r.setting, r.asked, r.applied))
		}
	}
	ns := "no: the host's namespace"
	if sc.Applied.NetNS {
		ns = "yes"
	}
	pin := func(cpus []int) string {
		if len(cpus) == 0 {
			return "not pinned"
		}
		return "CPU " + fmtCPUs(cpus)
	}
	t.Rows = append(t.Rows,
		[]string{"own network namespace", "yes", ns, map[bool]string{true: "ok", false: "**DIFFERS**"}[sc.Applied.NetNS]},
		[]string{"server pinned to", "", pin(sc.Applied.Pinned.Server), ""},
		[]string{"driver pinned to", "", pin(sc.Applied.Pinned.Driver), ""},
	)
	s.Blocks = append(s.Blocks, t)

	na := Section{Level: 3, Heading: "NOT applied"}
	switch {
	case len(sc.Applied.NotApplied) == 0 && len(differs) == 0:
		na.Blocks = append(na.Blocks, Paragraph("Nothing: every setting the phase asked for was applied and read back."))
	default:
		n := len(sc.Applied.NotApplied)
		if n > 0 {
			na.Blocks = append(na.Blocks, Warning{
				Lead: fmt.Sprintf("WARNING: %s the phase asked for %s NOT applied.", units.Plural(n, "setting", "settings"),
					map[bool]string{true: "was", false: "were"}[n == 1]),
				Text: "This run did not test them: a verdict that depends on them is not proven.",
			})
			var items []string
			for _, x := range sc.Applied.NotApplied {
				items = append(items, fmt.Sprintf("**%s**: %s", x.What, x.Why))
			}
			na.Blocks = append(na.Blocks, Bullets{Items: items})
		}
		if len(differs) > 0 {
			na.Blocks = append(na.Blocks, Warning{
				Lead: fmt.Sprintf("WARNING: %s read back different from what the phase asked for.",
					units.Plural(len(differs), "setting", "settings")),
			}, Bullets{Items: differs})
		}
	}
	return []Section{s, na}
}

func environmentSection(sc *Scorecard) Section {
	e := sc.Environment
	orNot := func(s string) string {
		if s == "" {
			return "not recorded"
		}
		return s
	}
	cpus := "not recorded"
	if e.CPUs > 0 {
		cpus = units.Int(e.CPUs)
	}
	return Section{Level: 2, Heading: "Environment", Blocks: []Block{Table{
		Header: []string{"Item", "Value"},
		Rows: [][]string{
			{"Date", fmtDate(sc)},
			{"Host", orNot(e.Host)},
			{"Kernel", orNot(e.Kernel)},
			{"CPUs", cpus},
			{"Go", orNot(e.Go)},
			{"Commit", orNot(e.Commit)},
			{"Scorecard schema", orNot(sc.Schema)},
		},
	}}}
}

// fmtCPUs formats a CPU list: "0", "0, 1".
func fmtCPUs(cpus []int) string {
	parts := make([]string, len(cpus))
	for i, c := range cpus {
		parts[i] = strconv.Itoa(c)
	}
	return strings.Join(parts, ", ")
}
