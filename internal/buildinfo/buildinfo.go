// Package buildinfo reads which commit of the lab a binary was built from,
// for `scalelab --version` and each scorecard's environment.
package buildinfo

import "runtime/debug"

// Revision returns the VCS commit bi records, shortened to 12 hex digits
// ("" when none), and whether the tree had uncommitted changes.
func Revision(bi *debug.BuildInfo) (commit string, modified bool) {
	if bi == nil {
		return "", false
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = Short(s.Value)
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	return commit, modified
}

// Short shortens a commit hash to 12 hex digits.
func Short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}
