// Package golden compares what a test produced with a file under testdata,
// and rewrites the file instead when the test binary runs with -update.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata instead of comparing with them")

// Update reports whether the golden files are being rewritten (-update).
func Update() bool { return *update }

// Check compares got with the file at path, or writes got there with
// -update (creating its directory).
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gotPath := path + ".got-" + strings.ReplaceAll(t.Name(), "/", "-")
		_ = os.WriteFile(gotPath, got, 0o644) // git-ignored, for diff(1)
		t.Errorf("%s differs from the golden file; got written to %s (run with -update if the change is intended)", path, gotPath)
	}
}
