package boundedread

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	for _, tc := range []struct {
		size    int
		max     int64
		tooLong bool
	}{{0, 10, false}, {10, 10, false}, {11, 10, true}} {
		if err := os.WriteFile(path, []byte(strings.Repeat("x", tc.size)), 0o644); err != nil {
			t.Fatal(err)
		}
		data, err := File(path, tc.max)
		if tc.tooLong != errors.Is(err, ErrTooLarge) {
			t.Errorf("%d bytes, max %d: err %v", tc.size, tc.max, err)
		}
		if !tc.tooLong && (err != nil || len(data) != tc.size) {
			t.Errorf("%d bytes, max %d: read %d, %v", tc.size, tc.max, len(data), err)
		}
	}
	if _, err := File(filepath.Join(dir, "none"), 10); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "none") {
		t.Errorf("missing file: %v", err)
	}
	// An endless file stops at the bound.
	if _, err := File("/dev/zero", 1<<10); !errors.Is(err, ErrTooLarge) {
		t.Errorf("/dev/zero: %v", err)
	}
}
