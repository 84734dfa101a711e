package parsefile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	readAll := func(r io.Reader) (string, error) {
		b, err := io.ReadAll(r)
		return string(b), err
	}
	errBad := errors.New("bad")
	failing := func(r io.Reader) (string, error) { return "partial", errBad }
	for _, tt := range []struct {
		name    string
		path    string
		parse   func(io.Reader) (string, error)
		want    string
		wantErr string // substring; "" for none
		is      error
	}{
		{"parses", path, readAll, "hello", "", nil},
		{"missing file", filepath.Join(dir, "none"), readAll, "", "open " + filepath.Join(dir, "none"), fs.ErrNotExist},
		{"parse error", path, failing, "partial", "parse " + path + ": bad", errBad},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.path, tt.parse)
			if got != tt.want {
				t.Errorf("value %q, want %q", got, tt.want)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			case tt.is != nil && !errors.Is(err, tt.is):
				t.Errorf("error %v is not %v", err, tt.is)
			}
		})
	}
}
