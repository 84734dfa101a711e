package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/spf13/pflag"

	"github.com/scalelab/scalelab/internal/suggest"
)

// The flags are POSIX-style (spf13/pflag): --name VALUE or --name=VALUE,
// and a one-letter alias only where the load tools people come from have
// one (-c, -d, -R, -H, -m, -o, -q): -c100, -c 100 and -c=100 all work.
// docs/design.md says why pflag rather than the standard flag package.

// newFlagSet returns an empty flag set for a command: errors are returned,
// never printed, and flags are listed in the order they are declared.
func newFlagSet(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SortFlags = false
	fs.Usage = func() {} // help is printed by the dispatcher, on stdout
	fs.SetOutput(discard{})
	return fs
}

// discard swallows what pflag would print on its own.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// parseFlags parses args with fs: flags may come before, between and after
// the positional arguments ("run 3 --out dir"), and "--" ends the flags.
// It returns the positionals, pflag.ErrHelp for -h or --help, or an error
// that names the flag, says what was wrong in one line and, where it can,
// what was meant.
func parseFlags(fs *pflag.FlagSet, args []string) ([]string, error) {
	if err := singleDashLong(fs, args); err != nil {
		return nil, err
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil, err
		}
		return nil, flagError(fs, err)
	}
	pos := fs.Args()
	if err := boolValueMisplaced(fs, args); err != nil {
		return nil, err
	}
	return pos, nil
}

// singleDashLong refuses "-clients 10", the standard flag package's
// spelling: pflag would read it as -c with the value "lients".
func singleDashLong(fs *pflag.FlagSet, args []string) error {
	for _, a := range args {
		if a == "--" {
			return nil
		}
		if len(a) < 3 || a[0] != '-' || a[1] == '-' {
			continue
		}
		name, _, _ := strings.Cut(a[1:], "=")
		if f := fs.Lookup(name); f != nil && len(name) > 1 {
			return fmt.Errorf("unknown flag %s: long flags take two dashes: --%s", a, strings.TrimPrefix(a, "-"))
		}
	}
	return nil
}

// flagError rewrites a pflag error into one line that says what to do.
func flagError(fs *pflag.FlagSet, err error) error {
	var (
		notExist *pflag.NotExistError
		noValue  *pflag.ValueRequiredError
		invalid  *pflag.InvalidValueError
		syntax   *pflag.InvalidSyntaxError
	)
	switch {
	case errors.As(err, &notExist):
		return unknownFlag(fs, notExist.GetSpecifiedName(), notExist.GetSpecifiedShortnames())
	case errors.As(err, &noValue):
		f := noValue.GetFlag()
		return fmt.Errorf("%s needs a value%s", flagName(f), valueExample(f))
	case errors.As(err, &invalid):
		f := invalid.GetFlag()
		return fmt.Errorf("%s %q: %s", flagName(f), invalid.GetValue(), valueProblem(f, invalid.GetValue(), invalid.Unwrap()))
	case errors.As(err, &syntax):
		return fmt.Errorf("bad flag syntax %s: write --name or --name=value", syntax.GetSpecifiedFlag())
	}
	return err
}

// flagName names a flag as its help lists it: "-c, --clients" or "--ramp".
func flagName(f *pflag.Flag) string {
	if f.Shorthand != "" {
		return "-" + f.Shorthand + ", --" + f.Name
	}
	return "--" + f.Name
}

// valueExample gives an example value of a flag's type.
func valueExample(f *pflag.Flag) string {
	switch f.Value.Type() {
	case "duration":
		return ", such as --" + f.Name + " 10s"
	case "int", "uint64", "float64":
		return ", a number"
	}
	return ""
}

// valueProblem says why value does not fit its flag's type.
func valueProblem(f *pflag.Flag, value string, cause error) string {
	if f.Value.Type() == "duration" {
		return durationProblem(value).Error()
	}
	var num *strconv.NumError
	if errors.As(cause, &num) {
		switch {
		case errors.Is(num.Err, strconv.ErrRange):
			return "out of range"
		case f.Value.Type() == "float64":
			return "not a number"
		case f.Value.Type() == "bool":
			return "want true or false"
		}
		return "not a whole number"
	}
	return cause.Error()
}

// foreignFlags are the flags of wrk, hey, oha and vegeta that scalelab
// spells otherwise, with what to write instead.
var foreignFlags = map[string]string{
	"t":           "scalelab runs one event loop per CPU (set the count with --loops N); the request timeout is --timeout",
	"threads":     "scalelab runs one event loop per CPU; set the count with --loops N",
	"n":           "end each client after N requests with --requests-per-client N (a count per client, not a total)",
	"requests":    "end each client after N requests with --requests-per-client N",
	"z":           "the duration is -d, --duration (-d 10s)",
	"connections": "the connections are -c, --clients",
	"concurrency": "the connections are -c, --clients",
	"s":           "scalelab has no scripts: set the method, headers and body with -m, -H and --body",
	"script":      "scalelab has no scripts: set the method, headers and body with -m, -H and --body",
	"T":           "set the content type as a header: -H 'Content-Type: application/json'",
	"D":           "send a file as the body with --body-file FILE",
	"data":        "the body is --body STRING or --body-file FILE",
}

