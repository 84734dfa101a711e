package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The exit codes of every command (README.md, "The commands").
const (
	exitOK           = 0
	exitFailed       = 1 // a threshold failed or the hypothesis was refuted
	exitUsage        = 2 // usage or configuration error
	exitRuntime      = 3 // the run could not happen, or the server crashed
	exitInconclusive = 4 // interrupted, or within noise where a verdict was required
)

// exitError is an error with the exit code it ends the process with.
type exitError struct {
	code int
	err  error
	// cmd is the command it came from ("" before one was found).
	cmd string
	// hint is a last line of advice, such as the pointer to -h.
	hint string
	// quiet: the command said everything already (a usage printed, a
	// table that ends in its verdict); print nothing more.
	quiet bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError is a mistake on the command line: exit status 2, with a
// pointer to the command's help.
func usageError(cmd, format string, args ...any) error {
	return &exitError{code: exitUsage, cmd: cmd, err: fmt.Errorf(format, args...),
		hint: fmt.Sprintf("Run 'scalelab %s -h' for usage.", cmd)}
}

// configError is a configuration that cannot run (a bad phase file, a
// refused target): exit status 2.
func configError(err error) error { return &exitError{code: exitUsage, err: err} }

// runtimeError is a run that could not happen or broke: exit status 3.
func runtimeError(err error) error { return &exitError{code: exitRuntime, err: err} }

// failedError is a run whose thresholds failed or whose hypothesis was
// refuted: exit status 1.
func failedError(format string, args ...any) error {
	return &exitError{code: exitFailed, err: fmt.Errorf(format, args...)}
}

// inconclusiveError is a run that was interrupted or cannot decide:
// exit status 4.
func inconclusiveError(format string, args ...any) error {
	return &exitError{code: exitInconclusive, err: fmt.Errorf(format, args...)}
}

// named records which command an error came from, for the message.
func named(cmd string, err error) error {
	if err == nil {
		return nil
	}
	var e *exitError
	if errors.As(err, &e) {
		if e.cmd == "" {
			e.cmd = cmd
		}
		return err
	}
	return &exitError{code: exitCode(err), cmd: cmd, err: err}
}

// exitCode is the exit status err ends the process with: its own code, 4
// for an interruption, 3 for anything else.
func exitCode(err error) int {
	var e *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &e):
		return e.code
	case errors.Is(err, context.Canceled):
		return exitInconclusive
	}
	return exitRuntime
}

// report prints err as the CLI words errors, on one line first ("scalelab
// load: --duration "2": ...") and then its hint, and returns the exit
// status.
func report(w io.Writer, err error) int {
	code := exitCode(err)
	if err == nil {
		return code
	}
	var e *exitError
	if errors.As(err, &e) && e.quiet {
		return code
	}
	prefix := "scalelab: "
	if e != nil && e.cmd != "" {
		prefix = "scalelab " + e.cmd + ": "
	}
	msg := prefix + strings.ReplaceAll(err.Error(), "\n", "\n  ")
	if e != nil && e.hint != "" {
		msg += "\n" + e.hint
	}
	fmt.Fprintln(w, msg)
	return code
}
