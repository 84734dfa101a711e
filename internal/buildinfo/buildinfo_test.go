package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestRevision(t *testing.T) {
	for _, tc := range []struct {
		name     string
		bi       *debug.BuildInfo
		commit   string
		modified bool
	}{
		{"none", nil, "", false},
		{"no vcs", &debug.BuildInfo{}, "", false},
		{"clean", &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "822e699abcdef0123456789"}, {Key: "vcs.modified", Value: "false"}}}, "822e699abcde", false},
		{"modified", &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"}}}, "abc", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, m := Revision(tc.bi)
			if c != tc.commit || m != tc.modified {
				t.Errorf("Revision = %q, %v; want %q, %v", c, m, tc.commit, tc.modified)
			}
		})
	}
}
