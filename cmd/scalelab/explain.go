package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/glossary"
	"github.com/scalelab/scalelab/internal/suggest"
	"github.com/scalelab/scalelab/phases"
)

func init() {
	register(&command{
		name:    "explain",
		summary: "what a limit, kernel counter, gauge or error class means, how the lab proves it, which rung shows it",
		usage:   []string{"[LIMIT|COUNTER|GAUGE|ERROR]"},
		about: `With no argument, lists every term the lab uses. A limit (fd, port, backlog,
queueing, cpu, client) is explained with the evidence that names it, how the
lab verifies it by lifting it, the counters involved and the rungs of the
ladder that show it. The report's glossary reads the same source.`,
		footer: `Examples:
  scalelab explain backlog
  scalelab explain ListenOverflows

Exit status: 0 ok; 2 an unknown term.`,
		setup: setupExplain,
	})
}

func setupExplain(fs *pflag.FlagSet) runFunc {
	kind := fs.String("kind", "", "with no term, list only one `KIND`: limit, counter, gauge or error")
	return func(ctx context.Context, o streams, pos []string) error {
		switch len(pos) {
		case 0:
			return listTerms(o.stdout, *kind)
		case 1:
		default:
			return usageError("explain", "one term at a time, got %q", pos)
		}
		e, ok := glossary.Lookup(pos[0])
		if !ok {
			var names []string
			for _, t := range glossary.All() {
				names = append(names, t.Name)
			}
			msg := fmt.Sprintf("no term %q", pos[0])
			if near := suggest.Nearest(pos[0], names); near != "" {
				msg += fmt.Sprintf("; did you mean %q?", near)
			}
			return usageError("explain", "%s (scalelab explain lists them all)", msg)
		}
		return explainTerm(o.stdout, e)
	}
}

// kindHeadings orders the kinds of term in the list, each under its
// heading, with the short name --kind takes.
var kindHeadings = []struct{ short, kind, heading string }{
	{"limit", "limit", "Limits"}, {"counter", "kernel counter", "Kernel counters"},
	{"gauge", "lab gauge", "Lab gauges"}, {"error", "error class", "Error classes"},
}

// listTerms prints every term (or those of one kind), grouped by kind,
// limits first.
func listTerms(w io.Writer, only string) error {
	all := glossary.All()
	shown := 0
	for _, k := range kindHeadings {
		if only != "" && only != k.short {
			continue
		}
		if shown++; shown > 1 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s:\n", k.heading)
		for _, e := range all {
			if e.Kind == k.kind {
				printWrapped(w, fmt.Sprintf("  %-24s ", e.Name), firstSentence(e.Meaning))
			}
		}
	}
	if shown == 0 {
		return usageError("explain", "--kind %q: want limit, counter, gauge or error", only)
	}
	return nil
}

// explainTerm prints one term; a limit with its proof, evidence and rungs.
func explainTerm(w io.Writer, e glossary.Entry) error {
	fmt.Fprintf(w, "%s (%s)\n\n", e.Name, e.Kind)
	printWrapped(w, "", e.Meaning)
	if e.Source != "" {
		fmt.Fprintln(w)
		printWrapped(w, "Read from: ", e.Source)
	}
	if e.Limit != "" {
		fmt.Fprintln(w)
		printWrapped(w, "Evidence of: ", fmt.Sprintf("the %s limit (scalelab explain %s)", e.Limit, e.Limit))
	}
	if e.Kind != "limit" {
		return nil
	}
	if e.Proof != "" {
		fmt.Fprintln(w, "\nHow the lab proves it:")
		printWrapped(w, "  ", e.Proof)
	}
	if ev := glossary.Evidence(e.Name); len(ev) > 0 {
		fmt.Fprintln(w, "\nThe evidence:")
		for _, t := range ev {
			printWrapped(w, fmt.Sprintf("  %-24s ", t.Name), firstSentence(t.Meaning))
		}
	}
	rungs, err := rungsShowing(attrib.Limit(e.Name))
	if err != nil {
		return runtimeError(err)
	}
	if len(rungs) > 0 {
		fmt.Fprintln(w, "\nThe ladder shows it in:")
		for _, r := range rungs {
			fmt.Fprintln(w, "  "+r)
		}
	}
	return nil
}

// rungsShowing lists the rungs of the ladder whose hypothesis is limit.
func rungsShowing(limit attrib.Limit) ([]string, error) {
	ladder, err := phases.Ladder()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range ladder {
		if p.Hypothesis.Limit == limit {
			out = append(out, fmt.Sprintf("phase %d (make phase %d): %s", p.Number, p.Number, p.Title))
		}
	}
	return out, nil
}

// firstSentence is text up to and including its first full stop.
func firstSentence(text string) string {
	if i := strings.Index(text, ". "); i >= 0 {
		return text[:i+1]
	}
	return text
}

// printWrapped prints text after lead, wrapped at 78 columns, continuation
// lines indented as deep as lead.
func printWrapped(w io.Writer, lead, text string) {
	indent := strings.Repeat(" ", len(lead))
	for i, line := range wrap(text, 78-len(lead)) {
		if i == 0 {
			fmt.Fprintln(w, lead+line)
			continue
		}
		fmt.Fprintln(w, indent+line)
	}
}