// unknownFlag explains a flag the command does not have: a near name, a
// long flag written with one dash, or the flag of another load tool.
func unknownFlag(fs *pflag.FlagSet, name, group string) error {
	if group != "" { // -x or a group of short flags such as -clients
		word, _, _ := strings.Cut(group, "=")
		if len(word) > 1 && fs.Lookup(word) != nil {
			return fmt.Errorf("unknown flag -%s: long flags take two dashes: --%s", group, word)
		}
		if hint := foreignFlags[name]; hint != "" {
			return fmt.Errorf("unknown flag -%s: %s", name, hint)
		}
		if len(word) > 1 {
			if near := nearestFlag(fs, word); near != "" {
				return fmt.Errorf("unknown flag -%s; did you mean --%s?", group, near)
			}
			return fmt.Errorf("unknown flag -%s (in -%s); long flags take two dashes", name, group)
		}
		return fmt.Errorf("unknown flag -%s", name)
	}
	if hint := foreignFlags[name]; hint != "" {
		return fmt.Errorf("unknown flag --%s: %s", name, hint)
	}
	if near := nearestFlag(fs, name); near != "" {
		return fmt.Errorf("unknown flag --%s; did you mean --%s?", name, near)
	}
	return fmt.Errorf("unknown flag --%s", name)
}

// nearestFlag returns the visible flag whose name is closest to name.
func nearestFlag(fs *pflag.FlagSet, name string) string {
	var names []string
	fs.VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	return suggest.Nearest(name, names)
}

// boolValueMisplaced refuses "--keepalive false": a bool flag takes its
// value after "=", so "false" would become a positional argument.
func boolValueMisplaced(fs *pflag.FlagSet, args []string) error {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "--" {
			return nil
		}
		v := args[i+1]
		if v != "true" && v != "false" || !strings.HasPrefix(args[i], "-") || strings.Contains(args[i], "=") {
			continue
		}
		name := strings.TrimLeft(args[i], "-")
		var f *pflag.Flag
		if strings.HasPrefix(args[i], "--") {
			f = fs.Lookup(name)
		} else if len(name) == 1 {
			f = fs.ShorthandLookup(name)
		}
		if f != nil && f.Value.Type() == "bool" {
			return fmt.Errorf("--%s %s: a true/false flag takes its value after =: write --%s=%s", f.Name, v, f.Name, v)
		}
	}
	return nil
}

// durationProblem explains a value that is not a Go duration.
func durationProblem(s string) error {
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return fmt.Errorf("a duration needs a unit: did you mean %ss? (units: ms, s, m, h)", s)
	}
	for long, short := range map[string]string{"sec": "s", "secs": "s", "second": "s", "seconds": "s", "min": "m", "mins": "m",
		"minute": "m", "minutes": "m", "msec": "ms", "hour": "h", "hours": "h"} {
		if num, ok := strings.CutSuffix(s, long); ok {
			if _, err := strconv.ParseFloat(strings.TrimSpace(num), 64); err == nil {
				return fmt.Errorf("not a duration: did you mean %s%s?", strings.TrimSpace(num), short)
			}
		}
	}
	return errors.New("not a duration; write it like 10s, 500ms or 2m")
}

// flagUsages lists the visible flags of fs for a help text: "-c, --clients
// N", then the usage wrapped beside it, then its default when it has one.
func flagUsages(fs *pflag.FlagSet) string {
	type row struct{ left, text string }
	var rows []row
	width := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		left := "    --" + f.Name
		if f.Shorthand != "" {
			left = "-" + f.Shorthand + ", --" + f.Name
		}
		varName, text := pflag.UnquoteUsage(f)
		switch {
		case f.Value.Type() == "bool":
			varName = ""
		case varName == f.Value.Type() || varName == "":
			varName = map[string]string{"int": "N", "uint64": "N", "float64": "X", "duration": "D"}[f.Value.Type()]
			if varName == "" {
				varName = "VALUE"
			}
		}
		if varName != "" {
			left += " " + varName
		}
		if d := defaultText(f); d != "" {
			text += " (default " + d + ")"
		}
		rows = append(rows, row{left, text})
		width = max(width, utf8.RuneCountInString(left))
	})
	width = min(width, 28)
	var b strings.Builder
	for _, r := range rows {
		lines := wrap(r.text, 96-width)
		pad := width - utf8.RuneCountInString(r.left)
		if pad < 0 {
			b.WriteString("  " + r.left + "\n")
			pad = width
			r.left = ""
		}
		for i, l := range lines {
			if i == 0 {
				fmt.Fprintf(&b, "  %s%s  %s\n", r.left, strings.Repeat(" ", pad), l)
			} else {
				fmt.Fprintf(&b, "  %s  %s\n", strings.Repeat(" ", width), l)
			}
		}
	}
	return b.String()
}

// defaultText is a flag's default for its help, "" when it is the zero of
// its type.
func defaultText(f *pflag.Flag) string {
	switch f.DefValue {
	case "", "0", "0s", "false", "[]":
		return ""
	}
	if f.Value.Type() == "string" {
		return strconv.Quote(f.DefValue)
	}
	return f.DefValue
}

// wrap breaks text into lines of at most width runes, at spaces; line
// breaks in text are kept.
func wrap(text string, width int) []string {
	var out []string
	for _, para := range strings.Split(text, "\n") {
		line := ""
		for _, w := range strings.Fields(para) {
			if line != "" && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > width {
				out = append(out, line)
				line = ""
			}
			if line != "" {
				line += " "
			}
			line += w
		}
		out = append(out, line)
	}
	return out
}
