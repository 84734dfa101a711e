// Command scalelab runs server-scaling experiments and proves their results.
//
// Each subcommand lives in its own file (serve.go, load.go, run.go, ...)
// and registers itself from an init function:
//
//	func init() {
//		register(&command{
//			name:    "report",
//			summary: "one line for the command list",
//			usage:   []string{"[flags] RUN"},          // after "scalelab report"
//			about:   "What it does, for its help.",
//			setup:   setupReport,
//		})
//	}
//
// setup declares the command's flags (long names, --flag; a short alias
// only where the wrk/hey/oha habit has one) on the flag set it is given and
// returns the function that runs the command with the positional
// arguments. The dispatcher does the rest the same way for every command:
// parsing (flags before, between and after the arguments), -h and --help
// and `scalelab help NAME` on stdout with exit status 0, flag errors on
// one line with a hint and a pointer to -h (exit status 2). A command
// returns its errors with an exit code (see exit.go): usageError and
// configError (2), runtimeError (3, the default for any other error),
// failedError (1: thresholds, a refuted hypothesis), inconclusiveError (4).
// main only calls run, then report, so the whole CLI is testable without a
// process.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/scalelab/scalelab/internal/buildinfo"
	"github.com/scalelab/scalelab/internal/suggest"
)

// command is one subcommand.
type command struct {
	name    string
	summary string   // one line for the command list
	usage   []string // its forms, each after "scalelab NAME"
	about   string   // what it does, printed in its help (may be empty)
	// footer is printed after the flags in its help: examples, exit codes.
	footer string
	// setup declares the flags into fs and returns the function that runs
	// the command with the positional arguments.
	setup func(fs *pflag.FlagSet) runFunc
}

// runFunc runs a command whose flags are parsed, with its positional
// arguments.
type runFunc func(ctx context.Context, out streams, args []string) error

// streams are where a command writes.
type streams struct {
	stdout, stderr io.Writer
}

// commands maps a subcommand name to its implementation.
var commands = map[string]*command{}

// register adds a command; files call it from init.
func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("scalelab: command " + c.name + " registered twice")
	}
	commands[c.name] = c
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Stdout, os.Stderr, os.Args[1:])
	stop()
	os.Exit(report(os.Stderr, err))
}

// run dispatches args[0] to its subcommand.
func run(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	if len(args) == 0 {
		topUsage(stderr)
		return &exitError{code: exitUsage, err: errors.New("no command given"), quiet: true}
	}
	switch args[0] {
	case "help", "-h", "--help", "-help":
		return help(stdout, args[1:])
	case "--version", "-version", "version", "-V":
		_, err := fmt.Fprintln(stdout, versionText(buildInfo()))
		return err
	}
	cmd, err := lookup(args[0])
	if err != nil {
		return err
	}
	fs, runCmd := cmd.flags()
	pos, err := parseFlags(fs, args[1:])
	if errors.Is(err, pflag.ErrHelp) {
		return cmd.help(stdout, fs)
	}
	if err != nil {
		return usageError(cmd.name, "%w", err)
	}
	return named(cmd.name, runCmd(ctx, streams{stdout, stderr}, pos))
}

// lookup finds a command by name, or says which one was meant.
func lookup(name string) (*command, error) {
	if cmd, ok := commands[name]; ok {
		return cmd, nil
	}
	msg := fmt.Sprintf("unknown command %q", name)
	if strings.HasPrefix(name, "-") {
		msg = fmt.Sprintf("unknown flag %s: flags come after the command (scalelab COMMAND [flags])", name)
	} else if near := suggest.Nearest(name, commandNames()); near != "" {
		msg += "; did you mean " + near + "?"
	}
	return nil, &exitError{code: exitUsage, err: errors.New(msg), hint: "Run 'scalelab help' for the commands."}
}

// flags returns the command's flag set, declared, and its run function.
func (c *command) flags() (*pflag.FlagSet, runFunc) {
	fs := newFlagSet(c.name)
	return fs, c.setup(fs)
}

// help prints the top-level usage, or the help of the named command, on
// w.
func help(w io.Writer, args []string) error {
	if len(args) == 0 {
		topUsage(w)
		return nil
	}
	cmd, err := lookup(args[0])
	if err != nil {
		return err
	}
	fs, _ := cmd.flags()
	return cmd.help(w, fs)
}

// help prints the command's usage, what it does, its flags and its footer.
func (c *command) help(w io.Writer, fs *pflag.FlagSet) error {
	var b strings.Builder
	b.WriteString("Usage:\n")
	for _, u := range c.usage {
		fmt.Fprintln(&b, strings.TrimRight("  scalelab "+c.name+" "+u, " "))
	}
	if c.about != "" {
		b.WriteString("\n" + strings.TrimSpace(c.about) + "\n")
	}
	if flags := flagUsages(fs); flags != "" {
		b.WriteString("\nFlags:\n" + flags)
	}
	if c.footer != "" {
		b.WriteString("\n" + strings.TrimSpace(c.footer) + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func commandNames() []string { return slices.Sorted(maps.Keys(commands)) }

// exitStatusHelp lists the exit codes every command shares.
const exitStatusHelp = `Exit status:
  0  ok
  1  a threshold failed, or the phase's hypothesis was refuted
     (doctor: something the lab needs is missing)
  2  usage or configuration error
  3  runtime failure: the run could not happen, or the server crashed
  4  inconclusive: interrupted, or the verdict was within noise`

// topUsage prints the command list.
func topUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString("scalelab runs server-scaling experiments and proves their results.\n\n")
	b.WriteString("Usage:\n  scalelab COMMAND [flags] [arguments]\n  scalelab help COMMAND    the usage and flags of one command (or COMMAND -h)\n  scalelab --version\n\nCommands:\n")
	for _, name := range commandNames() {
		fmt.Fprintf(&b, "  %-9s %s\n", name, commands[name].summary)
	}
	b.WriteString("\n" + exitStatusHelp + "\n")
	_, _ = io.WriteString(w, b.String())
}

// buildInfo is debug.ReadBuildInfo; nil when the binary carries none.
func buildInfo() *debug.BuildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	return bi
}

// versionText says which scalelab this is: "scalelab v1.2.0 (commit
// 822e699abcde, modified; go1.26.8)". A binary built from a checkout has
// version "(devel)" and carries its commit.
func versionText(bi *debug.BuildInfo) string {
	if bi == nil {
		return "scalelab (unknown version: no build information)"
	}
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	commit, dirty := buildinfo.Revision(bi)
	modified := ""
	if dirty {
		modified = ", modified"
	}
	if commit == "" {
		commit = "unknown"
	}
	return fmt.Sprintf("scalelab %s (commit %s%s; %s)", version, commit, modified, bi.GoVersion)
}
