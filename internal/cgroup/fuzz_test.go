package cgroup

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seed adds every fixture under testdata/dir to the corpus of f.
func seed(f *testing.F, dir string) {
	paths, err := filepath.Glob(filepath.Join("testdata", dir, "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzParseStat(f *testing.F) {
	seed(f, "v1")
	seed(f, "v2")
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := parseStat(bytes.NewReader(in))
		if err != nil {
			if !errors.Is(err, errFormat) && !strings.Contains(err.Error(), "token too long") {
				t.Fatalf("error %v is not errFormat", err)
			}
			if s != (Stat{}) {
				t.Fatalf("error %v with a result %+v", err, s)
			}
			return
		}
		if s.ThrottledTime < 0 || s.Usage < 0 || (!s.HasUsage && s.Usage != 0) {
			t.Fatalf("parsed %q into %+v", in, s)
		}
	})
}

func FuzzParseCPUMax(f *testing.F) {
	seed(f, "v2")
	f.Fuzz(func(t *testing.T, in []byte) {
		q, p, err := parseCPUMax(bytes.NewReader(in))
		if err != nil {
			return
		}
		if p <= 0 || (q != -1 && q <= 0) {
			t.Fatalf("parsed %q into quota %d period %d", in, q, p)
		}
		s, err := share(q, p)
		if err != nil || s < 0 || (q == -1) != (s == 0) {
			t.Fatalf("share(%d, %d) = %v, %v", q, p, s, err)
		}
	})
}

func FuzzParseMountInfo(f *testing.F) {
	seed(f, "proc")
	f.Fuzz(func(t *testing.T, in []byte) {
		ms, err := parseMountInfo(bytes.NewReader(in))
		if err != nil {
			return
		}
		if len(ms) > bytes.Count(in, []byte("\n"))+1 {
			t.Fatalf("%d mounts from %d lines", len(ms), bytes.Count(in, []byte("\n"))+1)
		}
		for _, m := range ms {
			if m.FSType == "" || len(m.SuperOpt) == 0 {
				t.Fatalf("parsed a mount without type or options: %+v", m)
			}
		}
	})
}

func FuzzParseCgroupFile(f *testing.F) {
	seed(f, "proc")
	f.Fuzz(func(t *testing.T, in []byte) {
		ms, err := parseCgroupFile(bytes.NewReader(in))
		if err != nil {
			return
		}
		for _, m := range ms {
			if !strings.HasPrefix(m.Path, "/") {
				t.Fatalf("parsed a relative path: %+v", m)
			}
		}
	})
}

func FuzzParseProcs(f *testing.F) {
	seed(f, "v1")
	f.Fuzz(func(t *testing.T, in []byte) {
		pids, err := parseProcs(bytes.NewReader(in))
		if err != nil {
			return
		}
		for _, p := range pids {
			if p <= 0 {
				t.Fatalf("parsed pid %d from %q", p, in)
			}
		}
	})
}
