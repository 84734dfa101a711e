package probe

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// lineError is a parse error at a line of a proc file (1-based).
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %v", e.line, e.err) }
func (e *lineError) Unwrap() error { return e.err }

// atLine places err at line n, for a parser whose error belongs to an
// earlier line than the one being read.
func atLine(n int, err error) error { return &lineError{line: n, err: err} }

// fields parses the fields of one line in turn (see field): the first that
// does not parse sets err, naming the field; the fields after it are not
// parsed and read as zero.
type fields struct {
	err error
}

// field parses b, the field name of a line, with parse (parseHex, parseDec,
// parseInt), at most bits wide, unless an earlier field failed.
func field[T any](f *fields, parse func(b []byte, bits int) (T, error), b []byte, bits int, name string) T {
	if f.err != nil {
		var zero T
		return zero
	}
	v, err := parse(b, bits)
	if err != nil {
		f.err = fmt.Errorf("%s: %w", name, err)
	}
	return v
}

// eachLine calls fn with the number (from 1) and the bytes of every line
// of r, up to maxLine long; fn must copy what it keeps. An error from fn
// ends the scan and is returned placed at its line ("line 3: ...") unless
// fn placed it itself with atLine. It returns how many lines it read.
func eachLine(r io.Reader, fn func(n int, line []byte) error) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	n := 0
	for sc.Scan() {
		n++
		if err := fn(n, sc.Bytes()); err != nil {
			var le *lineError
			if errors.As(err, &le) {
				return n, err
			}
			return n, atLine(n, err)
		}
	}
	return n, sc.Err()
}

// parseInts parses fields as counters (integers that cannot be negative)
// in base (10 or 16) into out, one per field, up to len(out); an error
// names the field (from 1).
func parseInts(fields []string, base int, out []int64) error {
	if len(fields) < len(out) {
		return fmt.Errorf("%w: %d fields, want %d", errFormat, len(fields), len(out))
	}
	for i := range out {
		v, err := strconv.ParseInt(fields[i], base, 64)
		if err == nil && v < 0 {
			err = errors.New("negative")
		}
		if err != nil {
			return fmt.Errorf("field %d: %w: %w", i+1, errFormat, err)
		}
		out[i] = v
	}
	return nil
}
