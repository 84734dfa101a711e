package phases

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
)

// ladder holds the default course, one file per phase, named NN-name.yaml.
//
//go:embed [0-9][0-9]-*.yaml
var ladder embed.FS

// ErrNotFound reports that no builtin phase has the number or name asked for.
var ErrNotFound = errors.New("phases: no such builtin phase")

// builtinFiles returns the embedded file names in ladder order.
func builtinFiles() []string {
	names, err := fs.Glob(ladder, "[0-9][0-9]-*.yaml")
	if err != nil { // only possible with a malformed pattern
		panic(err)
	}
	return names // fs.Glob returns names sorted
}

// BuiltinSource returns the Source recorded for builtin phase n: "builtin:03".
func BuiltinSource(n int) string { return fmt.Sprintf("builtin:%02d", n) }

// Builtin returns phase n of the default ladder.
func Builtin(n int) (*Phase, error) {
	prefix := fmt.Sprintf("%02d-", n)
	for _, name := range builtinFiles() {
		if strings.HasPrefix(name, prefix) {
			return parseBuiltin(name, n)
		}
	}
	return nil, fmt.Errorf("%w: %d (the ladder has 1..%d)", ErrNotFound, n, len(builtinFiles()))
}

func parseBuiltin(name string, n int) (*Phase, error) {
	data, err := ladder.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("phases: read builtin %s: %w", name, err)
	}
	p, err := Parse(path.Join("phases", name), data)
	if err != nil {
		return nil, err
	}
	p.Source = BuiltinSource(n)
	return p, nil
}

// BuiltinFile returns the file of builtin phase n as it is embedded,
// comments and all, with its name ("03-pool-keepalive.yaml").
func BuiltinFile(n int) (name string, data []byte, err error) {
	prefix := fmt.Sprintf("%02d-", n)
	for _, name := range builtinFiles() {
		if strings.HasPrefix(name, prefix) {
			data, err := ladder.ReadFile(name)
			if err != nil {
				return "", nil, fmt.Errorf("phases: read builtin %s: %w", name, err)
			}
			return name, data, nil
		}
	}
	return "", nil, fmt.Errorf("%w: %d (the ladder has 1..%d)", ErrNotFound, n, len(builtinFiles()))
}

// Ladder returns every builtin phase in order.
func Ladder() ([]*Phase, error) {
	var out []*Phase
	for _, name := range builtinFiles() {
		n, err := strconv.Atoi(name[:2])
		if err != nil {
			return nil, fmt.Errorf("phases: builtin file %s: %w", name, err)
		}
		p, err := parseBuiltin(name, n)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Resolve turns a command-line argument into a phase: "3" or "03" is a
// builtin by number, a path to an existing file is loaded, and a builtin's
// name ("pool-keepalive") or file name ("03-pool-keepalive.yaml") selects it.
func Resolve(arg string) (*Phase, error) {
	if arg == "" {
		return nil, fmt.Errorf("phases: resolve: empty phase argument (want a number such as 3 or a path)")
	}
	if n, err := strconv.Atoi(arg); err == nil && isDigits(arg) {
		return Builtin(n)
	}
	if st, err := os.Stat(arg); err == nil {
		if st.IsDir() {
			return nil, fmt.Errorf("phases: resolve %s: is a directory, not a phase file", arg)
		}
		return Load(arg)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("phases: resolve %s: %w", arg, err)
	}
	for _, name := range builtinFiles() {
		slug := strings.TrimSuffix(name[3:], ".yaml")
		if arg == slug || arg == name || arg == strings.TrimSuffix(name, ".yaml") {
			n, _ := strconv.Atoi(name[:2])
			return Builtin(n)
		}
	}
	return nil, fmt.Errorf("%w: %q is neither a phase number, a file, nor a builtin name", ErrNotFound, arg)
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
